package roster

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// Format is a file format for import and export.
type Format int

// The file formats.
const (
	FormatCSV  Format = iota + 1 // UTF-8 with a byte order mark, so that Excel opens it right
	FormatXLSX                   // the first worksheet
)

func (f Format) String() string {
	switch f {
	case FormatCSV:
		return "csv"
	case FormatXLSX:
		return "xlsx"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// ParseFormat reads "csv" or "xlsx", in any case, with or without a dot.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), ".")) {
	case "csv":
		return FormatCSV, nil
	case "xlsx":
		return FormatXLSX, nil
	}
	return 0, fmt.Errorf("unknown file format %q: use csv or xlsx", s)
}

// WriteTemplate writes the import template of kind: the header row, with
// required columns marked by an asterisk, and no row of data, so that a
// template filled in only partly never imports an example as an entity.
// In XLSX the header is bold and frozen, identifier columns are formatted
// as text, and a second worksheet, 填写说明, shows an example of every
// column and how to keep or clear a value; imports read only the first.
func WriteTemplate(w io.Writer, kind Kind, format Format) error {
	s := schemas[kind]
	if s == nil {
		return fmt.Errorf("roster: no template for %v", kind)
	}
	if _, err := s.example(); err != nil {
		return fmt.Errorf("roster: the %v template's example: %w", kind, err)
	}
	return writeTable(w, format, s, true, func(emit func([]any) error) error { return nil })
}

// guideSheet is the name of a template's second worksheet.
const guideSheet = "填写说明"

// writeGuide adds the worksheet that explains each column of a template.
func writeGuide(f *excelize.File, s *schema) error {
	if _, err := f.NewSheet(guideSheet); err != nil {
		return err
	}
	rows := [][]any{{"列 (column)", "必填 (required)", "示例 (example)", "说明 (notes)"}}
	for _, c := range s.cols {
		required := ""
		if c.required {
			required = "是"
		}
		rows = append(rows, []any{c.header, required, c.example, guideNote(c)})
	}
	rows = append(rows, []any{}, []any{"导入时只读取第一个工作表。缺少的列保留原值；" +
		"填写" + ClearMarker + "清空该项。The import reads the first worksheet only. A column left out keeps what the roster has; " +
		ClearMarker + " clears a value."})
	for i, r := range rows {
		if err := f.SetSheetRow(guideSheet, "A"+strconv.Itoa(i+1), &r); err != nil {
			return err
		}
	}
	return f.SetColWidth(guideSheet, "A", "D", 30)
}

// guideNote says what a column accepts and what an empty cell does.
func guideNote(c column) string {
	var notes []string
	if c.accepted != "" {
		notes = append(notes, "可填 (accepted): "+c.accepted)
	}
	switch {
	case c.required:
		notes = append(notes, "不可为空 (never empty)")
	case c.clearable:
		notes = append(notes, "空白即清空 (an empty cell clears it)")
	default:
		notes = append(notes, "空白保留原值，填"+ClearMarker+"清空 (an empty cell keeps the value; "+ClearMarker+" clears it)")
	}
	return strings.Join(notes, "；")
}

// WriteEntities exports rows in format, with the columns and headers of the
// template, so that the file imports again to the same rows.
func WriteEntities(w io.Writer, format Format, rows []EntityRow) error {
	return writeRows(w, format, KindEntities, rows, entityValues)
}

// WriteInspectors exports rows as WriteEntities does.
func WriteInspectors(w io.Writer, format Format, rows []InspectorRow) error {
	return writeRows(w, format, KindInspectors, rows, inspectorValues)
}

// WriteItems exports rows as WriteEntities does.
func WriteItems(w io.Writer, format Format, rows []ItemRow) error {
	return writeRows(w, format, KindItems, rows, itemValues)
}

func writeRows[T any](w io.Writer, format Format, kind Kind, rows []T, values func(*T, []any)) error {
	s := schemas[kind]
	return writeTable(w, format, s, false, func(emit func([]any) error) error {
		v := make([]any, len(s.cols))
		for i := range rows {
			clear(v)
			values(&rows[i], v)
			if err := emit(v); err != nil {
				return err
			}
		}
		return nil
	})
}

// The values functions fill one cell per column: a string, an int, a
// time.Time, or nil for an empty cell.
func entityValues(e *EntityRow, v []any) {
	v[entCode], v[entName], v[entLegalRep], v[entAddress] = e.Code, e.Name, e.LegalRepresentative, e.Address
	v[entType], v[entLicenceType], v[entLicenceNumber], v[entUnit] = e.Type, e.LicenceType, e.LicenceNumber, e.Unit
	v[entRiskClass], v[entStatus] = string(e.RiskClass), e.Status.Label()
	v[entAbnormal], v[entSerious] = yesNo(e.AbnormalOperations), yesNo(e.SeriousViolation)
	v[entComplaints], v[entLastPenalty] = e.Complaints, date(e.LastPenaltyDate)
}

func inspectorValues(r *InspectorRow, v []any) {
	v[insName], v[insCert], v[insUnit] = r.Name, r.CertificateNumber, r.Unit
	v[insIssued], v[insExpires] = date(r.IssuedOn), date(&r.ExpiresOn)
	v[insQualifications], v[insStatus] = strings.Join(r.Qualifications, "、"), r.Status.Label()
}

