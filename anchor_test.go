package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/postgres"
	"shuangsuiji/internal/postgres/testdb"
)

// Deleting a bureau's newest audit entries and rewinding its head leaves
// a chain that holds by itself; verify-audit catches it against the last
// exported, signed head, and anchor-audit refuses to anchor the cut chain.
func TestAuditAnchorCatchesATruncatedChain(t *testing.T) {
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
	var wl int64
	if err := db.Get(&wl, `SELECT id FROM bureaus WHERE code = '140522-wl'`); err != nil {
		t.Fatal(err)
	}
	var admin int64
	if err := db.Get(&admin, `SELECT id FROM users WHERE username = 'wl-admin'`); err != nil {
		t.Fatal(err)
	}
	actor := &authz.Actor{UserID: admin, Username: "wl-admin", BureauID: wl, BureauCode: "140522-wl", RegionCode: "140522", Roles: []string{"admin"}}
	for _, roles := range [][]string{{"planner", "reviewer"}, {"planner"}, {"leader", "planner"}, {"planner"}} {
		if _, err := (postgres.BureauStore{DB: db}).SetMemberRoles(ctx, actor, "wl-planner", roles); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	anchors := filepath.Join(dir, "anchors.json")
	t.Setenv("DATABASE_URL", conf.URL())
	t.Setenv("AUDIT_KEY_FILE", filepath.Join(dir, "anchor.key"))
	t.Setenv("AUDIT_ANCHORS", anchors)
	cmd := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := run(args, &out, &errOut)
		return code, out.String(), errOut.String()
	}

	if code, out, errOut := cmd("anchor-audit"); code != 0 || !strings.Contains(out, "3 bureaus") {
		t.Fatalf("anchor-audit: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, out, errOut := cmd("verify-audit"); code != 0 || !strings.Contains(out, "3 bureaus' exported heads") {
		t.Fatalf("verify-audit before the cut: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	var last int64
	if err := db.Get(&last, `SELECT seq FROM audit_heads WHERE bureau_id = $1`, wl); err != nil || last < 3 {
		t.Fatalf("wl's head seq = %d (%v), want a few entries", last, err)
	}
	// Behind the server's back: drop the newest two entries and rewind
	// the head to the entry now last, so the chain holds by itself.
	cut := []string{
		fmt.Sprintf(`DELETE FROM audit_log WHERE bureau_id = %d AND seq > %d`, wl, last-2),
		fmt.Sprintf(`UPDATE audit_heads h SET seq = l.seq, hash = l.hash FROM audit_log l
			WHERE h.bureau_id = %[1]d AND l.bureau_id = %[1]d AND l.seq = %[2]d`, wl, last-2),
	}
	for _, q := range cut {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := postgres.VerifyAudit(ctx, db); err != nil {
		t.Fatalf("the cut chain alone: %v after %d entries; want it to hold, or this test proves nothing", err, n)
	}

	code, out, errOut := cmd("verify-audit")
	if code != 1 || strings.Contains(out, "intact") {
		t.Fatalf("verify-audit after the cut: exit %d, stdout %q; want 1 and no claim of an intact trail", code, out)
	}
	for _, want := range []string{fmt.Sprintf("bureau %d", wl), fmt.Sprintf("entry %d", last), "deleted"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr = %q, want it to name %q", errOut, want)
		}
	}

	before, _ := os.ReadFile(anchors)
	if code, _, errOut := cmd("anchor-audit"); code != 1 || !strings.Contains(errOut, "not exporting") {
		t.Errorf("anchor-audit over the cut chain: exit %d, stderr %q; want a refusal", code, errOut)
	}
	if after, _ := os.ReadFile(anchors); !bytes.Equal(before, after) {
		t.Error("anchor-audit replaced the anchors of the uncut chain")
	}

	t.Run("ErrForgedAnchor", func(t *testing.T) {
		forged := strings.Replace(string(before), fmt.Sprintf(`"seq": %d`, last), fmt.Sprintf(`"seq": %d`, last-2), 1)
		if forged == string(before) {
			t.Fatal("found no seq to forge")
		}
		if err := os.WriteFile(anchors, []byte(forged), 0o600); err != nil {
			t.Fatal(err)
		}
		if code, _, errOut := cmd("verify-audit"); code != 1 || !strings.Contains(errOut, "signature") {
			t.Errorf("verify-audit with a rewritten anchor: exit %d, stderr %q; want a bad signature", code, errOut)
		}
	})
}
