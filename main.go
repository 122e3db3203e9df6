// Command shuangsuiji is the whole service in one binary: the GraphQL API
// for 双随机、一公开 inspections and its maintenance commands.
//
//	shuangsuiji [serve] [--addr 127.0.0.1:8080]   serve the API (the default)
//	shuangsuiji migrate                            apply database migrations
//	shuangsuiji seed                               create the demo county once
//	shuangsuiji verify-audit                       recompute every audit chain
//	shuangsuiji import --bureau CODE --kind K FILE import a roster file
//	shuangsuiji draw --input FILE [--public]       compute a draw's manifest (no database)
//	shuangsuiji verify-draw FILE                   check a manifest or vector (no database)
//
// With DATABASE_URL unset, every command uses a private PostgreSQL that it
// starts from the machine's binaries in .data/ (SHUANGSUIJI_DATA overrides).
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// commands maps each subcommand to its entry point; each returns the exit
// code.
var commands = map[string]func(args []string, stdout, stderr io.Writer) int{
	"serve":        runServe,
	"migrate":      runMigrate,
	"seed":         runSeed,
	"verify-audit": runVerifyAudit,
	"draw":         runDrawCommand,
	"verify-draw":  runVerifyDrawCommand,
	"import":       runImport,
}

func run(args []string, stdout, stderr io.Writer) int {
	name := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "unknown command %q; commands: %s\n", name, commandNames())
		return 2
	}
	return cmd(args, stdout, stderr)
}

func commandNames() string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	return strings.Join(sortedStrings(names), ", ")
}
