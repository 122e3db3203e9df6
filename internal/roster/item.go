package roster

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
)

// Item is one version of an inspection item (抽查事项) of a bureau's list
// (抽查事项清单): what may be checked, on what legal basis, in which entity
// types, how, how often and by inspectors with which qualifications. A
// change closes the current version and adds the next; old versions stay
// readable, and a draw refers to the version it used.
type Item struct {
	BureauID         int64      `json:"bureau_id"`
	Code             string     `json:"code"` // 事项编码, normalised
	Version          int        `json:"version"`
	Name             string     `json:"name"`           // 事项名称
	LegalBasis       string     `json:"legal_basis"`    // 抽查依据
	SubjectBureau    string     `json:"subject_bureau"` // 主体部门
	EntityTypes      []string   `json:"entity_types"`   // the entity types it applies to
	Methods          []string   `json:"methods"`        // 检查方式
	Ratio            Ratio      `json:"ratio"`          // default ratio; 0: the plan's applies
	FrequencyPerYear int        `json:"frequency_per_year"`
	Qualifications   []string   `json:"qualifications"` // qualification codes an inspector needs
	Checklist        []string   `json:"checklist"`      // 检查内容, one line each
	ValidFrom        time.Time  `json:"valid_from"`
	ValidTo          *time.Time `json:"valid_to"`
	ChangedBy        *int64     `json:"changed_by"`
}

// Row is the item as a row of an item list file.
func (i Item) Row() ItemRow {
	return ItemRow{Code: i.Code, Name: i.Name, LegalBasis: i.LegalBasis, SubjectBureau: i.SubjectBureau,
		EntityTypes: i.EntityTypes, Methods: i.Methods, Ratio: i.Ratio, FrequencyPerYear: i.FrequencyPerYear,
		Qualifications: i.Qualifications, Checklist: i.Checklist}
}

// ItemFilter narrows the item list; empty fields match everything.
type ItemFilter struct {
	Search        string // part of the name, or the start of the code
	EntityType    string // applies to this entity type
	Qualification string // needs this qualification
}

// ItemStore keeps the inspection item list (抽查事项清单), versioned. Every
// method runs as the serving role in the actor's bureau.
type ItemStore interface {
	// ImportItems upserts the rows by code (all or nothing): a changed item
	// gets a new version, an unchanged one writes nothing; a dry run rolls
	// back.
	ImportItems(ctx context.Context, actor *authz.Actor, rows []ItemRow, meta ImportMeta) (ImportResult, error)
	// ExportItems returns the current version of every item, by code.
	ExportItems(ctx context.Context, actor *authz.Actor) ([]ItemRow, error)
	// ListItems returns a page of the current versions, by code.
	ListItems(ctx context.Context, actor *authz.Actor, f ItemFilter, p page.Request) ([]Item, error)
	// CountItems counts every page of ListItems.
	CountItems(ctx context.Context, actor *authz.Actor, f ItemFilter) (int, error)
	// ItemVersion returns one version of an item, the latest when version
	// is 0: NOT_FOUND when there is none in the bureau.
	ItemVersion(ctx context.Context, actor *authz.Actor, code string, version int) (Item, error)
	// ItemVersions reads the same page (keyed by version) of the versions
	// of each item, in one statement whatever the number of items.
	ItemVersions(ctx context.Context, actor *authz.Actor, codes []string, p page.Request) ([]Item, error)
	// CountItemVersions counts every page of ItemVersions, per item.
	CountItemVersions(ctx context.Context, actor *authz.Actor, codes []string) (map[string]int, error)
	// SaveItem adds an item or gives it a new version, and reports whether
	// anything changed.
	SaveItem(ctx context.Context, actor *authz.Actor, row ItemRow) (Item, bool, error)
}

