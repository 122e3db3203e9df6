package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/postgres"
	"shuangsuiji/internal/roster"
)

// runImport imports a roster file into a bureau, as the service's
// importRoster does: all or nothing, every bad row listed.
//
//	shuangsuiji import --bureau 140522-wl --kind entities [--dry-run] FILE
func runImport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bureauCode, kindName, dryRun := importFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	kind, ok := map[string]roster.Kind{"entities": roster.KindEntities, "inspectors": roster.KindInspectors, "items": roster.KindItems}[*kindName]
	if *bureauCode == "" || fs.NArg() != 1 || !ok {
		fmt.Fprintln(stderr, "usage: import --bureau CODE --kind entities|inspectors|items [--dry-run] FILE")
		return 2
	}
	path := fs.Arg(0)
	defer roster.RemoveTempFiles()
	return withDatabase(stderr, func(ctx context.Context, db *database) error {
		if err := postgres.Migrate(ctx, db.DB.DB.DB); err != nil {
			return err
		}
		actor, err := commandLineActor(ctx, db, *bureauCode)
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		rosters := &roster.Service{EntityStore: postgres.EntityStore{DB: db.DB},
			InspectorStore: postgres.InspectorStore{DB: db.DB}, ItemStore: postgres.ItemStore{DB: db.DB}}
		var changes roster.ChangeSink
		if *dryRun {
			changes = changePrinter{w: stdout}
		}
		res, err := rosters.ImportAs(ctx, actor, kind, f, filepath.Base(path), *dryRun, changes)
		if err != nil {
			return describeImportError(err)
		}
		verb := "imported"
		if res.DryRun {
			verb = "checked (dry run, nothing written)"
		}
		fmt.Fprintf(stdout, "%s %s: %d rows, %d created, %d updated, %d unchanged\n",
			verb, path, res.Rows, res.Created, res.Updated, res.Unchanged)
		return nil
	})
}

// changePrinter lists a dry run's changes as the database finds them: the
// number of fields cleared first, then one line a field.
type changePrinter struct{ w io.Writer }

func (p changePrinter) Cleared(n int) error {
	_, err := fmt.Fprintf(p.w, "%d field(s) would be cleared\n", n)
	return err
}

func (p changePrinter) Change(c roster.FieldChange) error {
	mark := ""
	if c.Cleared() {
		mark = " (cleared)"
	}
	_, err := fmt.Fprintf(p.w, "row %d %s %s: %q → %q%s\n", c.Row, c.Key, c.Field, c.From, c.To, mark)
	return err
}

// importFlags defines the flags of `import` (also for its --help).
func importFlags(fs *flag.FlagSet) (bureauCode, kindName *string, dryRun *bool) {
	bureauCode = fs.String("bureau", "", "the bureau's `code`, e.g. 140522-wl")
	kindName = fs.String("kind", "entities", "entities, inspectors or items")
	dryRun = fs.Bool("dry-run", false, "check, count and list every field that would change; change nothing")
	return bureauCode, kindName, dryRun
}

// commandLineActor acts for the bureau as the operator running the
// command, who has the database's credentials and so every power.
func commandLineActor(ctx context.Context, db *database, code string) (*authz.Actor, error) {
	b, err := postgres.BureauStore{DB: db.DB}.BureauByCode(ctx, code)
	if err != nil {
		return nil, err
	}
	name := "cli"
	if u, err := user.Current(); err == nil {
		name = "cli:" + u.Username
	}
	return &authz.Actor{Username: name, BureauID: b.ID, BureauCode: b.Code, RegionCode: b.RegionCode,
		BureauKind: b.Kind, Roles: []string{authz.RoleAdmin}}, nil
}

// describeImportError lists every bad row, one a line.
func describeImportError(err error) error {
	e, ok := errs.As(err)
	if !ok {
		return err
	}
	problems, listed := e.Details.([]roster.FieldError)
	if !listed {
		return err
	}
	msg := fmt.Sprintf("%d problem(s), nothing was imported:", len(problems))
	for _, p := range problems {
		msg += "\n  " + p.Error()
	}
	return fmt.Errorf("%s", msg)
}
