package roster

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
)

// Inspector is one person of a bureau's inspector roster (执法检查人员名录库):
// who may be drawn to inspect, with the law-enforcement certificate (执法证)
// that entitles them to, as one version of the record: every change adds
// the next version and keeps the old, so the roster reads as of any
// instant and a draw names the versions it drew from.
type Inspector struct {
	BureauID          int64           `json:"bureau_id"`
	ID                int64           `json:"id"`
	CertificateNumber string          `json:"certificate_number"` // 执法证号, normalised; unique in the bureau
	Name              string          `json:"name"`               // 姓名
	Unit              string          `json:"unit"`               // 所属单位
	IssuedOn          *time.Time      `json:"issued_on"`          // 发证日期; nil when not recorded
	ExpiresOn         time.Time       `json:"expires_on"`         // 有效期至: the last day the certificate is valid
	Qualifications    []string        `json:"qualifications"`     // qualification or inspection item codes (资格)
	Status            InspectorStatus `json:"status"`
	UserID            *int64          `json:"user_id"` // the inspector's login, if linked
	CreatedAt         time.Time       `json:"created_at"`
	UpdatedAt         time.Time       `json:"updated_at"`
	UpdatedBy         *int64          `json:"updated_by"`
	Version           int             `json:"version"`  // from 1
	ValidTo           *time.Time      `json:"valid_to"` // when a later version replaced this one; nil: current
}

// InspectorFilter narrows the inspector roster; empty fields match
// everything.
type InspectorFilter struct {
	Statuses      []InspectorStatus
	Unit          string     // exactly this unit
	Search        string     // part of the name, or the start of the certificate number
	Qualification string     // holds this qualification code
	ExpiresBefore *time.Time // the certificate expires before this day (expires_on < it)
	AsOf          *time.Time // read the roster as it was then
}

// InspectorInput is a form save of one inspector, with patch semantics:
// a field the form leaves out (not in Given) keeps what the roster has,
// and a field in Clear is emptied. A new inspector needs a name, a
// certificate number and its expiry. The login link: Username nil keeps
// it, "" removes it.
type InspectorInput struct {
	ID                *int64 // change this inspector; nil: add, or change the one holding CertificateNumber
	CertificateNumber string
	Name              string
	Unit              string
	IssuedOn          *time.Time
	ExpiresOn         time.Time
	Qualifications    []string
	Status            InspectorStatus
	Given             Fields // the fields the form gives, as InspectorField bits
	Username          *string
}

// More inspector fields, for InspectorInput.Given.
const (
	InspectorName        InspectorField = insName
	InspectorCertificate InspectorField = insCert
	InspectorExpiresOn   InspectorField = insExpires
)

// Over is the input applied to the inspector as it is (before; nil for a
// new one): the whole record the save leaves, checked as a whole.
func (in InspectorInput) Over(before *Inspector) (InspectorInput, error) {
	out := in
	out.Given = AllFields
	if before == nil {
		for _, f := range []struct {
			field InspectorField
			name  string
		}{{InspectorName, "input.name"}, {InspectorCertificate, "input.certificateNumber"}, {InspectorExpiresOn, "input.certificateExpiresOn"}} {
			if !in.Given.Has(f.field) {
				return in, errs.InvalidField(f.name, "is required for a new inspector")
			}
		}
		if !in.Given.Has(InspectorStatusField) {
			out.Status = InspectorActive
		}
		return out, checkDates(out)
	}
	keep := func(f InspectorField) bool { return !in.Given.Has(f) }
	if keep(InspectorCertificate) {
		out.CertificateNumber = before.CertificateNumber
	}
	if keep(InspectorName) {
		out.Name = before.Name
	}
	if keep(InspectorUnit) {
		out.Unit = before.Unit
	}
	if keep(InspectorIssuedOn) {
		out.IssuedOn = before.IssuedOn
	}
	if keep(InspectorExpiresOn) {
		out.ExpiresOn = before.ExpiresOn
	}
	if keep(InspectorQualifications) {
		out.Qualifications = before.Qualifications
	}
	if keep(InspectorStatusField) {
		out.Status = before.Status
	}
	return out, checkDates(out)
}

func checkDates(in InspectorInput) error {
	if in.IssuedOn != nil && in.ExpiresOn.Before(*in.IssuedOn) {
		return errs.InvalidField("input.certificateExpiresOn", "is before the certificate was issued (%s)", in.IssuedOn.Format(time.DateOnly))
	}
	return nil
}

