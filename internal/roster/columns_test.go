package roster

import (
	"bytes"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func day(y, m, d int) *time.Time {
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	return &t
}

func mustMap(t *testing.T, kind Kind, header ...string) *HeaderMap {
	t.Helper()
	m, errs := MapHeader(kind, header, 1)
	if len(errs) > 0 {
		t.Fatalf("MapHeader(%q) = %v", header, errs)
	}
	return m
}

func TestMapHeader(t *testing.T) {
	tests := []struct {
		name   string
		header []string
	}{
		{"OK/Chinese", []string{"统一社会信用代码", "名称", "状态"}},
		{"OK/RequiredMarks", []string{"*统一社会信用代码", " ＊名称 ", "状态*"}},
		{"OK/English", []string{"USCC", "Name", "status"}},
		{"OK/EnglishSpaces", []string{"Credit Code", " name ", "Status"}},
		{"OK/Aliases", []string{"统一社会信用代码（注册号）", "企业名称", "经营状态"}},
		{"OK/SerialNumberIgnored", []string{"序号", "统一社会信用代码", "名称", "状态", ""}},
		{"OK/StrayByteOrderMark", []string{"\ufeff统一社会信用代码", "名称", "状态"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustMap(t, KindEntities, tt.header...)
			off := len(tt.header) - 3
			if tt.header[len(tt.header)-1] == "" {
				off--
			}
			row := make([]string, len(tt.header))
			copy(row[off:], []string{"91350100M000100Y43", "甲", "注销"})
			got, errs := ParseEntityRow(m, row, 2)
			if len(errs) > 0 || got.Code != "91350100M000100Y43" || got.Name != "甲" || got.Status != StatusDeregistered {
				t.Errorf("ParseEntityRow = %+v, %v", got, errs)
			}
		})
	}
}

func TestMapHeaderErrors(t *testing.T) {
	tests := []struct {
		name   string
		kind   Kind
		header []string
		want   []FieldError
	}{
		{"ErrUnknown", KindEntities, []string{"统一社会信用代码", "名称", "电话", "Email"}, []FieldError{
			{Row: 1, Column: "电话", Message: schemas[KindEntities].unknown},
			{Row: 1, Column: "Email", Message: schemas[KindEntities].unknown},
		}},
		{"ErrMissingRequired", KindEntities, []string{"名称", "状态"}, []FieldError{
			{Row: 1, Column: "统一社会信用代码", Message: "required column is missing"},
		}},
		{"ErrTwice", KindEntities, []string{"统一社会信用代码", "名称", "企业名称"}, []FieldError{
			{Row: 1, Column: "企业名称", Message: "a second 名称 column (the first is column B)"},
		}},
		{"ErrTitleRow", KindEntities, []string{"阳城县检查对象名录", "", ""}, []FieldError{
			{Row: 1, Message: "the first non-blank row must be the header row; delete the title rows above it"},
		}},
		{"ErrInspectorMissing", KindInspectors, []string{"姓名"}, []FieldError{
			{Row: 1, Column: "执法证号", Message: "required column is missing"},
			{Row: 1, Column: "有效期至", Message: "required column is missing"},
		}},
		{"ErrEntityHeaderForItems", KindItems, []string{"统一社会信用代码", "名称"}, []FieldError{
			{Row: 1, Column: "统一社会信用代码", Message: schemas[KindItems].unknown},
			{Row: 1, Column: "名称", Message: schemas[KindItems].unknown},
			{Row: 1, Column: "事项编码", Message: "required column is missing"},
			{Row: 1, Column: "事项名称", Message: "required column is missing"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, got := MapHeader(tt.kind, tt.header, 1)
			if m != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("MapHeader(%q) = %v, %+v; want nil, %+v", tt.header, m, got, tt.want)
			}
		})
	}
	if msg := schemas[KindEntities].unknown; !strings.Contains(msg, "统一社会信用代码, 名称, 法定代表人, 住所") {
		t.Errorf("the unknown column message %q does not list the columns", msg)
	}
}

var fullEntityHeader = []string{"统一社会信用代码", "名称", "法定代表人", "住所", "类型", "许可证类型", "许可证号", "属地单位",
	"风险分类", "状态", "经营异常名录", "严重违法失信名单", "投诉次数", "最近行政处罚日期"}

func TestParseEntityRow(t *testing.T) {
	m := mustMap(t, KindEntities, fullEntityHeader...)
	tests := []struct {
		name string
		row  []string
		want EntityRow
	}{
		{"OK/Full", []string{" 91350100m000100y43 ", "阳城县东关网吧", "王五", "东关街12号", "互联网上网服务营业场所", "网络文化经营许可证",
			"14052213000101", "凤城中队", "c", "停业", "是", "否", "3", "2025/6/30"},
			EntityRow{Row: 2, Code: "91350100M000100Y43", CodeKind: CodeUSCC, Name: "阳城县东关网吧", LegalRepresentative: "王五",
				Address: "东关街12号", Type: "互联网上网服务营业场所", LicenceType: "网络文化经营许可证", LicenceNumber: "14052213000101",
				Unit: "凤城中队", RiskClass: RiskC, Status: StatusSuspended, AbnormalOperations: true, Complaints: 3,
				LastPenaltyDate: day(2025, 6, 30)}},
		{"OK/Defaults", []string{"110108000000016", "甲"},
			EntityRow{Row: 2, Code: "110108000000016", CodeKind: CodeRegistrationNumber, Name: "甲", Status: StatusActive}},
		{"OK/ChineseWords", []string{"91350100M000100Y43", "甲", "", "", "", "", "", "", "较高风险", "吊销，未注销", "已列入", "TRUE", "0", "45838"},
			EntityRow{Row: 2, Code: "91350100M000100Y43", CodeKind: CodeUSCC, Name: "甲", RiskClass: RiskC, Status: StatusRevoked,
				AbnormalOperations: true, SeriousViolation: true, LastPenaltyDate: day(2025, 6, 30)}},
		{"OK/EnglishWords", []string{"91350100M000100Y43", "甲", "", "", "", "", "", "", "D", "Moved", "no", "yes", "", ""},
			EntityRow{Row: 2, Code: "91350100M000100Y43", CodeKind: CodeUSCC, Name: "甲", RiskClass: RiskD, Status: StatusMoved, SeriousViolation: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := ParseEntityRow(m, tt.row, 2)
			got.Given = 0 // TestGivenFields checks it
			if len(errs) > 0 || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseEntityRow = %+v, %v\nwant %+v", got, errs, tt.want)
			}
		})
	}
}

