package postgres_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"shuangsuiji/internal/postgres"
	"shuangsuiji/internal/roster"
)

// entityFile is a roster file of n entities with codes from first on, as
// a bureau exports it from Excel: the Chinese headers, every column filled.
func entityFile(b testing.TB, first, n int, format roster.Format) []byte {
	b.Helper()
	rows := make([]roster.EntityRow, n)
	for i := range rows {
		body := fmt.Sprintf("91140522MA%07d", first+i)
		check, err := roster.USCCCheckChar(body)
		if err != nil {
			b.Fatal(err)
		}
		rows[i] = roster.EntityRow{Code: body + string(check), Name: fmt.Sprintf("阳城县示例企业%07d有限公司", first+i),
			LegalRepresentative: "张三", Address: fmt.Sprintf("山西省晋城市阳城县凤城镇示例路%d号", i),
			Type: "娱乐场所", LicenceType: "娱乐经营许可证", LicenceNumber: fmt.Sprintf("1405221%06d", i),
			Unit: fmt.Sprintf("第%d执法中队", i%7), RiskClass: roster.RiskClass("ABCD"[i%4 : i%4+1]), Status: roster.StatusActive}
	}
	var buf bytes.Buffer
	if err := roster.WriteEntities(&buf, format, rows); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func rosterService(db *postgres.DB) *roster.Service {
	return &roster.Service{EntityStore: postgres.EntityStore{DB: db}, InspectorStore: postgres.InspectorStore{DB: db},
		ItemStore: postgres.ItemStore{DB: db}}
}

// BenchmarkImportEntities imports 100,000 new entities, read and checked
// from CSV or XLSX, into a roster that already holds 100,000; the CSV case
// also times psql's \copy of the same file into a bare table, in the same
// run, and reports the ratio.
func BenchmarkImportEntities(b *testing.B) {
	for _, format := range []roster.Format{roster.FormatCSV, roster.FormatXLSX} {
		b.Run(format.String(), func(b *testing.B) {
			const n = 100_000
			s := newSeeded(b)
			rosters, actor := rosterService(s.DB), actingAs(b, s, "wl-planner")
			ctx := context.Background()
			if _, err := rosters.ImportAs(ctx, actor, roster.KindEntities, bytes.NewReader(entityFile(b, 0, n, roster.FormatCSV)), "base.csv", false, nil); err != nil {
				b.Fatal(err)
			}
			var elapsed time.Duration
			for i := 0; i < b.N; i++ {
				file := entityFile(b, n*(i+1), n, format)
				start := time.Now()
				res, err := rosters.ImportAs(ctx, actor, roster.KindEntities, bytes.NewReader(file), "new."+format.String(), false, nil)
				elapsed += time.Since(start)
				if err != nil || res.Created != n {
					b.Fatalf("import: %+v, %v", res, err)
				}
				if format == roster.FormatCSV {
					reportCopyRatio(b, s, file, time.Since(start))
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/elapsed.Seconds(), "rows/s")
		})
	}
}

// reportCopyRatio times psql \copy of the file into a bare table: the
// floor any import of it could reach.
func reportCopyRatio(b *testing.B, s seededDB, file []byte, ours time.Duration) {
	b.Helper()
	psql, err := exec.LookPath("psql")
	if err != nil {
		matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/psql")
		if len(matches) == 0 {
			b.Log("no psql: ratio to \\copy not measured")
			return
		}
		psql = matches[len(matches)-1]
	}
	path := filepath.Join(b.TempDir(), "entities.csv")
	if err := os.WriteFile(path, bytes.TrimPrefix(file, []byte("\xef\xbb\xbf")), 0o644); err != nil {
		b.Fatal(err)
	}
	cols := make([]string, 14)
	for i := range cols {
		cols[i] = fmt.Sprintf("c%d text", i)
	}
	if _, err := s.Exec(`CREATE TABLE IF NOT EXISTS bare (` + strings.Join(cols, ", ") + `)`); err != nil {
		b.Fatal(err)
	}
	u, _ := url.Parse(s.conf.URL())
	start := time.Now()
	out, err := exec.Command(psql, u.String(), "-c", `\copy bare FROM '`+path+`' CSV HEADER`).CombinedOutput()
	copyTime := time.Since(start)
	if err != nil {
		b.Fatalf("psql \\copy: %v\n%s", err, out)
	}
	b.ReportMetric(copyTime.Seconds(), "psql-copy-s")
	b.ReportMetric(ours.Seconds()/copyTime.Seconds(), "x-psql-copy")
}

// BenchmarkDryRunChanges lists the changes of a 100,000-row file over a
// roster of the same entities, each row changing its unit and risk class:
// 200,000 field changes, streamed to a sink that only counts them, with
// the heap in use sampled as they arrive.
func BenchmarkDryRunChanges(b *testing.B) {
	const n = 100_000
	s := newSeeded(b)
	rosters, actor := rosterService(s.DB), actingAs(b, s, "wl-planner")
	ctx := context.Background()
	if _, err := rosters.ImportAs(ctx, actor, roster.KindEntities, bytes.NewReader(entityFile(b, 0, n, roster.FormatCSV)), "base.csv", false, nil); err != nil {
		b.Fatal(err)
	}
	changed := bytes.ReplaceAll(entityFile(b, 0, n, roster.FormatCSV), []byte("执法中队"), []byte("执法所"))
	changed = bytes.ReplaceAll(changed, []byte(",A,"), []byte(",B,"))
	for i := 0; i < b.N; i++ {
		sink := &countingSink{}
		res, err := rosters.ImportAs(ctx, actor, roster.KindEntities, bytes.NewReader(changed), "changed.csv", true, sink)
		if err != nil || sink.n < n || res.Updated != n {
			b.Fatalf("dry run: %d changes, %+v, %v", sink.n, res, err)
		}
		b.ReportMetric(float64(sink.n), "changes")
		b.ReportMetric(float64(sink.peak)/(1<<20), "peak-heap-MiB")
	}
}

// countingSink counts changes and samples the heap in use every 10,000.
type countingSink struct {
	n    int
	peak uint64
}

func (c *countingSink) Cleared(int) error { return nil }

func (c *countingSink) Change(roster.FieldChange) error {
	if c.n++; c.n%10_000 == 0 {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		c.peak = max(c.peak, m.HeapInuse)
	}
	return nil
}