// InspectorStore keeps the inspector roster (执法检查人员名录库) and conflicts
// of interest (回避). Every method runs as the serving role in the actor's
// bureau: another bureau's inspectors do not exist for it.
type InspectorStore interface {
	ConflictStore
	// ImportInspectors upserts the rows by certificate number (all or
	// nothing); unchanged rows write nothing, a dry run rolls back. Logins
	// linked to inspectors are kept.
	ImportInspectors(ctx context.Context, actor *authz.Actor, rows []InspectorRow, meta ImportMeta) (ImportResult, error)
	// ExportInspectors returns every inspector of the bureau as file rows,
	// by certificate number.
	ExportInspectors(ctx context.Context, actor *authz.Actor) ([]InspectorRow, error)
	// ListInspectors returns a page of the bureau's inspectors by id.
	ListInspectors(ctx context.Context, actor *authz.Actor, f InspectorFilter, p page.Request) ([]Inspector, error)
	// ExpiringCertificates returns a page of the bureau's active inspectors
	// whose certificate expires before the day, soonest first (then by id).
	ExpiringCertificates(ctx context.Context, actor *authz.Actor, before time.Time, p page.Request) ([]Inspector, error)
	// CountInspectors and CountExpiringCertificates count every page of
	// the lists above.
	CountInspectors(ctx context.Context, actor *authz.Actor, f InspectorFilter) (int, error)
	CountExpiringCertificates(ctx context.Context, actor *authz.Actor, before time.Time) (int, error)
	// InspectorsByID returns the bureau's inspectors with the ids, by id;
	// ids of other bureaus are left out.
	InspectorsByID(ctx context.Context, actor *authz.Actor, ids []int64) ([]Inspector, error)
	// InspectorHistory lists every version of the bureau's inspector,
	// oldest first (NOT_FOUND when the id is not the bureau's).
	InspectorHistory(ctx context.Context, actor *authz.Actor, id int64, p page.Request) ([]Inspector, error)
	// CountInspectorHistory counts every page of InspectorHistory.
	CountInspectorHistory(ctx context.Context, actor *authz.Actor, id int64) (int, error)
	// DrawInspectorVersions returns the bureau's inspectors a frozen draw
	// drew from, at the versions it used, by id.
	DrawInspectorVersions(ctx context.Context, actor *authz.Actor, drawID int64) ([]Inspector, error)
	// SaveInspector adds or changes one inspector and reports whether
	// anything changed. NOT_FOUND for an ID not in the bureau; CONFLICT
	// when the certificate number or the login belongs to another
	// inspector; BAD_USER_INPUT (input.username) when the login is not a
	// member of the bureau.
	SaveInspector(ctx context.Context, actor *authz.Actor, in InspectorInput) (Inspector, bool, error)
}

// Inspectors returns a page of the acting bureau's inspector roster, by id.
// Needs roster:read.
func (s *Service) Inspectors(ctx context.Context, f InspectorFilter, p page.Request) (*page.Connection[Inspector], error) {
	actor, err := s.Authz.Require(ctx, "roster:read")
	if err != nil {
		return nil, err
	}
	if err := validateInspectorFilter(f); err != nil {
		return nil, err
	}
	if err := p.CheckKeys(page.IsID); err != nil {
		return nil, err
	}
	rows, err := s.InspectorStore.ListInspectors(ctx, actor, f, p)
	if err != nil {
		return nil, err
	}
	return page.New(rows, p, inspectorKey).Counted(func(ctx context.Context) (int, error) {
		return s.InspectorStore.CountInspectors(ctx, actor, f)
	}), nil
}

func inspectorKey(i Inspector) string { return strconv.FormatInt(i.ID, 10) }

// DefaultExpiryWindow is how many days ahead ExpiringCertificates looks by
// default.
const DefaultExpiryWindow = 30

// ExpiringCertificates returns a page of the acting bureau's active
// inspectors whose certificate expires within the next `within` days
// (today, China Standard Time, counts as day 0) or has already expired,
// soonest first: the certificates to renew before a draw. Needs
// roster:read; BAD_USER_INPUT (within) outside 0 to 3660.
func (s *Service) ExpiringCertificates(ctx context.Context, within int, p page.Request) (*page.Connection[Inspector], error) {
	actor, err := s.Authz.Require(ctx, "roster:read")
	if err != nil {
		return nil, err
	}
	if within < 0 || within > 3660 {
		return nil, errs.InvalidField("within", "is a number of days from 0 to 3660")
	}
	if err := p.CheckKeys(isExpiryKey); err != nil {
		return nil, err
	}
	before := Today(s.currentTime()).AddDate(0, 0, within+1)
	rows, err := s.InspectorStore.ExpiringCertificates(ctx, actor, before, p)
	if err != nil {
		return nil, err
	}
	return page.New(rows, p, ExpiryKey).Counted(func(ctx context.Context) (int, error) {
		return s.InspectorStore.CountExpiringCertificates(ctx, actor, before)
	}), nil
}

