package roster

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// A Sheet is a tabular file read one row at a time: the rows of a CSV file
// or of the first worksheet of an XLSX workbook. Fully blank rows are
// skipped. A Sheet is not safe for concurrent use.
type Sheet interface {
	// Header returns the cells of the first non-blank row.
	Header() []string
	// HeaderRow is the row number of the header: 1 unless the file has
	// blank rows above it.
	HeaderRow() int
	// Next returns the next non-blank row after the header and its row
	// number as Excel shows it (the header of a file without blank lines
	// above it is row 1). The slice is valid until the next call. At the
	// end, err is io.EOF. A FieldError is about this row only: reading may
	// go on. Any other error ends the file; line is where it was found.
	Next() (row []string, line int, err error)
	// Close removes the temporary files a workbook is unpacked to. Call
	// it whatever happened.
	Close() error
}

// FieldError is one problem of an imported file: where it is, as the user
// sees the file, and what is wrong, in words the user can act on.
type FieldError struct {
	Row     int    `json:"row"`    // row number as Excel shows it; 0 for the file as a whole
	Column  string `json:"column"` // the header as the user wrote it, the column letter when it has none, or "" for the whole row
	Message string `json:"message"`
}

func (e FieldError) Error() string {
	switch {
	case e.Row == 0:
		return e.Message
	case e.Column == "":
		return fmt.Sprintf("row %d: %s", e.Row, e.Message)
	}
	return fmt.Sprintf("row %d, column %s: %s", e.Row, e.Column, e.Message)
}

// Limits bound what OpenSheet accepts, so that one upload cannot exhaust
// the server. A zero field takes its value from DefaultLimits.
type Limits struct {
	MaxBytes     int64 // the file as uploaded; an XLSX may unpack to 8 times this
	MaxRows      int   // non-blank rows after the header
	MaxCellBytes int   // one cell, in UTF-8
	MaxColumns   int   // cells in a row, blank ones included
}

// DefaultLimits fit a county bureau's rosters with room to spare: 100,000
// entities make a CSV file of about 20 MB.
var DefaultLimits = Limits{
	MaxBytes:     128 << 20,
	MaxRows:      200_000,
	MaxCellBytes: 64 << 10,
	MaxColumns:   256,
}

var (
	errEmpty    = errors.New("the file is empty: expected a header row")
	zipMagic    = []byte("PK\x03\x04")
	oleMagic    = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	utf8BOM     = []byte{0xEF, 0xBB, 0xBF}
	sniffWindow = 64 << 10
)

// OpenSheet opens a CSV or XLSX file with DefaultLimits. See
// Limits.OpenSheet.
func OpenSheet(r io.Reader, name string) (Sheet, error) {
	return DefaultLimits.OpenSheet(r, name)
}

// OpenSheet reads the start of r to tell an XLSX workbook (a ZIP archive)
// from CSV text, and reads up to the header row. name, the file's name as
// uploaded, only improves the error for a file that is neither.
//
// CSV text may be UTF-8 (with or without a byte order mark), GB18030 (what
// Excel writes for "CSV" on a Chinese Windows) or UTF-16 with a byte order
// mark (Excel's "Unicode text"); it is separated by commas, or by tabs or
// semicolons when the header row has those and no comma.
func (l Limits) OpenSheet(r io.Reader, name string) (Sheet, error) {
	l = l.withDefaults()
	br := bufio.NewReaderSize(&limitReader{r: r, left: l.MaxBytes}, sniffWindow)
	head, err := br.Peek(len(oleMagic))
	if err != nil && err != io.EOF {
		return nil, err
	}
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case bytes.HasPrefix(head, zipMagic):
		return openXLSX(br, l)
	case bytes.Equal(head, oleMagic):
		return nil, errors.New("the file is an old-style .xls or a password-protected workbook: save it in Excel as .xlsx (without a password) or as CSV")
	case ext == ".xlsx" || ext == ".xlsm" || ext == ".xls" || ext == ".et":
		return nil, fmt.Errorf("the file is named %s but is not an Excel workbook: save it in Excel as .xlsx or CSV", ext)
	}
	return openCSV(br, l)
}

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultLimits.MaxBytes
	}
	if l.MaxRows <= 0 {
		l.MaxRows = DefaultLimits.MaxRows
	}
	if l.MaxCellBytes <= 0 {
		l.MaxCellBytes = DefaultLimits.MaxCellBytes
	}
	if l.MaxColumns <= 0 {
		l.MaxColumns = DefaultLimits.MaxColumns
	}
	return l
}

