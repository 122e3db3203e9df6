package roster

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

var formats = []Format{FormatCSV, FormatXLSX}

func write(t *testing.T, f func(*bytes.Buffer) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := f(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestWriteTemplateImports: a template holds no row of data, so that an
// import of a template filled in partly never adds its example; its
// example row, pasted into the data sheet, is refused.
func TestWriteTemplateImports(t *testing.T) {
	for _, format := range formats {
		for _, kind := range []Kind{KindEntities, KindInspectors, KindItems} {
			t.Run("OK/"+kind.String()+"/"+format.String(), func(t *testing.T) {
				data := write(t, func(b *bytes.Buffer) error { return WriteTemplate(b, kind, format) })
				s := mustOpen(t, data, "template."+format.String())
				if got := s.Header()[0]; !strings.HasPrefix(got, "*") {
					t.Errorf("template header starts with %q, want the required key column marked", got)
				}
				if row, _, err := s.Next(); err == nil {
					t.Errorf("template has a row of data: %q", row)
				}
			})
		}
		t.Run("ErrExampleRow/"+format.String(), func(t *testing.T) {
			ex, err := schemas[KindEntities].example()
			if err != nil {
				t.Fatal(err)
			}
			data := write(t, func(b *bytes.Buffer) error {
				return writeTable(b, format, schemas[KindEntities], true, func(emit func([]any) error) error { return emit(ex) })
			})
			_, errs := ReadEntities(mustOpen(t, data, "t"), 0)
			if len(errs) != 1 || errs[0].Row != 2 || !strings.Contains(errs[0].Message, "example row") {
				t.Errorf("ReadEntities(template with its example) = %v, want row 2 refused as the example", errs)
			}
		})
	}
	t.Run("OK/GuideSheet", func(t *testing.T) {
		data := write(t, func(b *bytes.Buffer) error { return WriteTemplate(b, KindEntities, FormatXLSX) })
		f, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := f.GetRows(guideSheet)
		if err != nil || len(rows) < 15 || rows[1][2] != "91350100M000100Y43" || !strings.Contains(strings.Join(rows[9], " "), ClearMarker) {
			t.Errorf("guide sheet = %q, %v; want the example and notes of every column", rows, err)
		}
		if list := f.GetSheetList(); list[0] != "检查对象名录" {
			t.Errorf("sheets = %q, want the data sheet first", list)
		}
	})
}

func TestWriteTemplateCSVStartsWithBOM(t *testing.T) {
	data := write(t, func(b *bytes.Buffer) error { return WriteTemplate(b, KindEntities, FormatCSV) })
	if !bytes.HasPrefix(data, []byte("\xEF\xBB\xBF*统一社会信用代码,*名称,法定代表人,")) {
		t.Errorf("CSV template starts %q", data[:40])
	}
}

// The XLSX template formats identifier columns as text, so that Excel keeps
// the digits of what users type, and makes the header bold.
func TestWriteTemplateXLSXFormats(t *testing.T) {
	data := write(t, func(b *bytes.Buffer) error { return WriteTemplate(b, KindEntities, FormatXLSX) })
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !reflect.DeepEqual(got, []string{"检查对象名录", guideSheet}) {
		t.Errorf("sheets = %q", got)
	}
	id, err := f.GetColStyle("检查对象名录", "A")
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := f.GetStyle(id); st == nil || st.NumFmt != 49 {
		t.Errorf("column A style = %+v, want number format 49 (text)", st)
	}
	id, _ = f.GetCellStyle("检查对象名录", "B1")
	if st, _ := f.GetStyle(id); st == nil || st.Font == nil || !st.Font.Bold {
		t.Errorf("header style = %+v, want bold", st)
	}
}

func TestWriteEntitiesRoundTrip(t *testing.T) {
	rows := genEntities(t, 50)
	rows[0].Name = "=HYPERLINK(\"http://example.com\")" // CSV injection: escaped, and back
	rows[1].Name = "'=already quoted"
	rows[2].Address = "-1号\n二层, \"东\"侧"
	rows[3].LegalRepresentative = "@张三"
	rows[4].LicenceNumber = "000123"
	rows[5].Code = makeUSCC(t, "91140522000000001") // all digits but the check: Excel would make it a number
	rows[6].Code, rows[6].CodeKind = "110108000000016", CodeRegistrationNumber
	rows[7].Status, rows[8].Status, rows[9].Status, rows[10].Status = StatusSuspended, StatusDeregistered, StatusRevoked, StatusMoved
	rows[11].RiskClass = ""
	rows[12].SeriousViolation = true
	for _, format := range formats {
		t.Run("OK/"+format.String(), func(t *testing.T) {
			data := write(t, func(b *bytes.Buffer) error { return WriteEntities(b, format, rows) })
			got, errs := ReadEntities(mustOpen(t, data, "export"), 0)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			for i := range got {
				got[i].Row, got[i].Given = 0, 0
			}
			want := append([]EntityRow(nil), rows...)
			for i := range want {
				want[i].Row = 0
			}
			if !reflect.DeepEqual(got, want) {
				for i := range got {
					if !reflect.DeepEqual(got[i], want[i]) {
						t.Errorf("row %d = %+v\nwant %+v", i, got[i], want[i])
					}
				}
			}
		})
	}
	csv := string(write(t, func(b *bytes.Buffer) error { return WriteEntities(b, FormatCSV, rows[:4]) }))
	for _, want := range []string{`"'=HYPERLINK(""http://example.com"")"`, `''=already quoted`, `'@张三`, `"'-1号`} {
		if !strings.Contains(csv, want) {
			t.Errorf("the CSV export lacks %s:\n%s", want, csv)
		}
	}
}

func TestWriteInspectorsRoundTrip(t *testing.T) {
	rows := []InspectorRow{
		{Name: "李四", CertificateNumber: "14052219001", Unit: "执法队", IssuedOn: day(2024, 3, 1), ExpiresOn: *day(2029, 2, 28),
			Qualifications: []string{"WH01", "WH02"}, Status: InspectorActive},
		{Name: "王五", CertificateNumber: "晋A0001", ExpiresOn: *day(2026, 12, 31), Status: InspectorInactive},
	}
	for _, format := range formats {
		t.Run("OK/"+format.String(), func(t *testing.T) {
			data := write(t, func(b *bytes.Buffer) error { return WriteInspectors(b, format, rows) })
			got, errs := ReadInspectors(mustOpen(t, data, "export"), 0)
			for i := range got {
				got[i].Row, got[i].Given = 0, 0
			}
			if len(errs) > 0 || !reflect.DeepEqual(got, rows) {
				t.Errorf("ReadInspectors(WriteInspectors(rows)) = %+v, %v\nwant %+v", got, errs, rows)
			}
		})
	}
}

func TestWriteItemsRoundTrip(t *testing.T) {
	rows := []ItemRow{
		{Code: "WHLY-001", Name: "娱乐场所经营活动检查", LegalBasis: "《娱乐场所管理条例》第三十四条；《娱乐场所管理办法》", SubjectBureau: "文旅局",
			EntityTypes: []string{"娱乐场所", "互联网上网服务营业场所"}, Methods: []string{"实地检查", "书面检查"}, Ratio: 3333,
			FrequencyPerYear: 2, Qualifications: []string{"WH01"}, Checklist: []string{"是否取得许可证", "是否悬挂警示标志, 是否按时营业"}},
		{Code: "WHLY-002", Name: "旅行社检查", Ratio: 1},
		{Code: "WHLY-003", Name: "演出检查", Ratio: 10000, FrequencyPerYear: 12},
	}
	for _, format := range formats {
		t.Run("OK/"+format.String(), func(t *testing.T) {
			data := write(t, func(b *bytes.Buffer) error { return WriteItems(b, format, rows) })
			got, errs := ReadItems(mustOpen(t, data, "export"), 0)
			for i := range got {
				got[i].Row = 0
			}
			if len(errs) > 0 || !reflect.DeepEqual(got, rows) {
				t.Errorf("ReadItems(WriteItems(rows)) = %+v, %v\nwant %+v", got, errs, rows)
			}
		})
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"csv": FormatCSV, ".XLSX": FormatXLSX, " xlsx ": FormatXLSX} {
		if got, err := ParseFormat(in); got != want || err != nil {
			t.Errorf("ParseFormat(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseFormat("xls"); err == nil {
		t.Error("ParseFormat(xls) = nil error")
	}
}
