package postgres_test

import (
	"fmt"
	"strings"
	"testing"

	"shuangsuiji/internal/postgres"
	"shuangsuiji/internal/postgres/testdb"
)

// TestFrameRowSQLSplits: what PostgreSQL makes of postgres.FrameRowSQL
// splits back into the columns it was made of, for ids and codes of any
// length (a length over 126 is a character of two bytes in UTF-8) and a
// unit holding anything.
func TestFrameRowSQLSplits(t *testing.T) {
	db := testdb.New(t)
	long := strings.Repeat("长", 100)
	q := `SELECT ` + fmt.Sprintf(postgres.FrameRowSQL, "r.stratum") + `
FROM (SELECT $1::text AS status, $2::text AS stratum, $3::text AS entity_code, $4::text AS bureau_code, $5::text AS unit) r`
	for _, c := range []struct{ status, stratum, id, bureau, unit string }{
		{"active", "A", "91140522000000001X", "140522-wl", "第3中队"},
		{"revoked", "F", long, long + "b", "\t'unit' \u0001 " + long},
		{"suspended", "B", "E", "b", ""},
	} {
		var row []byte
		if err := db.QueryRow(q, c.status, c.stratum, c.id, c.bureau, c.unit).Scan(&row); err != nil {
			t.Fatal(err)
		}
		active, stratum, id, bureau, unit, err := postgres.SplitFrameRow(row)
		if err != nil || active != (c.status == "active") || string(stratum) != c.stratum || string(id) != c.id ||
			string(bureau) != c.bureau || string(unit) != c.unit {
			t.Errorf("%+v: %q split as %v %q %q %q %q, %v", c, row, active, stratum, id, bureau, unit, err)
		}
	}
}
