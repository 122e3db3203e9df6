package roster

import (
	"bytes"
	"errors"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

func FuzzValidEntityCode(f *testing.F) {
	for _, s := range append(realUSCCs, "110108000000016", "110108000000017", "91350100M000100Y44", "９１３５０１００Ｍ０００１００Ｙ４３",
		" 91350100m000100y43 ", "", "9.1350100E+17", "91350100中000100Y43", "\xff\xfe", "ZZZZZZZZZZZZZZZZZZ") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kind, err := ValidEntityCode(s)
		n := NormalizeEntityCode(s)
		if NormalizeEntityCode(n) != n {
			t.Errorf("NormalizeEntityCode is not idempotent on %q: %q", s, n)
		}
		if err != nil {
			checkCodeError(t, s, err)
		} else if kind == CodeUSCC && (len(n) != 18 || ValidUSCC(n) != nil) || kind == CodeRegistrationNumber && (len(n) != 15 || !allDigits(n)) {
			t.Errorf("ValidEntityCode(%q) = %v, nil for %q", s, kind, n)
		}
		if err := ValidUSCC(s); err != nil {
			checkCodeError(t, s, err)
		}
		if err := ValidRegistrationNumber(s); err != nil {
			checkCodeError(t, s, err)
		}
		if len(s) >= 17 {
			if c, err := USCCCheckChar(s[:17]); err == nil {
				if err := ValidUSCC(s[:17] + string(c)); err != nil && !errors.Is(err, ErrCodeCharacter) {
					t.Errorf("ValidUSCC(%q + its check character) = %v", s[:17], err)
				}
			}
		}
	})
}

func checkCodeError(t *testing.T, s string, err error) {
	t.Helper()
	known := errors.Is(err, ErrCodeMissing) || errors.Is(err, ErrCodeLength) || errors.Is(err, ErrCodeCharacter) || errors.Is(err, ErrCodeCheck)
	if !known || len(err.Error()) < 20 {
		t.Errorf("error for %q is not a clear code error: %v", s, err)
	}
}

func FuzzParseValues(f *testing.F) {
	for _, s := range []string{"2026-01-02", "2026/1/2", "20260102", "46024", "2026年1月2日", "5%", "1/20", "0.05", "每季度1次", "2次/年", "不定期"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := ParseDate(s); err == nil {
			if again, err := ParseDate(d.Format(time.DateOnly)); err != nil || !again.Equal(d) {
				t.Errorf("ParseDate(%q) = %v, which does not read back: %v, %v", s, d, again, err)
			}
		} else if err.Error() == "" {
			t.Errorf("ParseDate(%q): empty error", s)
		}
		if r, err := ParseRatio(s); err == nil {
			if again, err := ParseRatio(r.String()); err != nil || again != r || r < 1 || r > 10000 {
				t.Errorf("ParseRatio(%q) = %v, which does not read back: %v, %v", s, r, again, err)
			}
		}
		if n, err := ParseFrequency(s); err == nil {
			if again, err := ParseFrequency(formatFrequency(n)); (n != 0 && (err != nil || again != n)) || n < 0 || n > 366 {
				t.Errorf("ParseFrequency(%q) = %v, which does not read back: %v, %v", s, n, again, err)
			}
		}
	})
}

