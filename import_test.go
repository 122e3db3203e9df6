package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"shuangsuiji/internal/postgres"
	"shuangsuiji/internal/postgres/testdb"
	"shuangsuiji/internal/roster"
)

func TestImportCommand(t *testing.T) {
	ctx := context.Background()
	conf := testdb.Config(t)
	db, err := postgres.Open(ctx, conf.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := postgres.Seed(ctx, db); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DATABASE_URL", conf.URL())
	check, _ := roster.USCCCheckChar("91140522MA0000001")
	good := "统一社会信用代码,名称,风险分类\n91140522MA0000001" + string(check) + ",阳城县命令行导入有限公司,B\n"
	bad := "统一社会信用代码,名称\n91140522MA00000010,坏行\n"
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"DryRun", []string{"--bureau", "140522-wl", "--kind", "entities", "--dry-run", write("a.csv", good)}, 0, "1 created"},
		{"OK", []string{"--bureau", "140522-wl", "--kind", "entities", write("b.csv", good)}, 0, "1 created"},
		{"AgainChangesNothing", []string{"--bureau", "140522-wl", write("c.csv", good)}, 0, "1 unchanged"},
		{"ErrBadRowNamed", []string{"--bureau", "140522-wl", write("d.csv", bad)}, 1, "row 2"},
		{"ErrUnknownBureau", []string{"--bureau", "999999-xx", write("e.csv", good)}, 1, "no bureau"},
		{"ErrUsage", []string{write("f.csv", good)}, 2, "usage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(append([]string{"import"}, tt.args...), &out, &errOut)
			if code != tt.wantCode || !strings.Contains(out.String()+errOut.String(), tt.wantOut) {
				t.Fatalf("exit %d (want %d), output %q, want it to say %q", code, tt.wantCode, out.String()+errOut.String(), tt.wantOut)
			}
		})
	}
	var entries int
	db.Get(&entries, `SELECT count(*) FROM roster_entries WHERE valid_to IS NULL`)
	if entries != 1 {
		t.Fatalf("entries = %d, want the one imported once", entries)
	}
}
