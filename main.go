// Command shuangsuiji is the whole service in one binary: the GraphQL API
// for 双随机、一公开 inspections and its maintenance commands. `shuangsuiji
// help` lists the commands and the environment variables; every command
// answers --help with its usage and touches nothing.
//
// With DATABASE_URL unset, the commands that need a database use a private
// PostgreSQL that they start from the machine's binaries in the data folder
// (see dataDir), and the service stops it again when it exits.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// command is a subcommand: its name, a line for the list, its synopsis
// and what more its --help says, and its entry point, which returns the
// exit code.
type command struct {
	name, summary, synopsis, details string
	run                              func(args []string, stdout, stderr io.Writer) int
}

// commands, in the order `help` lists them.
var commands []command

func init() {
	commands = []command{
		{name: "serve", summary: "serve the GraphQL API, GraphiQL and the public pages (the default)",
			synopsis: "serve [--addr HOST:PORT]",
			details:  "Migrates the database first; the private PostgreSQL also gets the demo county once.",
			run:      runServe},
		{name: "migrate", summary: "apply the database migrations", synopsis: "migrate", run: runMigrate},
		{name: "seed", summary: "create the demo county once (refuses a database holding other data)", synopsis: "seed", run: runSeed},
		{name: "verify-audit", summary: "recompute every bureau's audit chain; non-zero naming the first broken entry",
			synopsis: "verify-audit",
			details:  "With exported anchors (AUDIT_ANCHORS), also checks that each chain still reaches its signed, exported head: deleting the newest entries and rewinding the head is caught.",
			run:      runVerifyAudit},
		{name: "anchor-audit", summary: "sign every bureau's audit chain head (Ed25519) and export it now",
			synopsis: "anchor-audit",
			details:  "serve does it at start and every AUDIT_ANCHOR_EVERY; the key (AUDIT_KEY_FILE) and the anchors (AUDIT_ANCHORS) live outside the database, and an export refuses to replace anchors a chain no longer reaches.",
			run:      runAnchorAudit},
		{name: "import", summary: "import a roster file into a bureau, all or nothing",
			synopsis: "import --bureau CODE --kind entities|inspectors|items [--dry-run] FILE",
			details:  "FILE is CSV (UTF-8 or GB18030) or XLSX, with the headers of /roster/template/{kind}.csv.",
			run:      runImport},
		{name: "draw", summary: "compute a draw's manifest from its input (no database)",
			synopsis: "draw --input FILE [--public]", run: runDrawCommand},
		{name: "verify-draw", summary: "check a manifest, commitment, test vector or opening (no database)",
			synopsis: "verify-draw FILE | verify-draw --opening OPENING PUBLIC", run: runVerifyDrawCommand},
		{name: "version", summary: "print the module version, the commit it was built from and the Go version",
			synopsis: "version", run: runVersion},
		{name: "help", summary: "list the commands and environment variables, or explain one command",
			synopsis: "help [COMMAND]", run: runHelp},
	}
}

// environment lists the variables the binary reads, for `help`.
var environment = [][2]string{
	{"DATABASE_URL", "PostgreSQL to use (give sslmode); unset: a private server in the data folder"},
	{"SERVING_DATABASE_URL", "the serving login's connection string (default: DATABASE_URL's, as shuangsuiji_app with a password derived from the owner's)"},
	{"PGPASSWORD", "the owner's password when DATABASE_URL gives none; the serving login's is derived from it"},
	{"SHUANGSUIJI_DATA", "the data folder of the private server; default " + defaultDataDirText()},
	{"ADDR", "address serve listens on (default 127.0.0.1:8080; --addr overrides)"},
	{"PG_BIN", "folder of the PostgreSQL programs (default: newest /usr/lib/postgresql/*/bin, or initdb on PATH)"},
	{"PG_FSYNC", "off: no fsync in the private server (throwaway data only)"},
	{"CORS_ORIGINS", "comma-separated origins whose pages may call /graphql (default none)"},
	{"LOG_FORMAT", "json: one JSON object per log line (default text)"},
	{"ANONYMOUS_INTROSPECTION", "off: only signed-in callers may read the schema (default on, for GraphiQL)"},
	{"AUDIT_KEY_FILE", "the Ed25519 key signing audit chain heads, created if missing (default: audit-anchor.key in the data folder)"},
	{"AUDIT_ANCHORS", "the exported, signed audit chain heads verify-audit checks (default: audit-anchors-DATABASE.json in the data folder)"},
	{"AUDIT_ANCHOR_EVERY", "how often serve exports the audit anchors (default 10m)"},
	{"CHROMIUM", "the Chromium program that prints record forms and notices to PDF (default: chromium on PATH)"},
	{"GRAPHQL_MAX_EXECUTING", "GraphQL requests executing at once, the rest queued in arrival order (default 4 per core, at most 40; 0 or off: no limit)"},
	{"GRAPHQL_QUEUE_TIMEOUT", "how long a GraphQL request waits for its turn before a 503 with Retry-After (default 10s)"},
	{"GOGC", "the garbage collector's target; serve's default is 400, not Go's 100 (a small live heap, many short requests)"},
	{"GOMEMLIMIT", "the soft memory limit the collector keeps under; serve's default is 1GiB"},
}

func run(args []string, stdout, stderr io.Writer) int {
	name := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	} else if len(args) > 0 && isHelpFlag(args[0]) {
		printOverview(stdout)
		return 0
	}
	cmd, ok := lookup(name)
	if !ok {
		fmt.Fprintf(stderr, "unknown command %q; commands: %s (shuangsuiji help explains them)\n", name, commandNames())
		return 2
	}
	if asksHelp(args) {
		printUsage(stdout, cmd)
		return 0
	}
	return cmd.run(args, stdout, stderr)
}

func lookup(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// asksHelp reports whether the arguments ask for help before any "--",
// so that no command acts (or opens a database) when asked what it does.
func asksHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if isHelpFlag(a) {
			return true
		}
	}
	return false
}

func isHelpFlag(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

func runHelp(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printOverview(stdout)
		return 0
	}
	cmd, ok := lookup(args[0])
	if !ok || len(args) > 1 {
		fmt.Fprintf(stderr, "usage: shuangsuiji help [COMMAND]; commands: %s\n", commandNames())
		return 2
	}
	printUsage(stdout, cmd)
	return 0
}

// printOverview is `shuangsuiji help`: every command and variable, a line each.
func printOverview(w io.Writer) {
	fmt.Fprint(w, "shuangsuiji: the back end of 双随机、一公开 inspections, one binary.\n\n")
	fmt.Fprint(w, "usage: shuangsuiji [COMMAND] [FLAGS] [ARGS]\n       shuangsuiji COMMAND --help\n\ncommands:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprint(w, "\nenvironment:\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, v := range environment {
		fmt.Fprintf(tw, "  %s\t%s\n", v[0], v[1])
	}
	tw.Flush()
}

// printUsage is a command's --help.
func printUsage(w io.Writer, c command) {
	fmt.Fprintf(w, "usage: shuangsuiji %s\n\n%s.\n", c.synopsis, upperFirst(c.summary))
	if c.details != "" {
		fmt.Fprintf(w, "%s\n", c.details)
	}
	if flags := flagsOf(c.name); flags != "" {
		fmt.Fprintf(w, "\nflags:\n%s", flags)
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func commandNames() string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}
