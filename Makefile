# One command to run, one to test. Nothing else needs doing first on a
# machine with Go 1.26 and Debian's PostgreSQL packages.
GO ?= go

.PHONY: run test test-short lint check-generated fuzz build

# make run ARGS='--addr 127.0.0.1:9090', or ARGS='migrate', ARGS='help'…
run:
	$(GO) run . $(ARGS)

# A binary that names its commit in `./shuangsuiji version`.
build:
	$(GO) build -buildvcs=true -o shuangsuiji .

# lint, then every test (with the race detector) against real PostgreSQL
# servers that the tests start themselves.
test: lint
	$(GO) test -race -count=1 -timeout 30m ./...

# The fast path of test: lint, and the packages that need no PostgreSQL
# (the schema linter, the draw algorithm and its vectors, rosters' files, the audit chain,
# pagination). A test clones the repository and runs this in the clone.
FAST_PACKAGES = ./graph/ ./internal/draw/ ./internal/roster/ ./internal/audit/ ./internal/page/ ./internal/errs/
test-short: lint
	$(GO) test -short -count=1 -timeout 10m $(FAST_PACKAGES)

# generated code, vet and gofmt
lint: check-generated
	$(GO) vet ./...
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)

# gqlgen output must be what `go generate ./...` writes from the schema.
check-generated:
	$(GO) generate ./...
	git diff --exit-code -- graph/ go.mod go.sum || (echo "generated code is stale: run go generate ./... and commit"; exit 1)

# Short fuzzing runs of every fuzz target (FUZZTIME=1m for longer).
FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done