// limitReader fails, rather than stops, after its limit, so that a file
// that is too large is refused instead of read in part.
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, errTooLarge
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return 0, errTooLarge
	}
	return n, err
}

var errTooLarge = errors.New("the file is too large: split it into smaller files")

// csvSheet reads CSV text. Row numbers are counted in records, as Excel
// does: a line break inside a quoted cell does not start a row, but an
// empty line (which encoding/csv skips) does.
type csvSheet struct {
	r      *csv.Reader
	text   *textReader // nil when a byte order mark fixed the encoding
	header []string
	hrow   int
	lim    Limits
	extra  int // physical lines so far that were line breaks inside cells
	rows   int
}

func openCSV(br *bufio.Reader, l Limits) (Sheet, error) {
	var text io.Reader
	s := &csvSheet{lim: l}
	head, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(head, utf8BOM):
		_, _ = br.Discard(len(utf8BOM))
		text = br
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		text = transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder())
	default:
		s.text = &textReader{br: br}
		text = s.text
	}
	tr := bufio.NewReaderSize(text, sniffWindow)
	s.r = csv.NewReader(tr)
	s.r.Comma = sniffDelimiter(tr)
	s.r.FieldsPerRecord = -1
	s.r.ReuseRecord = true
	return s, s.readHeader()
}

func (s *csvSheet) readHeader() error {
	for {
		rec, line, err := s.read()
		if err == io.EOF {
			return errEmpty
		}
		if err != nil {
			return FieldError{Row: line, Message: err.Error()}
		}
		if blank(rec) {
			continue
		}
		if err := s.check(rec, line); err != nil {
			return err
		}
		s.header, s.hrow = append([]string(nil), rec...), line
		return nil
	}
}

func (s *csvSheet) Header() []string { return s.header }
func (s *csvSheet) HeaderRow() int   { return s.hrow }
func (s *csvSheet) Close() error     { return nil }

func (s *csvSheet) Next() ([]string, int, error) {
	for {
		rec, line, err := s.read()
		if err != nil || blank(rec) {
			if err != nil {
				return nil, line, err
			}
			continue
		}
		if s.rows++; s.rows > s.lim.MaxRows {
			return nil, line, tooManyRows(s.lim.MaxRows)
		}
		if err := s.check(rec, line); err != nil {
			return nil, line, err
		}
		return rec, line, nil
	}
}

// read returns the next record and its row number.
func (s *csvSheet) read() ([]string, int, error) {
	rec, err := s.r.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, pe.StartLine - s.extra, fmt.Errorf("the CSV text is malformed (%v, at line %d of the text): a cell with a quote (\") must be in quotes, its quotes doubled; saving the file from Excel again fixes this", pe.Err, pe.Line)
		}
		return nil, 0, err
	}
	start, _ := s.r.FieldPos(0)
	last := len(rec) - 1
	end, _ := s.r.FieldPos(last)
	end += strings.Count(rec[last], "\n")
	line := start - s.extra
	s.extra += end - start
	return rec, line, nil
}

// check refuses a cell that is too large or not text, and takes off the
// apostrophe that WriteEntities and its kind put before a cell starting
// with = + - or @ so that Excel does not run it as a formula.
func (s *csvSheet) check(rec []string, line int) error {
	gb := s.text != nil && s.text.gb
	if err := checkWidth(rec, line, s.lim); err != nil {
		return err
	}
	for i, c := range rec {
		if err := checkCell(c, s.header, i, line, s.lim); err != nil {
			return err
		}
		if strings.IndexByte(c, 0) >= 0 {
			return FieldError{Row: line, Column: columnName(s.header, i), Message: "the cell holds a NUL byte, which text never has: " +
				"is the file CSV text? Save it again from Excel as CSV (UTF-8) or .xlsx"}
		}
		if !utf8.ValidString(c) {
			return FieldError{Row: line, Column: columnName(s.header, i), Message: "the cell is not UTF-8 text: the file mixes text encodings; save it again from Excel as CSV (UTF-8)"}
		}
		if gb && strings.ContainsRune(c, utf8.RuneError) {
			return FieldError{Row: line, Column: columnName(s.header, i), Message: "the cell has bytes that are neither UTF-8 nor GB18030 text; save the file again from Excel as CSV (UTF-8)"}
		}
		if formulaEscaped(c) {
			rec[i] = c[1:]
		}
	}
	return nil
}

