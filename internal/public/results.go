package public

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
)

// Result is a published inspection result (抽查检查结果) of one item at
// one entity, as the national enterprise credit publicity system shows it.
type Result struct {
	ID          int64     `db:"id"`
	EntityName  string    `db:"entity_name"`
	EntityCode  string    `db:"entity_code"` // 统一社会信用代码 (or registration number)
	Bureau      Bureau    `db:"bureau"`      // 检查实施机关
	DrawNumber  int64     `db:"draw_id"`
	TaskName    string    `db:"task_name"`
	ItemCode    string    `db:"item_code"`
	ItemName    string    `db:"item_name"`
	InspectedOn time.Time `db:"inspected_on"`
	PublishedAt time.Time `db:"published_at"`
	Correction  bool      `db:"correction"` // 更正: this result corrects an earlier one
	Results     []string  `db:"-"`          // the result labels, e.g. 未发现问题
}

// Summary is the result in one line: its labels joined, (更正) marked.
func (r Result) Summary() string {
	s := strings.Join(r.Results, "；")
	if r.Correction {
		s += "（更正）"
	}
	return s
}

// ResultFilter is what the public searches results by. Every field is
// optional; the zero filter lists every published result.
type ResultFilter struct {
	Query  string    // an entity's code (exact) or part of its name
	Region string    // area code
	Bureau string    // the inspecting bureau's code
	Item   string    // an inspection item's code
	From   time.Time // inspected on or after
	To     time.Time // inspected on or before
}

// MaxQueryRunes bounds the search text.
const MaxQueryRunes = 60

// entityCode is what a query that names an entity by code looks like: a
// USCC (18) or an old registration number (15).
var entityCode = regexp.MustCompile(`^[0-9A-Z]{15}([0-9A-Z]{3})?$`)

// ByCode reports whether the query is an entity code rather than a name.
func (f ResultFilter) ByCode() bool { return entityCode.MatchString(f.Query) }

// Normalize trims the text fields, upper-cases a code and checks every
// field, naming the one at fault.
func (f ResultFilter) Normalize() (ResultFilter, error) {
	f.Query, f.Bureau, f.Item = strings.TrimSpace(f.Query), strings.TrimSpace(f.Bureau), strings.TrimSpace(f.Item)
	if up := strings.ToUpper(f.Query); entityCode.MatchString(up) {
		f.Query = up
	}
	switch {
	case !utf8.ValidString(f.Query) || utf8.RuneCountInString(f.Query) > MaxQueryRunes:
		return f, errs.InvalidField("q", "at most %d characters of an entity's name or its code", MaxQueryRunes)
	case len(f.Bureau) > 64 || !utf8.ValidString(f.Bureau):
		return f, errs.InvalidField("bureau", "is a bureau's code")
	case len(f.Item) > 64 || !utf8.ValidString(f.Item):
		return f, errs.InvalidField("item", "is an inspection item's code")
	case !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From):
		return f, errs.InvalidField("to", "is before from")
	}
	return f, validRegion(f.Region)
}

// ParseDate reads an optional YYYY-MM-DD date named field.
func ParseDate(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	d, err := time.Parse("2006-01-02", v)
	if err != nil || d.Year() < 2000 || d.Year() > 2100 {
		return time.Time{}, errs.InvalidField(field, "is a date YYYY-MM-DD between 2000 and 2100")
	}
	return d, nil
}

// ResultKey is the keyset of the result list: newest inspection first.
func ResultKey(r Result) string {
	return r.InspectedOn.Format("2006-01-02") + "|" + strconv.FormatInt(r.ID, 10)
}

// isResultKey says whether a key is a ResultKey.
func isResultKey(key string) bool {
	date, id, ok := strings.Cut(key, "|")
	_, err := time.Parse("2006-01-02", date)
	return ok && err == nil && page.IsID(id)
}

// ResultStore reads published results.
type ResultStore interface {
	// Results returns a page of results, newest inspection first.
	Results(ctx context.Context, f ResultFilter, p page.Request) ([]Result, error)
	// CountResults counts every page of Results.
	CountResults(ctx context.Context, f ResultFilter) (int, error)
	// EachResult calls fn with every result in the same order, streaming:
	// memory stays flat however many there are. fn's error stops it.
	EachResult(ctx context.Context, f ResultFilter, fn func(Result) error) error
}

// Results searches published results, newest inspection first.
func (s *Service) Results(ctx context.Context, f ResultFilter, p page.Request) (*page.Connection[Result], error) {
	f, err := f.Normalize()
	if err != nil {
		return nil, err
	}
	if err := p.CheckKeys(isResultKey); err != nil {
		return nil, err
	}
	rows, err := s.Store.Results(ctx, f, p)
	if err != nil {
		return nil, err
	}
	return page.New(rows, p, ResultKey).Counted(func(ctx context.Context) (int, error) {
		return s.Store.CountResults(ctx, f)
	}), nil
}

// EachResult streams every result the filter admits to fn, for exports.
func (s *Service) EachResult(ctx context.Context, f ResultFilter, fn func(Result) error) error {
	f, err := f.Normalize()
	if err != nil {
		return err
	}
	return s.Store.EachResult(ctx, f, fn)
}