// A row with many problems reports them all, each under the header the
// user wrote.
func TestParseEntityRowEveryProblem(t *testing.T) {
	m := mustMap(t, KindEntities, "USCC", "*名称", "风险分类", "状态", "经营异常名录", "投诉次数", "最近处罚日期", "住所")
	row := []string{"91350100M000100Y44", " ", "E", "倒闭", "也许", "-1", "2025-02-30", strings.Repeat("址", 501)}
	_, got := ParseEntityRow(m, row, 7)
	want := []string{
		"row 7, column USCC: wrong check character: the 18th character of 91350100M000100Y44 is '4', expected '3'",
		"row 7, column *名称: required: the cell is empty",
		"row 7, column 住所: too long: 501 characters, at most 500",
		`row 7, column 风险分类: "E" is not one of the accepted values: A, B, C, D (or 低, 一般, 较高, 高)`,
		`row 7, column 状态: "倒闭" is not one of the accepted values: ` + statusAccepted,
		`row 7, column 经营异常名录: "也许" is not one of the accepted values: ` + flagAccepted,
		`row 7, column 投诉次数: "-1" is not a count: write a whole number such as 3`,
		`row 7, column 最近处罚日期: "2025-02-30" is not a date: there is no day 30 in month 2`,
	}
	var msgs []string
	for _, e := range got {
		msgs = append(msgs, e.Error())
	}
	if !reflect.DeepEqual(msgs, want) {
		t.Errorf("ParseEntityRow errors =\n%s\nwant\n%s", strings.Join(msgs, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseEntityRowExtraCell(t *testing.T) {
	m := mustMap(t, KindEntities, "统一社会信用代码", "名称", "住所")
	_, got := ParseEntityRow(m, []string{"91350100M000100Y43", "甲", "东街8号", "二层"}, 4)
	if len(got) != 1 || got[0].Column != "D" || !strings.Contains(got[0].Message, "more cells than the header") {
		t.Errorf("ParseEntityRow(4 cells, 3 headers) = %v, want one problem in column D", got)
	}
	if _, got := ParseEntityRow(m, []string{"91350100M000100Y43", "甲", "东街8号", " ", ""}, 4); len(got) > 0 {
		t.Errorf("ParseEntityRow(empty cells past the header) = %v, want none", got)
	}
}

func TestParseRowWrongKindPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("ParseItemRow with an entity header did not panic")
		}
	}()
	ParseItemRow(mustMap(t, KindEntities, "统一社会信用代码", "名称"), []string{"x"}, 2)
}

func TestParseInspectorRow(t *testing.T) {
	m := mustMap(t, KindInspectors, "姓名", "执法证号", "所属单位", "发证日期", "有效期至", "资格", "状态")
	tests := []struct {
		name     string
		row      []string
		want     InspectorRow
		wantErrs []string
	}{
		{"OK", []string{"李四", "１４０５２２１９００１", "执法队", "2024-03-01", "2029/2/28", "WH01、WH02,WH03；WH01 WH04", "在岗"},
			InspectorRow{Row: 3, Name: "李四", CertificateNumber: "14052219001", Unit: "执法队", IssuedOn: day(2024, 3, 1),
				ExpiresOn: *day(2029, 2, 28), Qualifications: []string{"WH01", "WH02", "WH03", "WH04"}, Status: InspectorActive}, nil},
		{"OK/Retired", []string{"王", "A1", "", "", "46387", "", "退休"},
			InspectorRow{Row: 3, Name: "王", CertificateNumber: "A1", ExpiresOn: *day(2026, 12, 31), Status: InspectorInactive}, nil},
		{"ErrExpiresBeforeIssued", []string{"李四", "X1", "", "2024-03-01", "2023-03-01", "", ""},
			InspectorRow{}, []string{"row 3, column 有效期至: the certificate expires before it was issued (2024-03-01)"}},
		{"ErrRequired", []string{"", "", "", "", "", "", "出差"}, InspectorRow{}, []string{
			"row 3, column 姓名: required: the cell is empty",
			"row 3, column 执法证号: required: the cell is empty",
			"row 3, column 有效期至: required: the cell is empty",
			`row 3, column 状态: "出差" is not one of the accepted values: 在岗 (正常, 在职), 离岗 (调离, 退休, 停用), or active, inactive`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := ParseInspectorRow(m, tt.row, 3)
			var msgs []string
			for _, e := range errs {
				msgs = append(msgs, e.Error())
			}
			if !reflect.DeepEqual(msgs, tt.wantErrs) {
				t.Errorf("ParseInspectorRow errors = %q, want %q", msgs, tt.wantErrs)
			}
			got.Given = 0 // TestGivenFields checks it
			if tt.wantErrs == nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseInspectorRow = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseItemRow(t *testing.T) {
	m := mustMap(t, KindItems, "事项编码", "事项名称", "抽查依据", "主体部门", "适用对象类型", "检查方式", "抽查比例", "抽查频次", "资格要求", "检查内容")
	row := []string{"whly-001", "娱乐场所经营活动检查", "《娱乐场所管理条例》", "文旅局", "娱乐场所、 互联网上网服务营业场所", "实地检查,书面检查",
		"5%", "每季度1次", "WH01", "是否取得许可证；\n是否悬挂警示标志\r\n\n是否 超时经营"}
	want := ItemRow{Row: 2, Code: "WHLY-001", Name: "娱乐场所经营活动检查", LegalBasis: "《娱乐场所管理条例》", SubjectBureau: "文旅局",
		EntityTypes: []string{"娱乐场所", "互联网上网服务营业场所"}, Methods: []string{"实地检查", "书面检查"}, Ratio: 500,
		FrequencyPerYear: 4, Qualifications: []string{"WH01"}, Checklist: []string{"是否取得许可证", "是否悬挂警示标志", "是否 超时经营"}}
	got, errs := ParseItemRow(m, row, 2)
	if len(errs) > 0 || !reflect.DeepEqual(got, want) {
		t.Errorf("ParseItemRow = %+v, %v\nwant %+v", got, errs, want)
	}
	_, errs = ParseItemRow(m, []string{"X", "Y", "", "", "", "", "5", "常常"}, 2)
	if len(errs) != 2 || errs[0].Column != "抽查比例" || errs[1].Column != "抽查频次" {
		t.Errorf("ParseItemRow(bad ratio and frequency) = %v, want two problems", errs)
	}
}

func TestParseRatio(t *testing.T) {
	tests := []struct {
		in   string
		want Ratio
	}{
		{"5%", 500}, {" 5 % ", 500}, {"５％", 500}, {"0.5%", 50}, {"100%", 10000}, {"33.333%", 3333}, {"0.01%", 1},
		{"1/20", 500}, {"1 / 3", 3333}, {"3/100", 300}, {"1/1", 10000}, {"0.05", 500}, {".1", 1000}, {"0.999", 9990},
	}
	for _, tt := range tests {
		t.Run("OK/"+tt.in, func(t *testing.T) {
			if got, err := ParseRatio(tt.in); got != tt.want || err != nil {
				t.Errorf("ParseRatio(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
	for _, in := range []string{"", "5", "1", "0", "0%", "0.001%", "101%", "2/1", "1/0", "0/5", "-5%", "abc", "5%%", "1e-2", "NaN", "Inf%", "0x1p-2", "1/2/3", "五%"} {
		t.Run("Err/"+in, func(t *testing.T) {
			if got, err := ParseRatio(in); err == nil {
				t.Errorf("ParseRatio(%q) = %v, want an error", in, got)
			}
		})
	}
	for r := Ratio(1); r <= 10000; r++ {
		if got, err := ParseRatio(r.String()); got != r || err != nil {
			t.Fatalf("ParseRatio(%q) = %v, %v; want %v", r.String(), got, err, r)
		}
	}
}

func TestParseFrequency(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"1", 1}, {"2次/年", 2}, {"每年1次", 1}, {"每年两次", 2}, {"每年一次", 1}, {"每半年1次", 2}, {"每季度1次", 4},
		{"每季度", 4}, {"每季2次", 8}, {"每月1次", 12}, {"1次/季度", 4}, {"１次／年", 1}, {"不定期", 0}, {"12次", 12},
	}
	for _, tt := range tests {
		t.Run("OK/"+tt.in, func(t *testing.T) {
			if got, err := ParseFrequency(tt.in); got != tt.want || err != nil {
				t.Errorf("ParseFrequency(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
	for _, in := range []string{"0", "-1", "经常", "每周1次", "1000", "每年1000次", "每月31次", "1.5", "每年零次"} {
		t.Run("Err/"+in, func(t *testing.T) {
			if got, err := ParseFrequency(in); err == nil {
				t.Errorf("ParseFrequency(%q) = %v, want an error", in, got)
			}
		})
	}
}

// readEntitiesCSV opens text as a CSV file and reads it as an entity roster.
func readEntitiesCSV(t *testing.T, text string, maxErrors int) ([]EntityRow, []FieldError) {
	t.Helper()
	s := mustOpen(t, []byte(text), "entities.csv")
	return ReadEntities(s, maxErrors)
}

func TestReadEntities(t *testing.T) {
	rows, errs := readEntitiesCSV(t, "序号,统一社会信用代码,名称\n1,91350100M000100Y43,甲\n\n2,110108000000016,乙\n", 0)
	want := []EntityRow{
		{Row: 2, Code: "91350100M000100Y43", CodeKind: CodeUSCC, Name: "甲", Status: StatusActive},
		{Row: 4, Code: "110108000000016", CodeKind: CodeRegistrationNumber, Name: "乙", Status: StatusActive},
	}
	for i := range rows {
		rows[i].Given = 0
	}
	if len(errs) > 0 || !reflect.DeepEqual(rows, want) {
		t.Errorf("ReadEntities = %+v, %v; want %+v", rows, errs, want)
	}
}

func TestReadEntitiesErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"ErrDuplicateUSCC", "统一社会信用代码,名称\n91350100M000100Y43,甲\n110108000000016,乙\n 91350100m000100y43,丙\n", []string{
			"row 4, column 统一社会信用代码: 91350100M000100Y43 is also in row 2: each may be in the file once"}},
		{"ErrWrongHeader", "代码,名称\n91350100M000100Y43,甲\n", []string{
			"row 1, column 代码: " + schemas[KindEntities].unknown,
			"row 1, column 统一社会信用代码: required column is missing"}},
		{"ErrOneBadRowImportsNothing", "统一社会信用代码,名称\n91350100M000100Y43,甲\n110108000000017,乙\n", []string{
			"row 3, column 统一社会信用代码: wrong check character: the 15th digit of 110108000000017 is '7', expected '6'"}},
		{"ErrCellTooLargeAndMore", "统一社会信用代码,名称\n91350100M000100Y43," + strings.Repeat("x", 1<<20) + "\nX,乙\n", []string{
			"row 2, column 名称: the cell has 1048576 bytes; at most 65536 are allowed",
			`row 3, column 统一社会信用代码: wrong length: an entity code has 18 characters (统一社会信用代码) or 15 digits (注册号); "X" has 1`}},
		{"ErrMalformedStops", "统一社会信用代码,名称\nX,甲\n91350100M000100Y43,\"乙\n", []string{
			`row 2, column 统一社会信用代码: wrong length: an entity code has 18 characters (统一社会信用代码) or 15 digits (注册号); "X" has 1`,
			`row 3: the CSV text is malformed (extraneous or missing " in quoted-field, at line 3 of the text): a cell with a quote (") must be in quotes, its quotes doubled; saving the file from Excel again fixes this`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, errs := readEntitiesCSV(t, tt.text, 0)
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			if rows != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ReadEntities = %d rows, errors\n%s\nwant none and\n%s", len(rows), strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestReadEntitiesErrorLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("统一社会信用代码,名称\n")
	for i := 0; i < 150; i++ {
		fmt.Fprintf(&b, "%s,\n", testUSCC(t, i)) // each row lacks its name
	}
	_, errs := readEntitiesCSV(t, b.String(), 100)
	if len(errs) != 101 || errs[99].Row != 101 || errs[100] != (FieldError{Message: "and 50 more problems"}) {
		t.Errorf("ReadEntities listed %d problems, the 100th %v, the last %v; want 100 and \"and 50 more problems\"", len(errs), errs[99], errs[len(errs)-1])
	}
}

func TestReadInspectorsAndItemsDuplicates(t *testing.T) {
	s := mustOpen(t, []byte("姓名,执法证号,有效期至\n甲,a-1,2030-01-01\n乙,A-1,2030-01-01\n"), "i.csv")
	if _, errs := ReadInspectors(s, 0); len(errs) != 1 || errs[0].Error() != "row 3, column 执法证号: A-1 is also in row 2: each may be in the file once" {
		t.Errorf("ReadInspectors(duplicate certificate) = %v", errs)
	}
	s = mustOpen(t, []byte("事项编码,事项名称\nW1,甲\nw1,乙\n"), "items.csv")
	if _, errs := ReadItems(s, 0); len(errs) != 1 || errs[0].Error() != "row 3, column 事项编码: W1 is also in row 2: each may be in the file once" {
		t.Errorf("ReadItems(duplicate code) = %v", errs)
	}
}

// genEntities makes n valid, distinct, realistic entity rows.
func genEntities(tb testing.TB, n int) []EntityRow {
	rows := make([]EntityRow, n)
	units := []string{"凤城中队", "北留中队", "润城中队", "町店中队"}
	for i := range rows {
		rows[i] = EntityRow{Code: testUSCC(tb, i), CodeKind: CodeUSCC, Name: fmt.Sprintf("阳城县第%d号文化娱乐有限公司", i),
			LegalRepresentative: "张三", Address: fmt.Sprintf("山西省晋城市阳城县凤城镇东关街%d号", i%997), Type: "娱乐场所",
			LicenceType: "娱乐经营许可证", LicenceNumber: fmt.Sprintf("1405221%07d", i), Unit: units[i%len(units)],
			RiskClass: RiskClass("ABCD"[i%4 : i%4+1]), Status: StatusActive, AbnormalOperations: i%50 == 0, Complaints: i % 7}
		if i%10 == 0 {
			rows[i].LastPenaltyDate = day(2025, 1+i%12, 1+i%28)
		}
	}
	return rows
}

// benchmarkReadEntities reads data, holding n entities, again and again.
func benchmarkReadEntities(b *testing.B, data []byte, name string, n int) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		s, err := OpenSheet(bytes.NewReader(data), name)
		if err != nil {
			b.Fatal(err)
		}
		rows, errs := ReadEntities(s, 0)
		if len(errs) > 0 || len(rows) != n {
			b.Fatalf("ReadEntities = %d rows, %v", len(rows), errs)
		}
		s.Close()
	}
}

const benchRows = 100_000

func BenchmarkReadEntitiesCSV(b *testing.B) {
	var buf bytes.Buffer
	if err := WriteEntities(&buf, FormatCSV, genEntities(b, benchRows)); err != nil {
		b.Fatal(err)
	}
	benchmarkReadEntities(b, buf.Bytes(), "entities.csv", benchRows)
}

// BenchmarkReadEntitiesXLSX reads a workbook as WriteEntities exports it,
// with its text in inline strings, and as Excel saves it, with its text
// in the shared string table: what users upload after editing.
func BenchmarkReadEntitiesXLSX(b *testing.B) {
	rows := genEntities(b, benchRows)
	b.Run("export", func(b *testing.B) {
		var buf bytes.Buffer
		if err := WriteEntities(&buf, FormatXLSX, rows); err != nil {
			b.Fatal(err)
		}
		benchmarkReadEntities(b, buf.Bytes(), "entities.xlsx", benchRows)
	})
	b.Run("excel", func(b *testing.B) {
		benchmarkReadEntities(b, sharedStringsWorkbook(b, rows), "entities.xlsx", benchRows)
	})
}

// sharedStringsWorkbook writes rows with excelize's cell API, which, like
// Excel, keeps text in the shared string table.
func sharedStringsWorkbook(b *testing.B, rows []EntityRow) []byte {
	f := excelize.NewFile()
	defer f.Close()
	s := schemas[KindEntities]
	header := s.headers(false)
	if err := f.SetSheetRow("Sheet1", "A1", &header); err != nil {
		b.Fatal(err)
	}
	v := make([]any, len(s.cols))
	for i := range rows {
		clear(v)
		entityValues(&rows[i], v)
		if err := f.SetSheetRow("Sheet1", "A"+strconv.Itoa(i+2), &v); err != nil {
			b.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}
