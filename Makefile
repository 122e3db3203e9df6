# One command to run, one to test. Nothing else needs doing first on a
# machine with Go 1.26 and Debian's PostgreSQL packages.
GO ?= go

.PHONY: run test check-generated fuzz build

run:
	$(GO) run . serve

build:
	$(GO) build -o shuangsuiji .

# vet, the generated code check and every test (with the race detector)
# against real PostgreSQL servers that the tests start themselves.
test: check-generated
	$(GO) vet ./...
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); exit 1)
	$(GO) test -race -count=1 -timeout 30m ./...

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