func checkCell(c string, header []string, i, line int, l Limits) error {
	if len(c) <= l.MaxCellBytes {
		return nil
	}
	return FieldError{Row: line, Column: columnName(header, i),
		Message: fmt.Sprintf("the cell has %d bytes; at most %d are allowed", len(c), l.MaxCellBytes)}
}

// checkWidth refuses a row of more cells than any roster has columns
// with one problem, however many there are.
func checkWidth(row []string, line int, l Limits) error {
	if len(row) <= l.MaxColumns {
		return nil
	}
	return FieldError{Row: line, Message: fmt.Sprintf("the row has %d cells; a roster file has at most %d columns: delete the columns that are not the roster's", len(row), l.MaxColumns)}
}

func tooManyRows(max int) error {
	return fmt.Errorf("the file has more than %d rows: split it into files of at most %d rows", max, max)
}

// columnName names column i for the user: its header, or its letter.
func columnName(header []string, i int) string {
	if i < len(header) {
		if h := strings.TrimSpace(header[i]); h != "" {
			return h
		}
	}
	name, err := excelize.ColumnNumberToName(i + 1)
	if err != nil {
		return fmt.Sprintf("%d", i+1)
	}
	return name
}

func blank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// sniffDelimiter picks the separator from the first non-blank line.
func sniffDelimiter(br *bufio.Reader) rune {
	window, _ := br.Peek(sniffWindow)
	for len(window) > 0 {
		line := window
		if i := bytes.IndexByte(window, '\n'); i >= 0 {
			line, window = window[:i], window[i+1:]
		} else {
			window = nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		for _, d := range []byte{',', '\t', ';'} {
			if bytes.IndexByte(line, d) >= 0 {
				return rune(d)
			}
		}
		break
	}
	return ','
}

// textReader yields CSV text as UTF-8. ASCII is the same in UTF-8 and
// GB18030, so it passes bytes through up to the first non-ASCII byte and
// decides there, on the rest of that line (usually the header), which of
// the two the file is: a file whose first rows are ASCII is still read
// right, and a UTF-8 file with one row saved in GB18030 stays UTF-8, so
// that the row is refused by its number instead of the whole file being
// misread.
type textReader struct {
	br *bufio.Reader
	r  io.Reader // nil until decided
	gb bool
}

func (t *textReader) Read(p []byte) (int, error) {
	if t.r != nil {
		return t.r.Read(p)
	}
	window, err := t.br.Peek(sniffWindow)
	if len(window) == 0 {
		return 0, err
	}
	i := 0
	for i < len(window) && window[i] < utf8.RuneSelf {
		i++
	}
	if i > 0 {
		n := copy(p, window[:i])
		_, _ = t.br.Discard(n)
		return n, nil
	}
	line, more := window, err == nil
	if j := bytes.IndexByte(window, '\n'); j >= 0 {
		line, more = window[:j], false
	}
	if validUTF8Prefix(line, more) {
		t.r = t.br
	} else {
		t.gb = true
		t.r = transform.NewReader(t.br, simplifiedchinese.GB18030.NewDecoder())
	}
	return t.r.Read(p)
}

// validUTF8Prefix reports whether b is UTF-8, allowing a character cut at
// the end when more bytes follow.
func validUTF8Prefix(b []byte, more bool) bool {
	if more {
		for k := 0; k < utf8.UTFMax && k < len(b); k++ {
			if utf8.RuneStart(b[len(b)-1-k]) {
				if !utf8.FullRune(b[len(b)-1-k:]) {
					b = b[:len(b)-1-k]
				}
				break
			}
		}
	}
	return utf8.Valid(b)
}

// xlsxSheet reads the first worksheet of a workbook with excelize's stream
// reader. Cells come raw (RawCellValue): numbers as stored, so dates are
// serial numbers (see ParseDate) and a 5% cell is 0.05 (see ParseRatio).
type xlsxSheet struct {
	f      *excelize.File
	dir    string // excelize's temporary files
	rows   *excelize.Rows
	header []string
	hrow   int
	lim    Limits
	line   int
	count  int
}

func openXLSX(r io.Reader, l Limits) (Sheet, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	unzipLimit := 8 * l.MaxBytes
	if err := checkZip(data, unzipLimit); err != nil {
		return nil, err
	}
	// excelize unpacks large parts to temporary files, and leaves them
	// behind when a broken workbook fails to open: a directory of our own
	// is removed whatever happens (see RemoveTempFiles).
	dir, err := newTempDir()
	if err != nil {
		return nil, err
	}
	opts := excelize.Options{RawCellValue: true, UnzipSizeLimit: unzipLimit, TmpDir: dir}
	f, err := excelize.OpenReader(bytes.NewReader(data), opts)
	if err != nil {
		if f != nil {
			_ = f.Close()
		}
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("the workbook cannot be read (%v): save it again in Excel as .xlsx", err)
	}
	s := &xlsxSheet{f: f, dir: dir, lim: l}
	if err := s.open(); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// checkZip refuses a workbook whose parts claim more unpacked bytes than
// deflate can make of their packed size (1032 to 1), or more than limit
// in all: excelize allocates what a part claims before unpacking it, so a
// small forged file could otherwise take gigabytes.
func checkZip(data []byte, limit int64) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("the workbook cannot be read (%v): save it again in Excel as .xlsx", err)
	}
	var total uint64
	for _, f := range zr.File {
		if f.UncompressedSize64 > 1032*f.CompressedSize64+1024 {
			return fmt.Errorf("the workbook is damaged (part %s): save it again in Excel as .xlsx", f.Name)
		}
		if total += f.UncompressedSize64; total > uint64(limit) {
			return errTooLarge
		}
	}
	for _, f := range zr.File {
		if f.Name == sharedStringsPart && f.UncompressedSize64 > maxSharedStringsBytes {
			return errTooLarge
		}
		if strings.HasSuffix(f.Name, ".xml") || strings.HasSuffix(f.Name, ".rels") {
			if err := scanPart(f); err != nil {
				return err
			}
		}
	}
	return nil
}