// FuzzOpenSheetCSV feeds any bytes to OpenSheet and ReadEntities: they
// never panic, and either return rows or problems that each name a row.
func FuzzOpenSheetCSV(f *testing.F) {
	gb, err := os.ReadFile("testdata/entities_gb18030.csv")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(gb)
	var tmpl bytes.Buffer
	if err := WriteTemplate(&tmpl, KindEntities, FormatCSV); err != nil {
		f.Fatal(err)
	}
	f.Add(tmpl.Bytes())
	for _, s := range []string{"", "\xEF\xBB\xBF", "统一社会信用代码,名称\n91350100M000100Y43,甲\n\n91350100M000100Y43,乙\n",
		"uscc\tname\n110108000000016\t\"a\nb\"\n", "a\"b,c\n", "统一社会信用代码,名称\n\"x,\"\"y\"\n", "名称;uscc\r\n甲;x;y\r\n",
		"\xFF\xFE名\x00称\x00", "统一社会信用代码,名称\n'=1,'-2\n"} {
		f.Add([]byte(s))
	}
	f.Add([]byte("统一社会信用代码,名称\n" + strings.Repeat("x,", 5000) + "\n"))
	f.Add([]byte("统一社会信用代码,名称\n91350100M000100Y43,\x00\n"))
	lim := Limits{MaxBytes: 1 << 20, MaxRows: 1000, MaxCellBytes: 256}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSheetRows(t, lim, data)
		var s Sheet
		var err error
		var rows []EntityRow
		var errs []FieldError
		used := allocated(func() {
			if s, err = lim.OpenSheet(bytes.NewReader(data), "fuzz.csv"); err == nil {
				rows, errs = ReadEntities(s, 10)
				s.Close()
			}
		})
		if bound := csvMemoryBound(len(data)); used > bound {
			t.Fatalf("reading %d bytes of CSV allocated %d bytes, more than %d", len(data), used, bound)
		}
		if err != nil {
			if err.Error() == "" {
				t.Error("OpenSheet: empty error")
			}
			return
		}
		if rows != nil && errs != nil {
			t.Fatalf("ReadEntities returned both %d rows and %d problems", len(rows), len(errs))
		}
		for _, e := range errs {
			if e.Message == "" || e.Row < s.HeaderRow() && !strings.HasPrefix(e.Message, "and ") {
				t.Errorf("problem %+v names no row of the file", e)
			}
		}
		for i, r := range rows {
			if r.Row <= s.HeaderRow() || i > 0 && r.Row <= rows[i-1].Row || ValidUSCC(r.Code) != nil && ValidRegistrationNumber(r.Code) != nil {
				t.Errorf("row %d = %+v after header row %d", i, r, s.HeaderRow())
			}
		}
	})
}

// checkSheetRows reads data as a bare Sheet: row numbers rise, and every
// error names a row.
func checkSheetRows(t *testing.T, lim Limits, data []byte) {
	s, err := lim.OpenSheet(bytes.NewReader(data), "fuzz.csv")
	if err != nil {
		return
	}
	defer s.Close()
	last := s.HeaderRow()
	for {
		row, line, err := s.Next()
		if err == io.EOF {
			return
		}
		var fe FieldError
		if errors.As(err, &fe) && fe.Row != line {
			t.Fatalf("FieldError %v for line %d", fe, line)
		}
		if line <= last {
			t.Fatalf("row %d after row %d (%q, %v)", line, last, row, err)
		}
		if err != nil && !errors.As(err, &fe) {
			return
		}
		last = line
	}
}

// FuzzOpenSheetXLSX feeds broken workbooks to OpenSheet and ReadEntities:
// they never panic, and what they allocate stays bounded by the limits,
// whatever the file claims to unpack to.
func FuzzOpenSheetXLSX(f *testing.F) {
	var tmpl bytes.Buffer
	if err := WriteTemplate(&tmpl, KindEntities, FormatXLSX); err != nil {
		f.Fatal(err)
	}
	f.Add(tmpl.Bytes())
	f.Add(xlsxWith(f, func(w io.Writer) error {
		io.WriteString(w, sheetHead+inlineRow(1, "统一社会信用代码", "名称")+`<row r="2"><c r="A2" t="inlineStr"><is><t>`)
		repeat(w, "A", 5<<20)
		_, err := io.WriteString(w, `</t></is></c></row>`+sheetTail)
		return err
	}, nil))
	f.Add(xlsxWith(f, oneSharedString, sst(`<si><t>x</t></si>`, 20_000)))
	lim := Limits{MaxBytes: 1 << 20, MaxRows: 1000, MaxCellBytes: 256}
	f.Fuzz(func(t *testing.T, data []byte) {
		var rows []EntityRow
		var errs []FieldError
		used := allocated(func() {
			s, err := lim.OpenSheet(bytes.NewReader(data), "fuzz.xlsx")
			if err != nil {
				return
			}
			rows, errs = ReadEntities(s, 10)
			s.Close()
		})
		if used > xlsxMemoryBound {
			t.Fatalf("reading %d bytes of XLSX allocated %d bytes, more than %d", len(data), used, xlsxMemoryBound)
		}
		if rows != nil && errs != nil {
			t.Fatalf("ReadEntities returned both %d rows and %d problems", len(rows), len(errs))
		}
	})
}

// allocated is how many bytes f allocates on the heap (in all, freed or
// not: a bound on the most it holds at once).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// The memory bounds of the fuzz targets' reads, with their limits of
// 1 MiB a file: CSV in proportion to the file, XLSX to what the limits
// let it unpack (8 MiB) and parse.
func csvMemoryBound(n int) uint64 { return 4<<20 + 64*uint64(n) }

const xlsxMemoryBound = 256 << 20
