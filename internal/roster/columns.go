package roster

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// Kind names what a roster file holds.
type Kind int

// The kinds of roster files: 一单两库.
const (
	KindEntities   Kind = iota + 1 // 检查对象名录库
	KindInspectors                 // 执法检查人员名录库
	KindItems                      // 抽查事项清单
)

func (k Kind) String() string {
	if s := schemas[k]; s != nil {
		return s.name
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// EntityRow is one row of an entity roster file: the entity, and the
// importing bureau's entry for it.
type EntityRow struct {
	Row                 int      // row number in the file
	Code                string   // USCC, or 注册号 when CodeKind says so; normalised
	CodeKind            CodeKind //
	Name                string
	LegalRepresentative string
	Address             string
	Type                string // industry or kind of entity, as the bureau names it (娱乐场所, 旅行社…)
	LicenceType         string
	LicenceNumber       string
	Unit                string     // 属地单位: the jurisdiction unit that supervises the entity
	RiskClass           RiskClass  // "" when the bureau has not classified it
	Status              Status     // StatusActive when the file leaves it empty
	AbnormalOperations  bool       // on the 经营异常名录
	SeriousViolation    bool       // on the 严重违法失信名单
	Complaints          int        // complaints received
	LastPenaltyDate     *time.Time // of the last administrative penalty; nil when none
	// Given is the fields the row sets; the others keep what the roster
	// has (or take their defaults for a new entity). A field given with
	// its zero value clears it. See Fields.
	Given Fields
}

// Fields is a set of the columns of a kind of roster file, each the bit
// of its EntityField or InspectorField: the fields a row sets. Absent is
// not empty: a column missing from a file, a field missing from a form,
// an empty cell of a column that is not clearable (see Clearable) is not
// in the set, and what the roster holds for it stays.
type Fields uint32

// AllFields sets every field: the row is the whole record.
const AllFields Fields = 1<<32 - 1

// Has reports whether the set holds field f (an EntityField or
// InspectorField).
func (s Fields) Has(f interface{ Bit() Fields }) bool { return s&f.Bit() != 0 }

// EntityField is a field of an entity row, for Fields.
type EntityField int

// The fields of an entity row that a row may leave out.
const (
	EntityLegalRepresentative EntityField = entLegalRep
	EntityAddress             EntityField = entAddress
	EntityType                EntityField = entType
	EntityLicenceType         EntityField = entLicenceType
	EntityLicenceNumber       EntityField = entLicenceNumber
	EntityUnit                EntityField = entUnit
	EntityRiskClass           EntityField = entRiskClass
	EntityStatus              EntityField = entStatus
	EntityAbnormalOperations  EntityField = entAbnormal
	EntitySeriousViolation    EntityField = entSerious
	EntityComplaints          EntityField = entComplaints
	EntityLastPenaltyDate     EntityField = entLastPenalty
)

// Bit is the field's bit in a Fields.
func (f EntityField) Bit() Fields { return 1 << f }

// Key is the field's column key ("risk_class"), as forms and change lists
// name it.
func (f EntityField) Key() string { return entityColumns[f].key }

// InspectorField is a field of an inspector row, for Fields.
type InspectorField int

// The fields of an inspector row that a row may leave out.
const (
	InspectorUnit           InspectorField = insUnit
	InspectorIssuedOn       InspectorField = insIssued
	InspectorQualifications InspectorField = insQualifications
	InspectorStatusField    InspectorField = insStatus
)

// Bit is the field's bit in a Fields.
func (f InspectorField) Bit() Fields { return 1 << f }

// Key is the field's column key ("qualifications").
func (f InspectorField) Key() string { return inspectorColumns[f].key }

// ClearMarker is what a cell (or a form field) holds to clear a field on
// purpose: an empty cell keeps what the roster has, except in the few
// columns that are clearable, and a column left out always keeps it. The
// half-width form (清空) is accepted too.
const ClearMarker = "（清空）"

// isClearMarker reports whether a trimmed cell is ClearMarker in either
// width.
func isClearMarker(s string) bool { return s == ClearMarker || s == "(清空)" }

// InspectorRow is one row of an inspector roster file.
type InspectorRow struct {
	Row               int
	Name              string
	CertificateNumber string // 执法证号, normalised
	Unit              string
	IssuedOn          *time.Time
	ExpiresOn         time.Time
	Qualifications    []string // qualification codes
	Status            InspectorStatus
	Given             Fields // the fields the row sets, as EntityRow.Given
}

// ItemRow is one row of an inspection item list file.
type ItemRow struct {
	Row              int
	Code             string // 事项编码, normalised
	Name             string
	LegalBasis       string
	SubjectBureau    string
	EntityTypes      []string // the entity types (EntityRow.Type) it applies to
	Methods          []string // 书面检查, 实地检查, 网络监测…
	Ratio            Ratio    // 0: the plan's ratio applies
	FrequencyPerYear int      // 0: not fixed (不定期); the plan decides
	Qualifications   []string // qualification codes an inspector needs
	Checklist        []string // 检查内容, one line each
}

// DefaultMaxErrors is how many problems a read lists before it only counts
// them: a file with the wrong columns would otherwise list every row.
const DefaultMaxErrors = 100

// ReadEntities reads every row of an entity roster file. The import is all
// or nothing: when anything is wrong, rows is nil and errs lists every
// problem, up to maxErrors (0 means DefaultMaxErrors) and then one last
// "and N more" with Row 0. A code twice in the file is a problem of the
// later row, naming the earlier.
func ReadEntities(s Sheet, maxErrors int) ([]EntityRow, []FieldError) {
	return readRows(s, KindEntities, maxErrors, parseEntity, func(e EntityRow) string { return e.Code }, entCode)
}

// ReadInspectors reads an inspector roster file, as ReadEntities does;
// the key is the certificate number.
func ReadInspectors(s Sheet, maxErrors int) ([]InspectorRow, []FieldError) {
	return readRows(s, KindInspectors, maxErrors, parseInspector, func(r InspectorRow) string { return r.CertificateNumber }, insCert)
}

// ReadItems reads an inspection item list file, as ReadEntities does; the
// key is the item code.
func ReadItems(s Sheet, maxErrors int) ([]ItemRow, []FieldError) {
	return readRows(s, KindItems, maxErrors, parseItem, func(r ItemRow) string { return r.Code }, itCode)
}

// readRows reads the rows of s with parse and looks for keys twice. It is
// the hot path of a 100,000-row import: a row allocates only its record
// and what its parsed values need.
func readRows[T any](s Sheet, kind Kind, maxErrors int, parse func(*rowParser) T, key func(T) string, keyCol int) ([]T, []FieldError) {
	m, errs := MapHeader(kind, s.Header(), s.HeaderRow())
	if len(errs) > 0 {
		return nil, errs
	}
	if maxErrors <= 0 {
		maxErrors = DefaultMaxErrors
	}
	c := collector{max: maxErrors}
	seen := make(map[string]int)
	example := NormalizeEntityCode(m.s.cols[keyCol].example)
	var rows []T
	p := rowParser{m: m}
	for {
		row, line, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if fe, ok := asFieldError(err); ok {
				c.add(fe)
				continue
			}
			c.add(FieldError{Row: line, Message: err.Error()})
			break
		}
		p.reset(row, line)
		v := parse(&p)
		if k := key(v); k != "" && k == example && p.exampleRow() {
			p.fail(keyCol, "this is the example row of an old template: delete it before importing")
		} else if k != "" {
			if first, dup := seen[k]; dup {
				p.fail(keyCol, fmt.Sprintf("%s is also in row %d: each may be in the file once", k, first))
			} else {
				seen[k] = line
			}
		}
		c.add(p.errs...)
		if c.n == 0 { // once a problem is found nothing will be imported: stop keeping rows
			if len(rows) == cap(rows) { // double: append grows large slices by only a quarter
				rows = slices.Grow(rows, max(len(rows), 1024))
			}
			rows = append(rows, v)
		}
	}
	if c.n > 0 {
		return nil, c.result()
	}
	return rows, nil
}

// exampleRow reports whether the row is a template's example row as
// templates used to carry it: every text cell of the file is the example.
func (p *rowParser) exampleRow() bool {
	for c, col := range p.m.s.cols {
		if p.m.index[c] >= 0 && (col.cell == cellPlain || col.cell == cellCode) && p.raw(c) != col.example {
			return false
		}
	}
	return true
}

// asFieldError is errors.As out of the loop of readRows, where its target
// would be allocated for every row.
func asFieldError(err error) (FieldError, bool) {
	var fe FieldError
	ok := errors.As(err, &fe)
	return fe, ok
}

// collector keeps the first max problems and counts the rest.
type collector struct {
	max  int
	n    int
	list []FieldError
}

func (c *collector) add(errs ...FieldError) {
	for _, e := range errs {
		c.n++
		if len(c.list) < c.max {
			c.list = append(c.list, e)
		}
	}
}

func (c *collector) result() []FieldError {
	if more := c.n - len(c.list); more > 0 {
		return append(c.list, FieldError{Message: fmt.Sprintf("and %d more problems", more)})
	}
	return c.list
}

// ParseEntityRow parses one row of an entity roster file whose header m
// was mapped for KindEntities. It returns every problem of the row.
func ParseEntityRow(m *HeaderMap, row []string, line int) (EntityRow, []FieldError) {
	p := m.parser(KindEntities, row, line)
	return parseEntity(p), p.errs
}

// ParseInspectorRow parses one row of an inspector roster file.
func ParseInspectorRow(m *HeaderMap, row []string, line int) (InspectorRow, []FieldError) {
	p := m.parser(KindInspectors, row, line)
	return parseInspector(p), p.errs
}

// ParseItemRow parses one row of an inspection item list file.
func ParseItemRow(m *HeaderMap, row []string, line int) (ItemRow, []FieldError) {
	p := m.parser(KindItems, row, line)
	return parseItem(p), p.errs
}

func parseEntity(p *rowParser) EntityRow {
	e := EntityRow{Row: p.line}
	e.Code, e.CodeKind = p.entityCode(entCode)
	e.Name = p.text(entName)
	e.LegalRepresentative = p.text(entLegalRep)
	e.Address = p.text(entAddress)
	e.Type = p.text(entType)
	e.LicenceType = p.text(entLicenceType)
	e.LicenceNumber = p.text(entLicenceNumber)
	e.Unit = p.text(entUnit)
	e.RiskClass = choose(p, entRiskClass, riskWords, "")
	e.Status = choose(p, entStatus, statusWords, StatusActive)
	e.AbnormalOperations = choose(p, entAbnormal, flagWords, false)
	e.SeriousViolation = choose(p, entSerious, flagWords, false)
	e.Complaints = p.count(entComplaints)
	e.LastPenaltyDate = p.optDate(entLastPenalty)
	e.Given = p.given
	return e
}

func parseInspector(p *rowParser) InspectorRow {
	r := InspectorRow{Row: p.line}
	r.Name = p.text(insName)
	r.CertificateNumber = p.code(insCert)
	r.Unit = p.text(insUnit)
	r.IssuedOn = p.optDate(insIssued)
	if t := p.optDate(insExpires); t != nil {
		r.ExpiresOn = *t
		if r.IssuedOn != nil && t.Before(*r.IssuedOn) {
			p.fail(insExpires, "the certificate expires before it was issued ("+r.IssuedOn.Format(time.DateOnly)+")")
		}
	}
	r.Qualifications = p.list(insQualifications, codeSeparators)
	r.Status = choose(p, insStatus, inspectorStatusWords, InspectorActive)
	r.Given = p.given
	return r
}

func parseItem(p *rowParser) ItemRow {
	r := ItemRow{Row: p.line}
	r.Code = p.code(itCode)
	r.Name = p.text(itName)
	r.LegalBasis = p.text(itBasis)
	r.SubjectBureau = p.text(itBureau)
	r.EntityTypes = p.list(itEntityTypes, listSeparators)
	r.Methods = p.list(itMethods, listSeparators)
	r.Ratio = parseWith(p, itRatio, ParseRatio)
	r.FrequencyPerYear = parseWith(p, itFrequency, ParseFrequency)
	r.Qualifications = p.list(itQualifications, codeSeparators)
	r.Checklist = p.list(itChecklist, checklistSeparators)
	return r
}

// The separators of list cells: what users type between items. Codes never
// contain spaces, names of types and methods may.
const (
	codeSeparators      = "、,，;； \t\n\r\u3000"
	listSeparators      = "、,，;；\n\r"
	checklistSeparators = "；\n\r"
)

// HeaderMap is a file's header row matched to the columns of its kind.
type HeaderMap struct {
	s      *schema
	index  []int    // per column of the kind: its position in the file, or -1
	header []string // the header row as the user wrote it
}

// MapHeader matches a header row (row is its row number) to the columns of
// kind. Headers match whatever their case, full- or half-width form and
// surrounding spaces or asterisks (templates mark required columns with
// one); the Chinese header, the English key and a few common other names
// all match. A column named 序号 (a serial number) is ignored. It returns
// a problem for each unknown, repeated or missing required column.
func MapHeader(kind Kind, header []string, row int) (*HeaderMap, []FieldError) {
	s := schemas[kind]
	if s == nil {
		panic(fmt.Sprintf("roster: MapHeader of unknown %v", kind))
	}
	m := &HeaderMap{s: s, index: make([]int, len(s.cols)), header: header}
	for i := range m.index {
		m.index[i] = -1
	}
	var errs []FieldError
	for i, h := range header {
		key := normHeader(h)
		c, known := s.lookup[key]
		switch {
		case key == "" || ignoredHeaders[key]:
		case !known:
			errs = append(errs, FieldError{Row: row, Column: strings.TrimSpace(h), Message: s.unknownMessage()})
		case m.index[c] >= 0:
			errs = append(errs, FieldError{Row: row, Column: strings.TrimSpace(h),
				Message: fmt.Sprintf("a second %s column (the first is column %s)", s.cols[c].header, columnName(nil, m.index[c]))})
		default:
			m.index[c] = i
		}
	}
	if len(errs) > 0 && titleRow(header) {
		return nil, []FieldError{{Row: row, Message: "the first non-blank row must be the header row; delete the title rows above it"}}
	}
	for c, col := range s.cols {
		if col.required && m.index[c] < 0 {
			errs = append(errs, FieldError{Row: row, Column: col.header, Message: "required column is missing"})
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return m, nil
}

// titleRow recognises a title (one cell, like "阳城县检查对象名录") above
// the header, which spreadsheets made for printing often have.
func titleRow(header []string) bool {
	n := 0
	for _, h := range header {
		if strings.TrimSpace(h) != "" {
			n++
		}
	}
	return n == 1
}

func (m *HeaderMap) parser(kind Kind, row []string, line int) *rowParser {
	if m.s.kind != kind {
		panic(fmt.Sprintf("roster: a %v header used to parse %v", m.s.kind, kind))
	}
	p := &rowParser{m: m}
	p.reset(row, line)
	return p
}

// rowParser parses the cells of one row, collecting every problem.
type rowParser struct {
	m     *HeaderMap
	row   []string
	line  int
	errs  []FieldError
	given Fields // the columns the row sets
}

func (p *rowParser) reset(row []string, line int) {
	p.row, p.line, p.errs, p.given = row, line, p.errs[:0], 0
	for i := len(p.m.header); i < len(row); i++ {
		if strings.TrimSpace(row[i]) != "" {
			p.errs = append(p.errs, FieldError{Row: line, Column: columnName(nil, i),
				Message: "the row has more cells than the header: is there a separator (comma) inside a cell that is not in quotes?"})
			return
		}
	}
}

func (p *rowParser) fail(c int, msg string) {
	name := p.m.s.cols[c].header
	if i := p.m.index[c]; i >= 0 {
		name = columnName(p.m.header, i)
	}
	p.errs = append(p.errs, FieldError{Row: p.line, Column: name, Message: msg})
}

// raw returns the cell of column c without surrounding spaces.
func (p *rowParser) raw(c int) string {
	if i := p.m.index[c]; i >= 0 && i < len(p.row) {
		return strings.TrimSpace(p.row[i])
	}
	return ""
}

// text returns the cell of column c, checking that a required one is
// filled and that none is too long for the database, and records whether
// the row sets the column: it does when the cell holds a value or
// ClearMarker (then text is ""), or is empty in a clearable column.
func (p *rowParser) text(c int) string {
	if p.m.index[c] < 0 {
		return ""
	}
	s := p.raw(c)
	col := &p.m.s.cols[c]
	switch {
	case s == "" && col.required:
		p.fail(c, "required: the cell is empty")
	case s == "" && col.clearable:
		p.given |= 1 << c
	case s == "":
	case isClearMarker(s) && col.required:
		p.fail(c, "required: it cannot be cleared")
		return ""
	case isClearMarker(s):
		p.given |= 1 << c
		return ""
	default:
		p.given |= 1 << c
		if col.cell == cellCode && scientific(s) {
			p.fail(c, fmt.Sprintf("%q is a number Excel wrote in scientific notation, which lost its last digits: format the column as text (设置单元格格式 → 文本), type the codes again and save", s))
		}
	}
	max := col.maxLen
	if max == 0 {
		max = defaultMaxLen
	}
	if len(s) > max { // bytes ≥ characters: count only when it may matter
		if n := utf8.RuneCountInString(s); n > max {
			p.fail(c, fmt.Sprintf("too long: %d characters, at most %d", n, max))
		}
	}
	return s
}

func (p *rowParser) entityCode(c int) (string, CodeKind) {
	s := p.raw(c)
	if scientific(s) {
		p.fail(c, fmt.Sprintf("%q is a number Excel wrote in scientific notation, which lost its last digits: format the column as text (设置单元格格式 → 文本), type the codes again and save", s))
		return "", 0
	}
	kind, err := ValidEntityCode(s)
	if err != nil {
		p.fail(c, err.Error())
		return "", 0
	}
	return NormalizeEntityCode(s), kind
}

// scientific recognises a number as Excel shows a long one in a column
// not formatted as text: 1.40523E+13. Such a cell has lost digits, so a
// code column refuses it rather than store a wrong code.
func scientific(s string) bool {
	mant, exp, ok := strings.Cut(strings.ToUpper(s), "E+") // Excel always writes the sign
	if !ok {
		return false
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	return allDigits(intPart) && (frac == "" || allDigits(frac)) && allDigits(exp) && !strings.HasSuffix(mant, ".")
}

// code returns an identifier cell normalised as NormalizeEntityCode does.
func (p *rowParser) code(c int) string {
	return NormalizeEntityCode(p.text(c))
}

func (p *rowParser) count(c int) int {
	return parseWith(p, c, func(s string) (int, error) {
		n := 0
		for i := 0; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' || n > 1e6 {
				return 0, fmt.Errorf("%q is not a count: write a whole number such as 3", s)
			}
			n = n*10 + int(s[i]-'0')
		}
		return n, nil
	})
}

func (p *rowParser) optDate(c int) *time.Time {
	t := parseWith(p, c, ParseDate)
	if t.IsZero() {
		return nil
	}
	return &t
}

// list splits a cell at any of seps, dropping empty and repeated items.
func (p *rowParser) list(c int, seps string) []string {
	s := p.text(c)
	if s == "" {
		return nil
	}
	var out []string
	for item := range strings.FieldsFuncSeq(s, func(r rune) bool { return strings.ContainsRune(seps, r) }) {
		if item = strings.TrimSpace(item); item != "" && !contains(out, item) {
			out = append(out, item)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseWith parses a cell that may be empty with parse; an empty cell is
// the zero value, or a problem when the column is required.
func parseWith[T any](p *rowParser, c int, parse func(string) (T, error)) T {
	var v T
	if s := p.text(c); s != "" {
		var err error
		if v, err = parse(s); err != nil {
			p.fail(c, err.Error())
		}
	}
	return v
}

// choose maps a cell to one of the values of words; empty is def.
func choose[T any](p *rowParser, c int, words map[string]T, def T) T {
	s := p.text(c)
	if s == "" {
		return def
	}
	if v, ok := words[s]; ok {
		return v
	}
	if v, ok := words[normValue(s)]; ok {
		return v
	}
	p.fail(c, fmt.Sprintf("%q is not one of the accepted values: %s", s, p.m.s.cols[c].accepted))
	return def
}

// normHeader folds what users vary in headers: spaces, case, full-width
// forms, the asterisk of required columns, and space or hyphen for "_".
func normHeader(h string) string {
	h = normValue(h)
	h = strings.Trim(h, "* \ufeff") // a second byte order mark, as some tools add
	return headerSpaces.Replace(h)
}

var headerSpaces = strings.NewReplacer(" ", "_", "-", "_")

// normValue trims, folds full-width forms to half-width and lower-cases.
func normValue(s string) string {
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			s = width.Fold.String(s)
			break
		}
	}
	return strings.ToLower(s)
}

// Status is an entity's registration status.
type Status string

// The entity statuses. Only active entities are drawn; the others stay in
// the roster for its history.
const (
	StatusActive       Status = "active"       // 在营, 存续
	StatusSuspended    Status = "suspended"    // 停业
	StatusDeregistered Status = "deregistered" // 注销
	StatusRevoked      Status = "revoked"      // 吊销
	StatusMoved        Status = "moved"        // 迁出
)

// Label is the status as files write it.
func (s Status) Label() string {
	switch s {
	case StatusActive:
		return "在营"
	case StatusSuspended:
		return "停业"
	case StatusDeregistered:
		return "注销"
	case StatusRevoked:
		return "吊销"
	case StatusMoved:
		return "迁出"
	}
	return string(s)
}

// RiskClass is the credit-risk class of 国市监信发〔2022〕6号; "" is
// unclassified. It is never published.
type RiskClass string

// The risk classes, from low to high.
const (
	RiskA RiskClass = "A" // 低
	RiskB RiskClass = "B" // 一般
	RiskC RiskClass = "C" // 较高
	RiskD RiskClass = "D" // 高
)

// InspectorStatus says whether an inspector can be drawn.
type InspectorStatus string

// The inspector statuses.
const (
	InspectorActive   InspectorStatus = "active"   // 在岗
	InspectorInactive InspectorStatus = "inactive" // 离岗: moved, retired, suspended
)

// Label is the status as files write it.
func (s InspectorStatus) Label() string {
	if s == InspectorInactive {
		return "离岗"
	}
	return "在岗"
}

// The words files use for the values of choice columns, keyed by their
// normValue form.
var (
	statusWords = words(map[Status][]string{
		StatusActive:       {"active", "在营", "正常", "存续", "开业", "在册", "存续(在营、开业、在册)"},
		StatusSuspended:    {"suspended", "停业", "暂停", "歇业", "暂停营业"},
		StatusDeregistered: {"deregistered", "注销", "已注销"},
		StatusRevoked:      {"revoked", "吊销", "已吊销", "被吊销", "吊销,未注销", "吊销未注销"},
		StatusMoved:        {"moved", "迁出", "已迁出"},
	})
	riskWords = words(map[RiskClass][]string{
		RiskA: {"a", "a类", "低", "低风险"},
		RiskB: {"b", "b类", "一般", "一般风险"},
		RiskC: {"c", "c类", "较高", "较高风险"},
		RiskD: {"d", "d类", "高", "高风险"},
	})
	flagWords = words(map[bool][]string{
		true:  {"是", "有", "已列入", "列入", "true", "yes", "y", "1", "√"},
		false: {"否", "无", "未列入", "false", "no", "n", "0", "×"},
	})
	inspectorStatusWords = words(map[InspectorStatus][]string{
		InspectorActive:   {"active", "在岗", "正常", "在职", "有效", "启用"},
		InspectorInactive: {"inactive", "离岗", "调离", "离职", "退休", "停用", "暂停", "无效"},
	})
)

func words[T comparable](m map[T][]string) map[string]T {
	out := make(map[string]T)
	for v, ws := range m {
		for _, w := range ws {
			// The forms files have, so that most cells match without
			// normValue, which allocates.
			out[w], out[strings.ToUpper(w)], out[normValue(w)] = v, v, v
		}
	}
	return out
}

// Ratio is a sampling ratio in basis points (万分之一): 5% is 500. Whole
// numbers keep exports exact; 0.01% is finer than any plan needs.
type Ratio int

// String writes the ratio as a percentage, as ParseRatio reads it.
func (r Ratio) String() string {
	return strconv.FormatFloat(float64(r)/100, 'f', -1, 64) + "%"
}

// ParseRatio reads a sampling ratio written as a percentage (5%, 0.5%), as
// a fraction p/q (1/20), or as a decimal below 1 (0.05): the last is what
// Excel stores for a cell formatted as 5%. A bare number of 1 or more is
// refused as ambiguous. The ratio must be above 0 and at most 100%, and is
// rounded to a basis point.
func ParseRatio(s string) (Ratio, error) {
	s = normValue(s)
	var f float64
	var ok bool
	switch num, den, isFrac := strings.Cut(s, "/"); {
	case strings.HasSuffix(s, "%"):
		f, ok = decimal(strings.TrimSpace(strings.TrimSuffix(s, "%")))
		f /= 100
	case isFrac:
		p, okP := decimal(strings.TrimSpace(num))
		q, okQ := decimal(strings.TrimSpace(den))
		f, ok = p/q, okP && okQ && q > 0
	default:
		f, ok = decimal(s)
		if ok && f >= 1 {
			return 0, fmt.Errorf("%q is ambiguous: write the ratio as %s%% or as a fraction such as 1/20", s, s)
		}
	}
	if !ok {
		return 0, fmt.Errorf("%q is not a ratio: write it as 5%% or 1/20", s)
	}
	bp := math.Round(f * 10000)
	if bp < 1 || bp > 10000 {
		return 0, fmt.Errorf("%q is out of range: a ratio is more than 0 and at most 100%%", s)
	}
	return Ratio(bp), nil
}

// decimal parses digits with at most one decimal point: none of the
// exponents, infinities and hexadecimal strconv.ParseFloat also takes.
func decimal(s string) (float64, bool) {
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" && frac == "" || (intPart != "" && !allDigits(intPart)) || (frac != "" && !allDigits(frac)) || len(s) > 20 {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// ParseFrequency reads how often a year an item is checked: 2, 2次/年,
// 每年2次, 每季度1次 (4), 每半年一次 (2), 每月1次 (12); 不定期 is 0.
func ParseFrequency(s string) (int, error) {
	s = normValue(s)
	if s == "不定期" {
		return 0, nil
	}
	per, rest := 1, s
	for _, u := range frequencyUnits {
		if r, ok := strings.CutPrefix(rest, "每"+u.name); ok {
			per, rest = u.perYear, r
			break
		}
		if r, ok := strings.CutSuffix(rest, "/"+u.name); ok {
			per, rest = u.perYear, r
			break
		}
	}
	rest = strings.TrimSuffix(rest, "次")
	n, ok := smallNumber(rest)
	if !ok || n*per > 366 {
		return 0, fmt.Errorf("%q is not a frequency: write times a year as 2次/年, 每年2次 or 每季度1次", s)
	}
	return n * per, nil
}

var frequencyUnits = []struct {
	name    string
	perYear int
}{{"半年", 2}, {"季度", 4}, {"季", 4}, {"月", 12}, {"年", 1}}

// smallNumber reads a positive whole number in digits or one Chinese
// numeral; "" is 1, as in 每季度 (once a quarter).
func smallNumber(s string) (int, bool) {
	if s == "" {
		return 1, true
	}
	if i := strings.Index("一二三四五六七八九十", s); i >= 0 && len(s) == 3 && i%3 == 0 {
		return i/3 + 1, true
	}
	if s == "两" {
		return 2, true
	}
	if !allDigits(s) || len(s) > 3 {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n > 0
}

// formatFrequency writes n as ParseFrequency reads it; 0 is empty.
func formatFrequency(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n) + "次/年"
}

// column is one column of a kind of file.
type column struct {
	key      string   // canonical key: English, accepted as a header, used by the API
	header   string   // the Chinese header templates and exports write
	aliases  []string // other headers users' files have
	required bool     // the column must be there and every row must fill it
	// clearable: an empty cell clears the field. In other columns an
	// empty cell keeps what the roster has, and ClearMarker clears.
	clearable bool
	cell      cellType // how XLSX files write it
	maxLen    int      // characters; 0 is defaultMaxLen
	accepted  string   // for choice columns: the accepted values, for error messages
	example   string   // the template's example row
}

const defaultMaxLen = 200

// cellType is how a column is written in XLSX files.
type cellType int

const (
	cellPlain  cellType = iota
	cellCode            // an identifier, formatted as text so that Excel keeps every digit of what users type
	cellNumber          // a whole number
	cellDate            // a date cell
)

// schema is the columns of a kind of file, in template order.
type schema struct {
	kind    Kind
	name    string // the kind in English
	label   string // the kind in Chinese: the worksheet name of written workbooks
	cols    []column
	lookup  map[string]int // normHeader of every key, header and alias → column
	unknown string         // the message for an unknown column
}

var schemas = map[Kind]*schema{
	KindEntities:   newSchema(KindEntities, "entities", "检查对象名录", entityColumns),
	KindInspectors: newSchema(KindInspectors, "inspectors", "执法检查人员名录", inspectorColumns),
	KindItems:      newSchema(KindItems, "inspection items", "抽查事项清单", itemColumns),
}

func newSchema(kind Kind, name, label string, cols []column) *schema {
	s := &schema{kind: kind, name: name, label: label, cols: cols, lookup: make(map[string]int)}
	headers := make([]string, len(cols))
	for i, c := range cols {
		for _, h := range append([]string{c.key, c.header}, c.aliases...) {
			if _, dup := s.lookup[normHeader(h)]; dup {
				panic("roster: header " + h + " means two columns")
			}
			s.lookup[normHeader(h)] = i
		}
		headers[i] = c.header
	}
	s.unknown = "unknown column: the columns of " + label + " are " + strings.Join(headers, ", ")
	return s
}

func (s *schema) unknownMessage() string { return s.unknown }

// ignoredHeaders are columns users add that carry nothing to import.
var ignoredHeaders = map[string]bool{"序号": true, "no": true, "no.": true, "#": true}

// The columns of an entity roster, in template order.
const (
	entCode = iota
	entName
	entLegalRep
	entAddress
	entType
	entLicenceType
	entLicenceNumber
	entUnit
	entRiskClass
	entStatus
	entAbnormal
	entSerious
	entComplaints
	entLastPenalty
)

const (
	statusAccepted = "在营 (正常, 存续), 停业 (暂停), 注销, 吊销, 迁出, or active, suspended, deregistered, revoked, moved"
	flagAccepted   = "是 or 否 (also true/false, 1/0)"
)

var entityColumns = []column{
	entCode: {key: "uscc", header: "统一社会信用代码", required: true, cell: cellCode, example: "91350100M000100Y43",
		aliases: []string{"credit_code", "统一社会信用代码/注册号", "统一社会信用代码(注册号)", "社会信用代码", "信用代码", "注册号"}},
	entName: {key: "name", header: "名称", required: true, example: "阳城县示例文化传媒有限公司",
		aliases: []string{"entity_name", "企业名称", "单位名称", "主体名称", "对象名称", "经营者名称"}},
	entLegalRep: {key: "legal_representative", header: "法定代表人", example: "张三",
		aliases: []string{"legal_rep", "法定代表人(负责人)", "法定代表人/负责人", "负责人", "经营者"}},
	entAddress: {key: "address", header: "住所", maxLen: 500, example: "山西省晋城市阳城县凤城镇示例路1号",
		aliases: []string{"地址", "住所(经营场所)", "经营场所", "经营地址", "注册地址"}},
	entType: {key: "type", clearable: true, header: "类型", example: "娱乐场所",
		aliases: []string{"entity_type", "industry", "行业类型", "主体类型", "对象类型", "行业"}},
	entLicenceType: {key: "licence_type", clearable: true, header: "许可证类型", example: "娱乐经营许可证",
		aliases: []string{"license_type", "许可类型", "许可证名称"}},
	entLicenceNumber: {key: "licence_number", clearable: true, header: "许可证号", cell: cellCode, example: "140522120001",
		aliases: []string{"license_number", "许可证编号", "许可证号码"}},
	entUnit: {key: "unit", clearable: true, header: "属地单位", example: "凤城文化市场执法中队",
		aliases: []string{"jurisdiction_unit", "属地", "属地所", "管辖单位", "属地管理单位"}},
	entRiskClass: {key: "risk_class", header: "风险分类", example: "B",
		accepted: "A, B, C, D (or 低, 一般, 较高, 高)",
		aliases:  []string{"risk", "风险等级", "风险类别", "信用风险分类"}},
	entStatus: {key: "status", header: "状态", example: "在营", accepted: statusAccepted,
		aliases: []string{"经营状态", "登记状态"}},
	entAbnormal: {key: "abnormal_operations", header: "经营异常名录", example: "否", accepted: flagAccepted,
		aliases: []string{"列入经营异常名录", "经营异常"}},
	entSerious: {key: "serious_violation", header: "严重违法失信名单", example: "否", accepted: flagAccepted,
		aliases: []string{"列入严重违法失信名单", "严重违法失信"}},
	entComplaints: {key: "complaints", header: "投诉次数", cell: cellNumber, example: "0",
		aliases: []string{"complaint_count", "投诉数"}},
	entLastPenalty: {key: "last_penalty_date", header: "最近行政处罚日期", cell: cellDate, example: "2025-06-30",
		aliases: []string{"last_penalty", "最近处罚日期", "行政处罚日期"}},
}

// The columns of an inspector roster.
const (
	insName = iota
	insCert
	insUnit
	insIssued
	insExpires
	insQualifications
	insStatus
)

var inspectorColumns = []column{
	insName: {key: "name", header: "姓名", required: true, example: "李四",
		aliases: []string{"inspector_name", "执法人员姓名"}},
	insCert: {key: "certificate_number", header: "执法证号", required: true, cell: cellCode, maxLen: 64, example: "14052219001",
		aliases: []string{"cert_number", "certificate_no", "执法证编号", "执法证件号", "执法证件号码", "证件号"}},
	insUnit: {key: "unit", header: "所属单位", example: "阳城县文化市场综合行政执法队",
		aliases: []string{"单位", "工作单位", "所在单位"}},
	insIssued: {key: "issued_on", header: "发证日期", cell: cellDate, example: "2024-03-01",
		aliases: []string{"issue_date", "发证时间"}},
	insExpires: {key: "expires_on", header: "有效期至", cell: cellDate, required: true, example: "2029-02-28",
		aliases: []string{"expiry_date", "expires", "有效期", "有效期限", "证件有效期"}},
	insQualifications: {key: "qualifications", header: "资格", example: "WH01、WH02",
		aliases: []string{"qualification_codes", "执法资格", "资格代码", "执法领域"}},
	insStatus: {key: "status", header: "状态", example: "在岗",
		accepted: "在岗 (正常, 在职), 离岗 (调离, 退休, 停用), or active, inactive",
		aliases:  []string{"人员状态", "在岗状态"}},
}

// The columns of an inspection item list.
const (
	itCode = iota
	itName
	itBasis
	itBureau
	itEntityTypes
	itMethods
	itRatio
	itFrequency
	itQualifications
	itChecklist
)

var itemColumns = []column{
	itCode: {key: "code", header: "事项编码", required: true, cell: cellCode, maxLen: 64, example: "WHLY-001",
		aliases: []string{"item_code", "事项代码", "编码"}},
	itName: {key: "name", header: "事项名称", required: true, example: "娱乐场所经营活动检查",
		aliases: []string{"item_name", "抽查事项", "检查事项"}},
	itBasis: {key: "legal_basis", header: "抽查依据", maxLen: 4000, example: "《娱乐场所管理条例》第三十四条",
		aliases: []string{"basis", "依据", "法律依据", "检查依据"}},
	itBureau: {key: "subject_bureau", header: "主体部门", example: "阳城县文化和旅游局",
		aliases: []string{"bureau", "抽查主体", "实施主体", "检查主体"}},
	itEntityTypes: {key: "entity_types", header: "适用对象类型", maxLen: 1000, example: "娱乐场所、互联网上网服务营业场所",
		aliases: []string{"applies_to", "抽查对象", "检查对象", "对象类型"}},
	itMethods: {key: "methods", header: "检查方式", example: "实地检查、书面检查",
		aliases: []string{"method", "抽查方式"}},
	itRatio: {key: "ratio", header: "抽查比例", example: "5%",
		aliases: []string{"default_ratio"}},
	itFrequency: {key: "frequency", header: "抽查频次", example: "1次/年",
		aliases: []string{"default_frequency", "频次"}},
	itQualifications: {key: "qualifications", header: "资格要求", example: "WH01",
		aliases: []string{"required_qualifications", "执法资格要求"}},
	itChecklist: {key: "checklist", header: "检查内容", maxLen: 20000, example: "是否取得娱乐经营许可证；是否按规定悬挂警示标志",
		aliases: []string{"check_items", "检查项目", "检查要点"}},
}