// excelize keeps a workbook's shared strings (the text of its cells, each
// once) in memory, at about 115 bytes a string beside the text itself;
// these bounds keep that under 200 MB. A 200,000-row roster needs about a
// quarter of either.
const (
	sharedStringsPart     = "xl/sharedStrings.xml"
	maxSharedStringsBytes = 48 << 20
	maxSharedStrings      = 1_200_000
)

// maxRun bounds a workbook's XML tags and text runs. excelize holds a
// whole tag or text run in memory, and more than once: one cell of 900 MB
// in a 0.9 MB file took gigabytes. A cell of MaxCellBytes, every
// character escaped as an entity (&#x4E2D; is 8 bytes for 3), fits.
const maxRun = 4 << 20

// scanPart reads a part of the workbook as it unpacks, keeping nothing,
// and refuses a tag or text run longer than maxRun bytes, and shared
// strings more than maxSharedStrings.
func scanPart(f *zip.File) error {
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("the workbook is damaged (part %s): save it again in Excel as .xlsx", f.Name)
	}
	defer rc.Close()
	countStrings := f.Name == sharedStringsPart
	buf := make([]byte, 32<<10)
	run, strs := 0, 0
	var last [3]byte // the bytes before b, to find each "<si>"
	for {
		n, err := rc.Read(buf)
		for _, b := range buf[:n] {
			if b == '<' || b == '>' {
				run = 0
			} else if run++; run > maxRun {
				return fmt.Errorf("the workbook holds a cell or tag of more than %d MiB (part %s): no roster cell is that long; "+
					"delete it, or save the sheet as CSV to find it", maxRun>>20, f.Name)
			}
			if countStrings && (b == '>' || b == ' ') && last == [3]byte{'<', 's', 'i'} {
				if strs++; strs > maxSharedStrings {
					return errTooLarge
				}
			}
			last = [3]byte{last[1], last[2], b}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("the workbook is damaged (part %s: %v): save it again in Excel as .xlsx", f.Name, err)
		}
	}
}

func (s *xlsxSheet) open() error {
	sheets := s.f.GetSheetList()
	if len(sheets) == 0 {
		return errEmpty
	}
	rows, err := s.f.Rows(sheets[0])
	if err != nil {
		return fmt.Errorf("the first worksheet cannot be read (%v): save the workbook again in Excel as .xlsx", err)
	}
	s.rows = rows
	row, line, err := s.next()
	switch {
	case err == io.EOF:
		return errEmpty
	case err != nil:
		return FieldError{Row: line, Message: err.Error()}
	}
	s.header, s.hrow = append([]string(nil), row...), line
	return checkCells(row, s.header, line, s.lim)
}

