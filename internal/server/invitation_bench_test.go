package server_test

import (
	"fmt"
	"testing"
)

// BenchmarkInviteMember times what an admin of 140522-wl can time: an
// invitation to a name another bureau (140522-sj) holds against one
// nobody holds, without and with a new user's display name and password.
// Each iteration invites a name not invited before, so that every case
// takes the same first-invitation path. Figures in BENCHMARKS.md.
func BenchmarkInviteMember(b *testing.B) {
	for _, c := range []struct {
		name   string
		held   bool
		create bool
	}{{"HeldName", true, false}, {"FreeName", false, false}, {"HeldNameCreate", true, true}, {"FreeNameCreate", false, true}} {
		b.Run(c.name, func(b *testing.B) {
			e := newEnv(b)
			prefix := "bench-free-"
			if c.held {
				prefix = "bench-held-"
				const held = `
WITH u AS (INSERT INTO users (username, display_name, password_hash)
           SELECT 'bench-held-' || i, '基准', w.password_hash FROM users w, generate_series(0, $1 - 1) i WHERE w.username = 'sj-planner' RETURNING id)
INSERT INTO members (bureau_id, user_id, role) SELECT b.id, u.id, 'inspector' FROM u, bureaus b WHERE b.code = '140522-sj'`
				if _, err := e.DB.Exec(held, b.N); err != nil {
					b.Fatal(err)
				}
			}
			admin := e.As("wl-admin")
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				in := map[string]any{"username": fmt.Sprint(prefix, i), "roles": []string{"INSPECTOR"}}
				if c.create {
					in["displayName"], in["initialPassword"] = "新同事", "correct-horse-1"
				}
				e.Do(admin, inviteMember, map[string]any{"in": in}).mustData(b, nil)
			}
		})
	}
}