// ExpiryKey is the sort key of ExpiringCertificates: the expiry day, then
// the id.
func ExpiryKey(i Inspector) string {
	return i.ExpiresOn.Format(time.DateOnly) + "/" + strconv.FormatInt(i.ID, 10)
}

// isExpiryKey says whether a key is an ExpiryKey.
func isExpiryKey(key string) bool {
	d, id, ok := strings.Cut(key, "/")
	_, err := time.Parse(time.DateOnly, d)
	return ok && err == nil && page.IsID(id)
}

// chinaTime is China Standard Time (no daylight saving time).
var chinaTime = time.FixedZone("CST", 8*60*60)

// Today is the calendar day of t in China, as midnight UTC (the form of
// every date of the roster).
func Today(t time.Time) time.Time {
	y, m, d := t.In(chinaTime).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func (s *Service) currentTime() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Inspector returns one inspector of the acting bureau. Needs roster:read;
// NOT_FOUND when the id is not the acting bureau's.
func (s *Service) Inspector(ctx context.Context, id int64) (Inspector, error) {
	list, err := s.InspectorsByID(ctx, []int64{id})
	if err != nil {
		return Inspector{}, err
	}
	if len(list) == 0 {
		return Inspector{}, errs.NotFoundf("no inspector %d", id)
	}
	return list[0], nil
}

// InspectorHistory returns a page of the versions of one of the acting
// bureau's inspectors, oldest first (keyed by version): who changed what,
// and when. Needs roster:read; NOT_FOUND when the id is not the acting
// bureau's.
func (s *Service) InspectorHistory(ctx context.Context, id int64, p page.Request) (*page.Connection[Inspector], error) {
	actor, err := s.readHistory(ctx, p)
	if err != nil {
		return nil, err
	}
	rows, err := s.InspectorStore.InspectorHistory(ctx, actor, id, p)
	return page.Versions(rows, err, p, func(i Inspector) int { return i.Version }, func(ctx context.Context) (int, error) {
		return s.InspectorStore.CountInspectorHistory(ctx, actor, id)
	})
}

// DrawInspectorVersions returns the acting bureau's inspectors that a
// frozen draw drew from, each as the version the draw used (empty for a
// draft, or a draw the bureau neither leads nor takes part in). Needs
// roster:read.
func (s *Service) DrawInspectorVersions(ctx context.Context, drawID int64) ([]Inspector, error) {
	actor, err := s.Authz.Require(ctx, "roster:read")
	if err != nil {
		return nil, err
	}
	return s.InspectorStore.DrawInspectorVersions(ctx, actor, drawID)
}

// InspectorsByID returns the acting bureau's inspectors with the ids
// (those of other bureaus are left out), for batch loading. Needs
// roster:read.
func (s *Service) InspectorsByID(ctx context.Context, ids []int64) ([]Inspector, error) {
	actor, err := s.Authz.Require(ctx, "roster:read")
	if err != nil {
		return nil, err
	}
	return s.InspectorStore.InspectorsByID(ctx, actor, ids)
}

// SaveInspector adds an inspector, or changes one (by ID, or else the one
// holding the certificate number), and returns it as saved, with whether
// anything changed; an unchanged save writes nothing. What the input
// leaves out is kept (see InspectorInput). Fields are checked as an
// imported row is; a problem names the field ("input.certificateExpiresOn"). Needs
// roster:write; NOT_FOUND for an ID not in the acting bureau; CONFLICT
// when the certificate number or login is another inspector's.
func (s *Service) SaveInspector(ctx context.Context, in InspectorInput) (Inspector, bool, error) {
	actor, err := s.requireOwnRoster(ctx, "roster:write")
	if err != nil {
		return Inspector{}, false, err
	}
	in, err = checkInspectorInput(in)
	if err != nil {
		return Inspector{}, false, err
	}
	units, err := s.unitsOf(ctx, actor)
	if err != nil {
		return Inspector{}, false, err
	}
	if in.Given.Has(InspectorUnit) {
		code, ok := units.code(in.Unit)
		if !ok {
			return Inspector{}, false, errs.InvalidField("input.unit", "%s", units.unknown(in.Unit))
		}
		in.Unit = code
	}
	return s.InspectorStore.SaveInspector(ctx, actor, in)
}

// usernamePattern is the users table's check.
var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,62}$`)

// checkInspectorInput checks the fields a form gives as an imported row's
// cells are checked.
func checkInspectorInput(in InspectorInput) (InspectorInput, error) {
	in.CertificateNumber = NormalizeEntityCode(in.CertificateNumber)
	in.Name, in.Unit = strings.TrimSpace(in.Name), strings.TrimSpace(in.Unit)
	cols := schemas[KindInspectors].cols
	given := in.Given.Has
	checks := []error{
		checkGivenText(given(InspectorName), "input.name", in.Name, cols[insName]),
		checkGivenText(given(InspectorCertificate), "input.certificateNumber", in.CertificateNumber, cols[insCert]),
		checkGivenText(given(InspectorUnit), "input.unit", in.Unit, cols[insUnit]),
	}
	for _, err := range checks {
		if err != nil {
			return in, err
		}
	}
	if in.ID == nil && !given(InspectorCertificate) {
		return in, errs.InvalidField("input.certificateNumber", "is required without an id")
	}
	if given(InspectorExpiresOn) {
		if in.ExpiresOn.IsZero() {
			return in, errs.InvalidField("input.certificateExpiresOn", "cannot be cleared: a certificate has an expiry")
		}
		if err := checkDay("input.certificateExpiresOn", in.ExpiresOn); err != nil {
			return in, err
		}
	}
	if given(InspectorIssuedOn) && in.IssuedOn != nil {
		if err := checkDay("input.certificateIssuedOn", *in.IssuedOn); err != nil {
			return in, err
		}
	}
	if given(InspectorIssuedOn) && given(InspectorExpiresOn) {
		if err := checkDates(in); err != nil {
			return in, err
		}
	}
	var err error
	if in.Qualifications, err = checkList("input.qualifications", in.Qualifications, cols[insQualifications], codeSeparators); err != nil {
		return in, err
	}
	if given(InspectorStatusField) && !in.Status.valid() {
		return in, errs.InvalidField("input.status", "unknown status %q", in.Status)
	}
	if in.Username != nil && *in.Username != "" && !usernamePattern.MatchString(*in.Username) {
		return in, errs.InvalidField("input.username", "%q is not a username", *in.Username)
	}
	return in, nil
}

// checkGivenText checks a field the form gives.
func checkGivenText(given bool, field, s string, col column) error {
	if !given {
		return nil
	}
	return checkText(field, s, col)
}

// checkDay refuses a day out of the range files accept.
func checkDay(field string, t time.Time) error {
	if y := t.Year(); y < 1900 || y > 2199 {
		return errs.InvalidField(field, "the year must be between 1900 and 2199")
	}
	return nil
}

func (s InspectorStatus) valid() bool { return s == InspectorActive || s == InspectorInactive }

func validateInspectorFilter(f InspectorFilter) error {
	for _, st := range f.Statuses {
		if !st.valid() {
			return errs.InvalidField("filter.status", "unknown status %q", st)
		}
	}
	if utf8.RuneCountInString(f.Search) > 200 {
		return errs.InvalidField("filter.search", "is at most 200 characters")
	}
	return nil
}

// checkText checks a form field against the rules of its file column, as
// an import would, naming the field.
func checkText(field, s string, col column) error {
	if s == "" && col.required {
		return errs.InvalidField(field, "is required")
	}
	max := col.maxLen
	if max == 0 {
		max = defaultMaxLen
	}
	if n := utf8.RuneCountInString(s); n > max {
		return errs.InvalidField(field, "is too long: %d characters, at most %d", n, max)
	}
	return nil
}

// checkList trims and de-duplicates the items of a list field and refuses
// an item holding one of the column's separators, which an export and
// re-import would split; the joined list must fit the column as a cell.
func checkList(field string, items []string, col column, seps string) ([]string, error) {
	var out []string
	for i, item := range items {
		item = strings.TrimSpace(item)
		if item == "" || contains(out, item) {
			continue
		}
		if j := strings.IndexAny(item, seps); j >= 0 {
			r, _ := utf8.DecodeRuneInString(item[j:])
			return nil, errs.InvalidField(fmt.Sprintf("%s[%d]", field, i), "%q holds %q, which separates the items of a list", item, r)
		}
		out = append(out, item)
	}
	return out, checkText(field, strings.Join(out, "、"), col)
}