// Items returns a page of the current versions of the acting bureau's
// inspection items, by code. Needs roster:read.
func (s *Service) Items(ctx context.Context, f ItemFilter, p page.Request) (*page.Connection[Item], error) {
	actor, err := s.Authz.Require(ctx, "roster:read")
	if err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(f.Search) > 200 {
		return nil, errs.InvalidField("filter.search", "is at most 200 characters")
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	rows, err := s.ItemStore.ListItems(ctx, actor, f, p)
	if err != nil {
		return nil, err
	}
	return page.New(rows, p, func(i Item) string { return i.Code }).Counted(func(ctx context.Context) (int, error) {
		return s.ItemStore.CountItems(ctx, actor, f)
	}), nil
}

// Item returns a version of one of the acting bureau's inspection items:
// the latest when version is nil. Needs roster:read; NOT_FOUND when the
// bureau has no such item or version.
func (s *Service) Item(ctx context.Context, code string, version *int) (Item, error) {
	actor, err := s.Authz.Require(ctx, "roster:read")
	if err != nil {
		return Item{}, err
	}
	v := 0
	if version != nil {
		if v = *version; v < 1 {
			return Item{}, errs.InvalidField("version", "versions count from 1")
		}
	}
	return s.ItemStore.ItemVersion(ctx, actor, NormalizeEntityCode(code), v)
}

// ItemVersions returns the same page of the versions of each of the
// acting bureau's items with the codes, oldest first (keyed by version),
// for batch loading: one statement for every item's page, and one more,
// for all of them, when a total is asked for. Needs roster:read.
func (s *Service) ItemVersions(ctx context.Context, codes []string, p page.Request) (map[string]*page.Connection[Item], error) {
	actor, err := s.readHistory(ctx, p)
	if err != nil {
		return nil, err
	}
	rows, err := s.ItemStore.ItemVersions(ctx, actor, codes, p)
	if err != nil {
		return nil, err
	}
	return page.PerParent(codes, rows, p, func(i Item) string { return i.Code }, func(i Item) string { return strconv.Itoa(i.Version) },
		func(ctx context.Context) (map[string]int, error) {
			return s.ItemStore.CountItemVersions(ctx, actor, codes)
		}), nil
}

// SaveItem adds an inspection item or, when it changed, gives it a new
// version (the old stays readable), and reports whether anything changed.
// Fields are checked as an imported row is; a problem names the field
// ("input.checklist[2]"). Needs roster:write.
func (s *Service) SaveItem(ctx context.Context, row ItemRow) (Item, bool, error) {
	actor, err := s.requireOwnRoster(ctx, "roster:write")
	if err != nil {
		return Item{}, false, err
	}
	if row, err = checkItemRow(row); err != nil {
		return Item{}, false, err
	}
	return s.ItemStore.SaveItem(ctx, actor, row)
}

func checkItemRow(r ItemRow) (ItemRow, error) {
	cols := schemas[KindItems].cols
	r.Code = NormalizeEntityCode(r.Code)
	r.Name, r.LegalBasis, r.SubjectBureau = strings.TrimSpace(r.Name), strings.TrimSpace(r.LegalBasis), strings.TrimSpace(r.SubjectBureau)
	for _, err := range []error{
		checkText("input.code", r.Code, cols[itCode]),
		checkText("input.name", r.Name, cols[itName]),
		checkText("input.legalBasis", r.LegalBasis, cols[itBasis]),
		checkText("input.subjectBureau", r.SubjectBureau, cols[itBureau]),
	} {
		if err != nil {
			return r, err
		}
	}
	if r.Ratio < 0 || r.Ratio > 10000 {
		return r, errs.InvalidField("input.ratioBasisPoints", "is from 1 to 10000 (0.01%% to 100%%), or empty for the plan's ratio")
	}
	if r.FrequencyPerYear < 0 || r.FrequencyPerYear > 366 {
		return r, errs.InvalidField("input.frequencyPerYear", "is from 1 to 366 times a year, or empty when not fixed")
	}
	lists := []struct {
		field string
		items *[]string
		col   int
		seps  string
	}{
		{"input.entityTypes", &r.EntityTypes, itEntityTypes, listSeparators},
		{"input.methods", &r.Methods, itMethods, listSeparators},
		{"input.qualifications", &r.Qualifications, itQualifications, codeSeparators},
		{"input.checklist", &r.Checklist, itChecklist, checklistSeparators},
	}
	for _, l := range lists {
		var err error
		if *l.items, err = checkList(l.field, *l.items, cols[l.col], l.seps); err != nil {
			return r, err
		}
	}
	return r, nil
}
