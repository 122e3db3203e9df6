package roster

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The bombs here are made by the tests, never checked in: small files that
// unpack or parse to something huge.

// xlsxWith writes a minimal workbook whose first sheet is sheetXML and
// whose shared strings are sst ("" for none), streaming each part so that
// a bomb of gigabytes takes little memory to make.
func xlsxWith(t testing.TB, sheet, sst func(w io.Writer) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	parts := []struct {
		name string
		body func(io.Writer) error
	}{
		{"[Content_Types].xml", text(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`)},
		{"_rels/.rels", text(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)},
		{"xl/workbook.xml", text(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`)},
		{"xl/_rels/workbook.xml.rels", text(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`)},
		{"xl/worksheets/sheet1.xml", sheet},
		{"xl/sharedStrings.xml", sst},
	}
	for _, p := range parts {
		if p.body == nil {
			continue
		}
		w, err := z.CreateHeader(&zip.FileHeader{Name: p.name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.body(w); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func text(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

const sheetHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`
const sheetTail = `</sheetData></worksheet>`

// inlineRow is a row of inline-string cells.
func inlineRow(n int, cells ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<row r="%d">`, n)
	for i, c := range cells {
		fmt.Fprintf(&b, `<c r="%c%d" t="inlineStr"><is><t>%s</t></is></c>`, 'A'+i, n, c)
	}
	b.WriteString(`</row>`)
	return b.String()
}

// repeat writes s n times.
func repeat(w io.Writer, s string, n int) error {
	chunk := strings.Repeat(s, max(1, (64<<10)/len(s)))
	per := len(chunk) / len(s)
	for n > 0 {
		k := min(n, per)
		if _, err := io.WriteString(w, chunk[:k*len(s)]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

func oneSharedString(w io.Writer) error {
	_, err := io.WriteString(w, sheetHead+inlineRow(1, "统一社会信用代码", "名称")+
		`<row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2" t="s"><v>2</v></c></row>`+sheetTail)
	return err
}

// sst is a shared strings part of n copies of si.
func sst(si string, n int) func(io.Writer) error {
	return func(w io.Writer) error {
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
		repeat(w, si, n)
		_, err := io.WriteString(w, `</sst>`)
		return err
	}
}

// peakHeap runs f and returns the most heap in use meanwhile, sampled
// every millisecond, above what was in use before.
func peakHeap(f func()) uint64 {
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	f()
	close(done)
	wg.Wait()
	if p := peak.Load(); p > base.HeapInuse {
		return p - base.HeapInuse
	}
	return 0
}

// importBound is what one import may hold in memory, whatever the file.
const importBound = 300 << 20

func TestXLSXBombs(t *testing.T) {
	header := inlineRow(1, "统一社会信用代码", "名称")
	bombs := []struct {
		name  string
		sheet func(io.Writer) error
		sst   func(io.Writer) error
		want  string
	}{
		{"OneHugeCell", func(w io.Writer) error {
			io.WriteString(w, sheetHead+header+`<row r="2"><c r="A2" t="inlineStr"><is><t>`)
			repeat(w, "A", 900<<20)
			_, err := io.WriteString(w, `</t></is></c></row>`+sheetTail)
			return err
		}, nil, "cell or tag of more than"},
		{"HugeAttribute", func(w io.Writer) error {
			io.WriteString(w, sheetHead+header+`<row r="2" x="`)
			repeat(w, "A", 300<<20)
			_, err := io.WriteString(w, `"></row>`+sheetTail)
			return err
		}, nil, "cell or tag of more than"},
		{"LargeSharedStrings", oneSharedString, sst(`<si><t>x</t></si>`, 4<<20), "too large"},
		{"ManySharedStrings", oneSharedString, sst(`<si><t>x</t></si>`, 1_300_000), "too large"},
		// Just within both bounds of shared strings: read, and refused for its content.
		{"SharedStringsAtTheCountBound", oneSharedString, sst(`<si><t>阳城县示例</t></si>`, 1_190_000), "wrong length"},
		{"SharedStringsAtTheSizeBound", oneSharedString, sst(`<si><t>山西省晋城市阳城县凤城镇示例路1号阳城县示例文化传媒有限公司示例文化传媒</t></si>`, 380_000), "wrong length"},
		{"ManyColumns", func(w io.Writer) error {
			io.WriteString(w, sheetHead+`<row r="1">`)
			for i := 1; i <= 16384; i++ {
				fmt.Fprintf(w, `<c t="inlineStr"><is><t>c%d</t></is></c>`, i)
			}
			_, err := io.WriteString(w, `</row>`+sheetTail)
			return err
		}, nil, "at most 256 columns"},
	}
	for _, b := range bombs {
		t.Run(b.name, func(t *testing.T) {
			data := xlsxWith(t, b.sheet, b.sst)
			t.Logf("%d bytes", len(data))
			var err error
			peak := peakHeap(func() {
				var s Sheet
				if s, err = OpenSheet(bytes.NewReader(data), "bomb.xlsx"); err == nil {
					_, problems := ReadEntities(s, 0)
					s.Close()
					if len(problems) > 0 {
						err = problems[0]
					}
				}
			})
			t.Logf("peak heap %d MiB: %v", peak>>20, err)
			if err == nil || !strings.Contains(err.Error(), b.want) {
				t.Errorf("err = %v, want one saying %q", err, b.want)
			}
			if peak > importBound {
				t.Errorf("reading the bomb took %d MiB, more than %d", peak>>20, importBound>>20)
			}
		})
	}
}

// TestHostileCSV reads files made to break the reader: each is refused
// with one problem naming the row, within the memory bound.
func TestHostileCSV(t *testing.T) {
	const header = "统一社会信用代码,名称,许可证号\n"
	const good = "91350100M000100Y43,甲,140522120001\n"
	var fb strings.Builder // rows past the first 64 KiB
	for i := 0; fb.Len() < 70<<10; i++ {
		body := fmt.Sprintf("91140522MA%07d", i)
		c, _ := USCCCheckChar(body)
		fmt.Fprintf(&fb, "%s%c,乙,1\n", body, c)
	}
	filler := fb.String()
	fillerRows := strings.Count(filler, "\n")
	utf8Row := "91140522MA0T00001R,阳城县示例,1\n"
	gbRow := "91140522MA0T00001R,\xd1\xf4\xb3\xc7\xcf\xd8,1\n" // 阳城县 in GB18030
	cases := []struct {
		name string
		data string
		want string
	}{
		{"NULInFirstRow", header + "9135\x000100M000100Y43,甲,1\n", "row 2, column 统一社会信用代码: the cell holds a NUL byte"},
		{"NULPast64KiB", header + filler + "91350100M000100Y43,甲\x00,1\n", fmt.Sprintf("row %d, column 名称: the cell holds a NUL byte", fillerRows+2)},
		{"GB18030RowInUTF8File", header + utf8Row + good + gbRow, "row 4, column 名称: the cell is not UTF-8 text"},
		{"ScientificLicenceNumber", header + "91350100M000100Y43,甲,1.40523E+13\n", "row 2, column 许可证号: \"1.40523E+13\" is a number Excel wrote in scientific notation"},
		{"ScientificUSCC", header + "9.13501E+17,甲,1\n", "format the column as text"},
		{"ManyColumns", strings.Repeat("x,", 100_000) + "x\n" + good, "the row has 100001 cells; a roster file has at most 256 columns"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var problems []FieldError
			peak := peakHeap(func() {
				s, err := OpenSheet(strings.NewReader(c.data), "hostile.csv")
				if err != nil {
					problems = []FieldError{{Message: err.Error()}}
					errors.As(err, &problems[0])
					return
				}
				defer s.Close()
				_, problems = ReadEntities(s, 0)
			})
			if len(problems) == 0 || !strings.Contains(problems[0].Error(), c.want) {
				t.Fatalf("problems = %v, want the first saying %q", problems, c.want)
			}
			if len(problems) > 3 || len(problems[0].Error()) > 300 {
				t.Errorf("%d problems, the first %d bytes long: want one clear one", len(problems), len(problems[0].Error()))
			}
			if peak > importBound {
				t.Errorf("took %d MiB", peak>>20)
			}
		})
	}
}

// TestLargestCSVMemory reads the largest CSV file an import accepts, every
// row valid and its cells long, within the memory bound.
func TestLargestCSVMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 64 MB")
	}
	var b strings.Builder
	b.WriteString("统一社会信用代码,名称,住所,法定代表人\n")
	addr := strings.Repeat("阳城县凤城镇", 20)
	for i := 0; b.Len() < MaxImportBytes-1000 && i < DefaultLimits.MaxRows; i++ {
		body := fmt.Sprintf("91140522MA%07d", i)
		c, _ := USCCCheckChar(body)
		fmt.Fprintf(&b, "%s%c,阳城县第%d号示例文化传媒有限公司,%s%d号,张三\n", body, c, i, addr, i)
	}
	data := b.String()
	var rows []EntityRow
	var problems []FieldError
	peak := peakHeap(func() {
		s, err := OpenSheet(strings.NewReader(data), "large.csv")
		if err != nil {
			t.Error(err)
			return
		}
		rows, problems = ReadEntities(s, 0)
		s.Close()
	})
	t.Logf("%d MB, %d rows: peak heap %d MiB", len(data)>>20, len(rows), peak>>20)
	if len(problems) > 0 || len(rows) == 0 {
		t.Fatalf("problems %v", problems[:min(3, len(problems))])
	}
	if peak > importBound-MaxImportBytes { // the service holds the file beside the rows
		t.Errorf("took %d MiB", peak>>20)
	}
}
