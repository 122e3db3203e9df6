package roster

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

type gotRow struct {
	Line  int
	Cells []string
}

// drain reads every row of s, failing on any error.
func drain(t *testing.T, s Sheet) []gotRow {
	t.Helper()
	var rows []gotRow
	for {
		row, line, err := s.Next()
		if err == io.EOF {
			return rows
		}
		if err != nil {
			t.Fatalf("Next: line %d: %v", line, err)
		}
		rows = append(rows, gotRow{line, append([]string(nil), row...)})
	}
}

func mustOpen(t *testing.T, data []byte, name string) Sheet {
	t.Helper()
	s, err := OpenSheet(bytes.NewReader(data), name)
	if err != nil {
		t.Fatalf("OpenSheet(%s): %v", name, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func gb18030(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOpenSheetCSV(t *testing.T) {
	utf16, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte("名称\t状态\r\n甲\t在营\r\n"))
	tests := []struct {
		name       string
		data       []byte
		wantHeader []string
		wantHRow   int
		want       []gotRow
	}{
		{"OK/UTF8", []byte("名称,状态\n甲,在营\n"), []string{"名称", "状态"}, 1, []gotRow{{2, []string{"甲", "在营"}}}},
		{"OK/UTF8BOM", []byte("\xEF\xBB\xBF名称,状态\r\n甲,在营\r\n"), []string{"名称", "状态"}, 1, []gotRow{{2, []string{"甲", "在营"}}}},
		{"OK/GB18030", gb18030(t, "名称,状态\r\n𠮷祥网吧,停业\r\n"), []string{"名称", "状态"}, 1, []gotRow{{2, []string{"𠮷祥网吧", "停业"}}}},
		{"OK/UTF16Tabs", utf16, []string{"名称", "状态"}, 1, []gotRow{{2, []string{"甲", "在营"}}}},
		{"OK/Tabs", []byte("名称\t住所\n甲\t北街1号, 二层\n"), []string{"名称", "住所"}, 1, []gotRow{{2, []string{"甲", "北街1号, 二层"}}}},
		{"OK/Semicolons", []byte("名称;状态\n甲;在营\n"), []string{"名称", "状态"}, 1, []gotRow{{2, []string{"甲", "在营"}}}},
		{"OK/BlankRowsKeepExcelNumbers", []byte("\n名称,状态\n\n甲,在营\n,,\n  , \n乙,注销\n\n"), []string{"名称", "状态"}, 2,
			[]gotRow{{4, []string{"甲", "在营"}}, {7, []string{"乙", "注销"}}}},
		{"OK/LineBreakInCellIsOneRow", []byte("名称,检查内容\n甲,\"一\n二\r\n三\"\n乙,四\n"), []string{"名称", "检查内容"}, 1,
			[]gotRow{{2, []string{"甲", "一\n二\n三"}}, {3, []string{"乙", "四"}}}},
		{"OK/QuotesAndCommas", []byte("名称,住所\n\"\"\"金嗓子\"\"歌舞厅\",\"东街8号，二层, 北\"\n"), []string{"名称", "住所"}, 1,
			[]gotRow{{2, []string{`"金嗓子"歌舞厅`, "东街8号，二层, 北"}}}},
		{"OK/FormulaEscapeRemoved", []byte("名称,住所\n'=1+1,'-北街\n''=x,'abc\n"), []string{"名称", "住所"}, 1,
			[]gotRow{{2, []string{"=1+1", "-北街"}}, {3, []string{"'=x", "'abc"}}}},
		{"OK/RaggedRows", []byte("a,b,c\n1\n1,2,3,4\n"), []string{"a", "b", "c"}, 1,
			[]gotRow{{2, []string{"1"}}, {3, []string{"1", "2", "3", "4"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustOpen(t, tt.data, "roster.csv")
			if got := s.Header(); !reflect.DeepEqual(got, tt.wantHeader) {
				t.Errorf("Header() = %q, want %q", got, tt.wantHeader)
			}
			if got := s.HeaderRow(); got != tt.wantHRow {
				t.Errorf("HeaderRow() = %d, want %d", got, tt.wantHRow)
			}
			if got := drain(t, s); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("rows = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// A GB18030 file whose first 64 KiB are ASCII is still decoded: the
// encoding is decided at the first non-ASCII byte.
func TestOpenSheetCSVLateGB18030(t *testing.T) {
	var b strings.Builder
	b.WriteString("uscc,name\n")
	for b.Len() < 3*sniffWindow {
		b.WriteString("91350100M000100Y43,ABC Trading\n")
	}
	data := append([]byte(b.String()), gb18030(t, "91350100M000100Y43,阳城县东关网吧\n")...)
	rows := drain(t, mustOpen(t, data, "late.csv"))
	if got := rows[len(rows)-1].Cells[1]; got != "阳城县东关网吧" {
		t.Errorf("last name = %q, want 阳城县东关网吧", got)
	}
}

func TestOpenSheetGB18030File(t *testing.T) {
	data, err := os.ReadFile("testdata/entities_gb18030.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows := drain(t, mustOpen(t, data, "entities_gb18030.csv"))
	if len(rows) != 3 {
		t.Fatalf("got %d rows, want 3", len(rows))
	}
	if got, want := rows[0].Cells[1], "阳城县凤城镇𠮷祥网吧"; got != want {
		t.Errorf("name = %q, want %q", got, want)
	}
	if got, want := rows[2].Cells[1], `阳城县"金嗓子"歌舞娱乐有限公司`; got != want {
		t.Errorf("name = %q, want %q", got, want)
	}
}

func TestOpenSheetTooLarge(t *testing.T) {
	_, err := Limits{MaxBytes: 100}.OpenSheet(strings.NewReader(strings.Repeat("甲\n", 100)), "a.csv")
	if !errors.Is(err, errTooLarge) {
		t.Errorf("OpenSheet of 300 bytes with MaxBytes 100 = %v, want %v", err, errTooLarge)
	}
	_, err = Limits{MaxBytes: 100}.OpenSheet(bytes.NewReader(xlsxFile(t, map[int][]any{1: {"名称"}})), "a.xlsx")
	if !errors.Is(err, errTooLarge) {
		t.Errorf("OpenSheet of a workbook with MaxBytes 100 = %v, want %v", err, errTooLarge)
	}
}

func TestOpenSheetErrors(t *testing.T) {
	tests := []struct {
		name, file string
		data       []byte
		wantMsg    string
	}{
		{"ErrEmpty", "a.csv", nil, "the file is empty: expected a header row"},
		{"ErrOnlyBOM", "a.csv", []byte("\xEF\xBB\xBF"), "the file is empty"},
		{"ErrOnlyBlankRows", "a.csv", []byte("\r\n\n ,, \n"), "the file is empty"},
		{"ErrOldXLS", "a.xls", []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0}, "old-style .xls"},
		{"ErrNamedXLSX", "a.xlsx", []byte("名称\n甲\n"), "is named .xlsx but is not an Excel workbook"},
		{"ErrBrokenZip", "a.xlsx", []byte("PK\x03\x04garbage"), "the workbook cannot be read"},
		{"ErrBinary", "a.csv", []byte("a,b\x00\x01\x02"), "row 1, column B: the cell holds a NUL byte"},
		{"ErrHeaderQuote", "a.csv", []byte("a\"b,c\n"), "row 1: the CSV text is malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := OpenSheet(bytes.NewReader(tt.data), tt.file)
			if err == nil {
				s.Close()
				t.Fatalf("OpenSheet = nil error, want %q", tt.wantMsg)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("OpenSheet = %q, want it to say %q", err, tt.wantMsg)
			}
		})
	}
}

// nextErr reads to the first error that is not io.EOF.
func nextErr(t *testing.T, s Sheet) (int, error) {
	t.Helper()
	for {
		_, line, err := s.Next()
		if err == io.EOF {
			t.Fatal("no error before the end")
		}
		if err != nil {
			return line, err
		}
	}
}

func TestSheetRowErrors(t *testing.T) {
	big := strings.Repeat("长", 1<<20/3+1) // a cell of more than 1 MB
	tests := []struct {
		name     string
		lim      Limits
		data     string
		wantLine int
		wantRow  bool // a FieldError: reading may go on
		wantMsg  string
	}{
		{"ErrCellTooLarge", Limits{}, "名称,住所\n甲,x\n乙," + big + "\n", 3, true, "row 3, column 住所: the cell has 1048578 bytes; at most 65536"},
		{"ErrCellTooLargeNoHeader", Limits{}, "名称\n甲,x," + big + "\n", 2, true, "column C"},
		{"ErrTooManyRows", Limits{MaxRows: 2}, "名称\n甲\n乙\n\n丙\n", 5, false, "more than 2 rows"},
		{"ErrTooLarge", Limits{MaxBytes: 1 << 20}, "名称\n" + strings.Repeat("阳城县某某网吧\n", 1<<16), 0, false, "the file is too large"},
		{"ErrBareQuote", Limits{}, "名称,住所\n甲,x\n乙,东\"街\"\n", 3, false, "malformed"},
		{"ErrUnclosedQuote", Limits{}, "名称,住所\n甲,\"x\n乙,y\n", 2, false, "malformed"},
		{"ErrMixedEncoding", Limits{}, "名称,住所\n" + strings.Repeat("甲,x\n", sniffWindow) + "乙,\xB6\xAB\n", 2 + sniffWindow, true, "not UTF-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.lim.OpenSheet(strings.NewReader(tt.data), "a.csv")
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			line, err := nextErr(t, s)
			var fe FieldError
			if line != tt.wantLine || errors.As(err, &fe) != tt.wantRow || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Next = line %d, %q (FieldError %v); want line %d, %q (FieldError %v)",
					line, err, errors.As(err, &fe), tt.wantLine, tt.wantMsg, tt.wantRow)
			}
		})
	}
}

// After a row that is too large the reader goes on with the next.
func TestSheetGoesOnAfterLargeCell(t *testing.T) {
	s := mustOpen(t, []byte("名称\n"+strings.Repeat("x", 1<<20)+"\n乙\n"), "a.csv")
	if _, _, err := s.Next(); err == nil {
		t.Fatal("Next = nil error for a 1 MB cell")
	}
	row, line, err := s.Next()
	if err != nil || line != 3 || row[0] != "乙" {
		t.Errorf("Next = %q, %d, %v; want [乙], 3, nil", row, line, err)
	}
}

// xlsxFile builds a workbook with excelize's ordinary API, as Excel would
// save one: cells of several types, a gap and a blank row.
func xlsxFile(t *testing.T, rows map[int][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for r, cells := range rows {
		for c, v := range cells {
			cell, _ := excelize.CoordinatesToCellName(c+1, r)
			if err := f.SetCellValue("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestOpenSheetXLSX(t *testing.T) {
	day := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	data := xlsxFile(t, map[int][]any{
		2: {"名称", "最近行政处罚日期", "投诉次数", "经营异常名录"},
		3: {"甲", day, 3, true},
		4: {"", "", ""},
		6: {"乙", "2026/1/2", nil, false},
	})
	s := mustOpen(t, data, "upload.bin") // the name does not matter for a workbook
	if got, want := s.Header(), []string{"名称", "最近行政处罚日期", "投诉次数", "经营异常名录"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Header() = %q, want %q", got, want)
	}
	if got := s.HeaderRow(); got != 2 {
		t.Errorf("HeaderRow() = %d, want 2", got)
	}
	want := []gotRow{{3, []string{"甲", "46024", "3", "1"}}, {6, []string{"乙", "2026/1/2", "", "0"}}}
	if got := drain(t, s); !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %+v, want %+v", got, want)
	}
}

func TestOpenSheetXLSXEmpty(t *testing.T) {
	_, err := OpenSheet(bytes.NewReader(xlsxFile(t, nil)), "a.xlsx")
	if err == nil || err.Error() != "the file is empty: expected a header row" {
		t.Errorf("OpenSheet(empty workbook) = %v, want the empty file error", err)
	}
}

func TestParseDate(t *testing.T) {
	want := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	for _, s := range []string{"2026-01-02", "2026-1-2", "2026/1/2", "2026/01/02", "2026.1.2", "2026年1月2日", "2026年01月02日",
		"20260102", "46024", "46024.75", " 2026-01-02 ", "2026-01-02 00:00:00", "2026-01-02T08:00:00+08:00"} {
		t.Run("OK/"+s, func(t *testing.T) {
			got, err := ParseDate(s)
			if err != nil || !got.Equal(want) || got.Location() != time.UTC {
				t.Errorf("ParseDate(%q) = %v, %v; want %v", s, got, err, want)
			}
		})
	}
	for _, tt := range []struct{ in, want string }{
		{"61", "1900-03-01"}, {"45658", "2025-01-01"}, {"2024-02-29", "2024-02-29"}, {"19491001", "1949-10-01"},
	} {
		t.Run("OK/"+tt.in, func(t *testing.T) {
			got, err := ParseDate(tt.in)
			if err != nil || got.Format(time.DateOnly) != tt.want {
				t.Errorf("ParseDate(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
			}
		})
	}
	for _, s := range []string{"", "2026-02-30", "2025-02-29", "2026-13-01", "2026-00-10", "26-1-2", "1/2/2026", "2026-1", "60",
		"20261301", "1.5e4", "-46024", "2026-01-02-03", "二〇二六年一月二日", "18991231", "22000101", "NaN", "2026--2"} {
		t.Run("Err/"+s, func(t *testing.T) {
			if got, err := ParseDate(s); err == nil {
				t.Errorf("ParseDate(%q) = %v, want an error", s, got)
			}
		})
	}
}

// A forged workbook whose part claims a gigabyte is refused before excelize
// allocates the gigabyte.
func TestOpenSheetXLSXForgedSize(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "xl/worksheets/sheet1.xml", Method: zip.Deflate,
		CompressedSize64: 2, UncompressedSize64: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte{3, 0})
	zw.Close()
	_, err = OpenSheet(bytes.NewReader(buf.Bytes()), "a.xlsx")
	if err == nil || !strings.Contains(err.Error(), "the workbook is damaged") {
		t.Errorf("OpenSheet(forged sizes) = %v, want the damaged workbook error", err)
	}
}

// excelize's temporary files go to a directory of the sheet's own, which
// Close removes, and which a workbook that fails to open leaves behind.
func TestOpenSheetXLSXRemovesTemporaryFiles(t *testing.T) {
	count := func() int {
		m, _ := filepath.Glob(filepath.Join(os.TempDir(), tempPrefix+"*", "xlsx-*"))
		return len(m)
	}
	before := count()
	s := mustOpen(t, xlsxFile(t, map[int][]any{1: {"名称"}, 2: {"甲"}}), "a.xlsx")
	if count() != before+1 {
		t.Errorf("an open workbook has %d temporary directories, want %d", count(), before+1)
	}
	s.Close()
	broken := xlsxFile(t, map[int][]any{1: {"名称"}})
	broken = bytes.Replace(broken, []byte("xl/workbook.xml"), []byte("xl/workbook.xmX"), -1)
	if _, err := OpenSheet(bytes.NewReader(broken), "a.xlsx"); err == nil {
		t.Error("OpenSheet(workbook without workbook.xml) = nil error")
	}
	if count() != before {
		t.Errorf("after Close and a failed open %d temporary directories are left, want %d", count(), before)
	}
}