func itemValues(r *ItemRow, v []any) {
	v[itCode], v[itName], v[itBasis], v[itBureau] = r.Code, r.Name, r.LegalBasis, r.SubjectBureau
	v[itEntityTypes], v[itMethods] = strings.Join(r.EntityTypes, "、"), strings.Join(r.Methods, "、")
	if r.Ratio > 0 {
		v[itRatio] = r.Ratio.String()
	}
	v[itFrequency], v[itQualifications] = formatFrequency(r.FrequencyPerYear), strings.Join(r.Qualifications, "、")
	v[itChecklist] = strings.Join(r.Checklist, "\n")
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

func date(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return *t
}

// example parses the columns' example cells, so that a template's example
// row is what an import of it reads.
func (s *schema) example() ([]any, error) {
	cells := make([]string, len(s.cols))
	for i, c := range s.cols {
		cells[i] = c.example
	}
	m, errs := MapHeader(s.kind, s.headers(false), 1)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	v := make([]any, len(s.cols))
	switch s.kind {
	case KindEntities:
		r, errs := ParseEntityRow(m, cells, 2)
		entityValues(&r, v)
		return v, firstError(errs)
	case KindInspectors:
		r, errs := ParseInspectorRow(m, cells, 2)
		inspectorValues(&r, v)
		return v, firstError(errs)
	}
	r, errs := ParseItemRow(m, cells, 2)
	itemValues(&r, v)
	return v, firstError(errs)
}

func firstError(errs []FieldError) error {
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// headers returns the header row; marked puts an asterisk before the
// required columns, as templates do.
func (s *schema) headers(marked bool) []string {
	h := make([]string, len(s.cols))
	for i, c := range s.cols {
		h[i] = c.header
		if marked && c.required {
			h[i] = "*" + c.header
		}
	}
	return h
}

// writeTable writes the header and the rows that fill emits.
func writeTable(w io.Writer, format Format, s *schema, template bool, fill func(emit func([]any) error) error) error {
	switch format {
	case FormatCSV:
		return writeCSV(w, s, template, fill)
	case FormatXLSX:
		return writeXLSX(w, s, template, fill)
	}
	return fmt.Errorf("roster: unknown %v", format)
}

func writeCSV(w io.Writer, s *schema, template bool, fill func(emit func([]any) error) error) error {
	if _, err := w.Write(utf8BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // what Excel writes, and what Notepad on older Windows needs
	if err := cw.Write(s.headers(template)); err != nil {
		return err
	}
	rec := make([]string, len(s.cols))
	err := fill(func(v []any) error {
		for i, x := range v {
			rec[i] = csvCell(x)
		}
		return cw.Write(rec)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

func csvCell(x any) string {
	switch x := x.(type) {
	case string:
		if formulaLike(x) {
			return "'" + x
		}
		return x
	case int:
		return strconv.Itoa(x)
	case time.Time:
		return x.Format(time.DateOnly)
	}
	return ""
}

// formulaLike reports whether Excel would run a cell as a formula (CSV
// injection), looking past apostrophes so that escaping stays reversible:
// a CSV export writes such a cell after an apostrophe, and the CSV reader
// takes one apostrophe off (formulaEscaped).
func formulaLike(s string) bool {
	s = strings.TrimLeft(s, "'")
	return s != "" && strings.IndexByte("=+-@", s[0]) >= 0
}

func formulaEscaped(s string) bool {
	return len(s) > 1 && s[0] == '\'' && formulaLike(s)
}

func writeXLSX(w io.Writer, s *schema, template bool, fill func(emit func([]any) error) error) (err error) {
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if err := f.SetSheetName("Sheet1", s.label); err != nil {
		return err
	}
	sw, st, err := newXLSXStream(f, s)
	if err != nil {
		return err
	}
	header := make([]any, len(s.cols))
	for i, h := range s.headers(template) {
		header[i] = excelize.Cell{StyleID: st.header, Value: h}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	row := 1
	err = fill(func(v []any) error {
		row++
		return sw.SetRow("A"+strconv.Itoa(row), xlsxCells(v, st))
	})
	if err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	if template {
		if err := writeGuide(f, s); err != nil {
			return err
		}
	}
	return f.Write(w)
}

type xlsxStyles struct{ header, text, date int }

// newXLSXStream sets up the worksheet: styles, column widths and formats,
// and the frozen header row, all of which must come before the rows.
func newXLSXStream(f *excelize.File, s *schema) (*excelize.StreamWriter, xlsxStyles, error) {
	var st xlsxStyles
	var err error
	dateFmt := "yyyy-mm-dd"
	if st.header, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return nil, st, err
	}
	if st.text, err = f.NewStyle(&excelize.Style{NumFmt: 49}); err != nil { // 49 is "@", text
		return nil, st, err
	}
	if st.date, err = f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt}); err != nil {
		return nil, st, err
	}
	sw, err := f.NewStreamWriter(s.label)
	if err != nil {
		return nil, st, err
	}
	for i, c := range s.cols {
		if err := sw.SetColWidth(i+1, i+1, columnWidth(c)); err != nil {
			return nil, st, err
		}
		if c.cell == cellCode {
			if err := sw.SetColStyle(i+1, i+1, st.text); err != nil {
				return nil, st, err
			}
		}
	}
	return sw, st, sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
}

func columnWidth(c column) float64 {
	switch {
	case c.maxLen > defaultMaxLen:
		return 40
	case c.cell == cellCode:
		return 22
	}
	return 14
}

// xlsxCells turns values into cells in place: empty strings into no cell,
// dates into date cells.
func xlsxCells(v []any, st xlsxStyles) []any {
	for i, x := range v {
		switch x := x.(type) {
		case string:
			if x == "" {
				v[i] = nil
			}
		case time.Time:
			v[i] = excelize.Cell{StyleID: st.date, Value: x}
		}
	}
	return v
}