func (s *xlsxSheet) Header() []string { return s.header }
func (s *xlsxSheet) HeaderRow() int   { return s.hrow }

func (s *xlsxSheet) Next() ([]string, int, error) {
	row, line, err := s.next()
	if err != nil {
		return nil, line, err
	}
	if s.count++; s.count > s.lim.MaxRows {
		return nil, line, tooManyRows(s.lim.MaxRows)
	}
	if err := checkCells(row, s.header, line, s.lim); err != nil {
		return nil, line, err
	}
	return row, line, nil
}

// next returns the next non-blank row. Counting calls of Rows.Next gives
// the row number: it also stops at rows the file leaves out.
func (s *xlsxSheet) next() ([]string, int, error) {
	for s.rows.Next() {
		s.line++
		row, err := s.rows.Columns()
		if err != nil {
			return nil, s.line, fmt.Errorf("the row cannot be read (%v): save the workbook again in Excel as .xlsx", err)
		}
		if !blank(row) {
			return row, s.line, nil
		}
	}
	if err := s.rows.Error(); err != nil {
		return nil, s.line, fmt.Errorf("the worksheet cannot be read (%v)", err)
	}
	return nil, s.line, io.EOF
}

func checkCells(row, header []string, line int, l Limits) error {
	if err := checkWidth(row, line, l); err != nil {
		return err
	}
	for i, c := range row {
		if err := checkCell(c, header, i, line, l); err != nil {
			return err
		}
	}
	return nil
}

func (s *xlsxSheet) Close() error {
	var err error
	if s.rows != nil {
		err = s.rows.Close()
	}
	return errors.Join(err, s.f.Close(), os.RemoveAll(s.dir))
}

// ParseDate reads a date as users type it or Excel stores it: 2026-01-02,
// 2026/1/2, 2026.1.2, 2026年1月2日, 20260102, or a serial number of
// Excel's 1900 date system (46024 is 2026-01-02). A time of day after the
// date is ignored. The result is midnight UTC of that day: a date, not an
// instant.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, " T"); i > 0 {
		s = s[:i]
	}
	if len(s) == 8 && allDigits(s) {
		return civilDate(s, s[:4], s[4:6], s[6:])
	}
	if serial, ok := excelSerial(s); ok {
		// Day 60 is Excel's 1900-02-29, a day that never was: later days
		// count from 1899-12-30, and no roster date is earlier.
		t := time.Date(1899, 12, 30+serial, 0, 0, 0, 0, time.UTC)
		if serial < 61 {
			return time.Time{}, fmt.Errorf("%q is not a date in range: write it as 2026-01-02", s)
		}
		return t, checkYear(s, t.Year())
	}
	if len(s) == 10 && s[4] == '-' && s[7] == '-' { // as exports write it
		return civilDate(s, s[:4], s[5:7], s[8:])
	}
	y, rest, _ := strings.Cut(dateSeparators.Replace(s), "-")
	m, d, _ := strings.Cut(rest, "-")
	if len(y) != 4 {
		return time.Time{}, fmt.Errorf("%q is not a date: write it as 2026-01-02", s)
	}
	return civilDate(s, y, m, d)
}

var dateSeparators = strings.NewReplacer("年", "-", "月", "-", "日", "", "/", "-", ".", "-")

// excelSerial recognises a day number, with or without a time fraction.
func excelSerial(s string) (int, bool) {
	day, frac, _ := strings.Cut(s, ".")
	if len(day) == 0 || len(day) > 7 || !allDigits(day) || (frac != "" && !allDigits(frac)) {
		return 0, false
	}
	n, err := strconv.Atoi(day)
	return n, err == nil
}

func civilDate(s, year, month, day string) (time.Time, error) {
	y, errY := strconv.Atoi(year)
	m, errM := strconv.Atoi(month)
	d, errD := strconv.Atoi(day)
	if errY != nil || errM != nil || errD != nil || len(month) > 2 || len(day) > 2 || !allDigits(year+month+day) {
		return time.Time{}, fmt.Errorf("%q is not a date: write it as 2026-01-02", s)
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Month() != time.Month(m) || t.Day() != d {
		return time.Time{}, fmt.Errorf("%q is not a date: there is no day %d in month %d", s, d, m)
	}
	return t, checkYear(s, y)
}

func checkYear(s string, y int) error {
	if y < 1900 || y > 2199 {
		return fmt.Errorf("%q is not a date in range: the year must be between 1900 and 2199", s)
	}
	return nil
}
