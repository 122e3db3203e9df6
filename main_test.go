package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"shuangsuiji/internal/postgres"
	"shuangsuiji/internal/postgres/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func TestVerifyAuditCommand(t *testing.T) {
	ctx := context.Background()
	conf := testdb.Config(t)
	db, err := postgres.Open(ctx, conf.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := postgres.Seed(ctx, db); err != nil {
		t.Fatalf("seed: %v", err)
	}
	var sj int64
	if err := db.Get(&sj, `SELECT id FROM bureaus WHERE code = '140522-sj'`); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DATABASE_URL", conf.URL())

	verify := func(t *testing.T) (int, string, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		code := run([]string{"verify-audit"}, &out, &errOut)
		return code, out.String(), errOut.String()
	}

	t.Run("OKIntact", func(t *testing.T) {
		code, out, errOut := verify(t)
		if code != 0 {
			t.Fatalf("exit code = %d, want 0; stderr:\n%s", code, errOut)
		}
		if want := fmt.Sprintf("intact: %d entries checked", len(postgres.Demo)); !strings.Contains(out, want) {
			t.Errorf("stdout = %q, want it to say %q", out, want)
		}
	})

	t.Run("ErrTampered", func(t *testing.T) {
		// Behind the server's back: the owner's system policy lets it write.
		res, err := db.Exec(`UPDATE audit_log SET actor_username = 'mallory' WHERE bureau_id = $1 AND seq = 1`, sj)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("tampered with %d rows, want 1", n)
		}
		code, out, errOut := verify(t)
		if code != 1 {
			t.Fatalf("exit code = %d, want 1; stdout %q, stderr %q", code, out, errOut)
		}
		for _, want := range []string{fmt.Sprintf("bureau %d", sj), "entry 1"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("stderr = %q, want it to name %q", errOut, want)
			}
		}
		if strings.Contains(out, "intact") {
			t.Errorf("stdout = %q, want no claim the trail is intact", out)
		}
	})
}

func TestUnknownCommand(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"ErrUnknown", []string{"frobnicate"}},
		{"ErrMisspelled", []string{"verify-audits", "--now"}},
		{"ErrCase", []string{"Serve"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if got, want := run(tt.args, &out, &errOut), 2; got != want {
				t.Errorf("exit code = %d, want %d", got, want)
			}
			for _, want := range []string{fmt.Sprintf("unknown command %q", tt.args[0]), "serve", "verify-audit"} {
				if !strings.Contains(errOut.String(), want) {
					t.Errorf("stderr = %q, want it to contain %q", errOut.String(), want)
				}
			}
			if out.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", out.String())
			}
		})
	}
}
