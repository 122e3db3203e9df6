package server_test

import "testing"

// BenchmarkPublicSelected100k times what the public reads of draws that
// selected 100,000 entities each: the list of draws with the first page
// of each one's selected entities and their count, and a later page of
// one draw. Two such draws, written as the schema owner.
func BenchmarkPublicSelected100k(b *testing.B) {
	e := newEnv(b)
	for _, q := range []string{
		`INSERT INTO entities (region_code, code, version, code_kind, name, valid_from)
		 SELECT '140522', 'S' || lpad(i::text, 17, '0'), 1, 'uscc', '抽中企业' || i, '2024-01-01' FROM generate_series(1, 100000) i`,
		`INSERT INTO draws (bureau_id, region_code, year, quarter, title, window_start, window_end, status, input_gz, executed_at)
		 SELECT id, '140522', 2026, 4, '十万' || k, '2026-10-01', '2026-12-31', 'executed', '\x00', now()
		 FROM bureaus, generate_series(1, 2) k WHERE code = '140522-wl'`,
		`INSERT INTO draw_tasks (draw_id, seq, lead_id, region_code, year, quarter, entity_code, stratum, ticket)
		 SELECT d.id, i, d.bureau_id, '140522', 2026, 4, 'S' || lpad(i::text, 17, '0'), 'A', 't'
		 FROM draws d, generate_series(1, 100000) i WHERE d.title LIKE '十万%'`,
		`ANALYZE`,
	} {
		if _, err := e.DB.Exec(q); err != nil {
			b.Fatalf("%s: %v", q[:60], err)
		}
	}
	const list = `{ publicDraws(filter: {year: 2026, quarter: 4}, first: 2) { nodes { number
	  selected(first: 50) { totalCount nodes { code name } pageInfo { endCursor } } } } }`
	const later = `query($n: Int!, $after: String) { publicDraw(number: $n) { selected(first: 50, after: $after) { nodes { code name } } } }`
	var d struct {
		PublicDraws struct {
			Nodes []struct {
				Number   int
				Selected struct {
					TotalCount int
					PageInfo   struct{ EndCursor string }
				}
			}
		}
	}
	e.Do(request{}, list, nil).mustData(b, &d)
	if len(d.PublicDraws.Nodes) != 2 || d.PublicDraws.Nodes[0].Selected.TotalCount != 100000 {
		b.Fatalf("the two draws of 100,000: %+v", d)
	}
	first := d.PublicDraws.Nodes[0]
	for _, c := range []struct {
		name  string
		query string
		vars  map[string]any
	}{
		{"list", list, nil},
		{"later-page", later, map[string]any{"n": first.Number, "after": first.Selected.PageInfo.EndCursor}},
	} {
		b.Run(c.name, func(b *testing.B) {
			for n := 0; n < b.N; n++ {
				e.Do(request{}, c.query, c.vars).mustData(b, nil)
			}
		})
	}
}
