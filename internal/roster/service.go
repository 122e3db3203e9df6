package roster

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
)

// Service is the roster of a bureau: its entities, inspectors, inspection
// items and conflicts of interest, kept current, imported and exported.
type Service struct {
	EntityStore    EntityStore
	InspectorStore InspectorStore
	ItemStore      ItemStore
	// UnitStore holds the bureaus' unit tables (nil: none, units are
	// stored as written).
	UnitStore UnitStore
	Authz     *authz.Enforcer
	Now       func() time.Time
}

// MaxImportBytes bounds an uploaded roster file.
const MaxImportBytes = 64 << 20

// Entities returns a page of the acting bureau's roster, by entity code.
// Needs roster:read.
func (s *Service) Entities(ctx context.Context, f EntityFilter, p page.Request) (*page.Connection[RosterEntity], error) {
	actor, err := s.Authz.Require(ctx, "roster:read")
	if err != nil {
		return nil, err
	}
	if err := validateFilter(f); err != nil {
		return nil, err
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	f = s.withDefaults(f)
	rows, err := s.EntityStore.ListEntities(ctx, actor, f, p)
	if err != nil {
		return nil, err
	}
	return page.New(rows, p, func(r RosterEntity) string { return r.Entity.Code }).Counted(func(ctx context.Context) (int, error) {
		c, err := s.EntityStore.CountEntities(ctx, actor, f)
		return c.Total, err
	}), nil
}

func (s *Service) withDefaults(f EntityFilter) EntityFilter {
	if f.FocusPenalty == 0 {
		f.FocusPenalty = DefaultPenaltyWindow
	}
	return f
}

func validateFilter(f EntityFilter) error {
	for _, st := range f.Statuses {
		if !st.valid() {
			return errs.InvalidField("filter.status", "unknown status %q", st)
		}
	}
	for _, rc := range f.RiskClasses {
		if !rc.valid() {
			return errs.InvalidField("filter.riskClass", "unknown risk class %q", rc)
		}
	}
	if len(f.Search) > 200 {
		return errs.InvalidField("filter.search", "is at most 200 characters")
	}
	return nil
}

// Entity returns an entity of the acting bureau's region by code (USCC or
// 注册号), as of an instant if given. NOT_FOUND outside the region.
func (s *Service) Entity(ctx context.Context, code string, asOf *time.Time) (Entity, error) {
	actor, err := s.Authz.Require(ctx, "roster:read")
	if err != nil {
		return Entity{}, err
	}
	return s.EntityStore.EntityByCode(ctx, actor, NormalizeEntityCode(code), asOf)
}

// EntriesOf returns the roster entries the actor may see of the entities:
// their own bureau's, and for a joint office every bureau's of its region.
func (s *Service) EntriesOf(ctx context.Context, codes []string, asOf *time.Time) ([]Entry, error) {
	actor, err := s.Authz.Require(ctx, "roster:read")
	if err != nil {
		return nil, err
	}
	return s.EntityStore.EntriesOf(ctx, actor, codes, asOf)
}

// EntityHistory returns a page of the versions of the region's shared
// record of the entity, oldest first (keyed by version), each naming the
// bureau that made it. Needs roster:read; NOT_FOUND outside the region.
func (s *Service) EntityHistory(ctx context.Context, code string, p page.Request) (*page.Connection[Entity], error) {
	actor, err := s.readHistory(ctx, p)
	if err != nil {
		return nil, err
	}
	code = NormalizeEntityCode(code)
	rows, err := s.EntityStore.EntityHistory(ctx, actor, code, p)
	return page.Versions(rows, err, p, func(e Entity) int { return e.Version }, func(ctx context.Context) (int, error) {
		return s.EntityStore.CountEntityHistory(ctx, actor, code)
	})
}

// readHistory checks that the caller may read the roster and that the page
// asked for is one of a list of versions (keyed by version number).
func (s *Service) readHistory(ctx context.Context, p page.Request) (*authz.Actor, error) {
	actor, err := s.Authz.Require(ctx, "roster:read")
	if err != nil {
		return nil, err
	}
	return actor, p.CheckKeys(page.IsID)
}

// EntryHistory returns a page of the versions of the acting bureau's
// entry for the entity, oldest first (keyed by version): who changed
// what, and when.
func (s *Service) EntryHistory(ctx context.Context, code string, p page.Request) (*page.Connection[Entry], error) {
	actor, err := s.readHistory(ctx, p)
	if err != nil {
		return nil, err
	}
	code = NormalizeEntityCode(code)
	rows, err := s.EntityStore.EntryHistory(ctx, actor, code, p)
	return page.Versions(rows, err, p, func(e Entry) int { return e.Version }, func(ctx context.Context) (int, error) {
		return s.EntityStore.CountEntryHistory(ctx, actor, code)
	})
}

// Counts returns the totals of the acting bureau's roster matching f.
func (s *Service) Counts(ctx context.Context, f EntityFilter) (Counts, error) {
	actor, err := s.Authz.Require(ctx, "roster:read")
	if err != nil {
		return Counts{}, err
	}
	if err := validateFilter(f); err != nil {
		return Counts{}, err
	}
	return s.EntityStore.CountEntities(ctx, actor, s.withDefaults(f))
}

// SaveEntity adds or changes one entity and the acting bureau's entry for
// it, and returns them as saved, with whether anything changed. Fields
// are keyed by column key ("uscc", "name", "status"…) and checked exactly
// as an imported row is: a key left out keeps what the roster has, and a
// value of ClearMarker clears the field. A problem names the field as
// "input.<key>". An entity another bureau supervises is linked: its
// shared record (name, legal representative, address) stays as that
// bureau keeps it. Needs roster:write.
func (s *Service) SaveEntity(ctx context.Context, fields map[string]string) (RosterEntity, bool, error) {
	actor, err := s.requireOwnRoster(ctx, "roster:write")
	if err != nil {
		return RosterEntity{}, false, err
	}
	row, problems := parseFields(fields)
	if len(problems) > 0 {
		e := inputError(problems)
		e.Field = "input." + problems[0].Column
		return RosterEntity{}, false, e
	}
	units, err := s.unitsOf(ctx, actor)
	if err != nil {
		return RosterEntity{}, false, err
	}
	rows := []EntityRow{row}
	if problems := resolveEntityUnits(units, rows); len(problems) > 0 {
		return RosterEntity{}, false, errs.InvalidField("input.unit", "%s", problems[0].Message)
	}
	res, err := s.EntityStore.ImportEntities(ctx, actor, rows, ImportMeta{Filename: "(form)"})
	if err != nil {
		return RosterEntity{}, false, err
	}
	saved, err := s.EntityStore.RosterEntity(ctx, actor, row.Code)
	return saved, res.Unchanged == 0, err
}

// parseFields reads a form as a one-row file whose header is the keys.
func parseFields(fields map[string]string) (EntityRow, []FieldError) {
	header := make([]string, 0, len(fields))
	for k := range fields {
		header = append(header, k)
	}
	slices.Sort(header)
	cells := make([]string, len(header))
	for i, k := range header {
		cells[i] = fields[k]
	}
	m, problems := MapHeader(KindEntities, header, 0)
	if len(problems) > 0 {
		return EntityRow{}, problems
	}
	return ParseEntityRow(m, cells, 0)
}

// Import reads a roster file (CSV in UTF-8 or GB18030, or XLSX) and applies
// it all or nothing. Any bad row refuses the whole file with BAD_USER_INPUT
// listing every problem (row, column, why) in extensions.details; a dry run
// reports what would change and changes nothing. Re-importing a file
// changes nothing. Needs roster:import.
//
// A dry run lists what it would change: how many fields it would clear,
// and per row each field from → to (the first MaxListedChanges in the
// result; all of them, as they are found, to changes when not nil).
func (s *Service) Import(ctx context.Context, kind Kind, file io.Reader, filename string, dryRun bool, changes ChangeSink) (ImportResult, error) {
	actor, err := s.requireOwnRoster(ctx, "roster:import")
	if err != nil {
		return ImportResult{}, err
	}
	return s.ImportAs(ctx, actor, kind, file, filename, dryRun, changes)
}

// ImportAs is Import for an actor the caller has already authorized: the
// command line, run by an operator with access to the database.
func (s *Service) ImportAs(ctx context.Context, actor *authz.Actor, kind Kind, file io.Reader, filename string, dryRun bool, changes ChangeSink) (ImportResult, error) {
	data, err := io.ReadAll(io.LimitReader(file, MaxImportBytes+1))
	if err != nil {
		return ImportResult{}, errs.InvalidField("input.file", "could not be read: %v", err)
	}
	if len(data) > MaxImportBytes {
		return ImportResult{}, errs.InvalidField("input.file", "is larger than %d MiB", MaxImportBytes>>20)
	}
	sum := sha256.Sum256(data)
	meta := ImportMeta{Filename: filename, SHA256: hex.EncodeToString(sum[:]), DryRun: dryRun}
	sheet, err := OpenSheet(bytes.NewReader(data), filename)
	if err != nil {
		problem := FieldError{Message: err.Error()}
		errors.As(err, &problem)
		return ImportResult{}, inputError([]FieldError{problem})
	}
	defer sheet.Close()
	var listed ImportResult
	if dryRun && kind != KindItems {
		meta.Changes = changeList{res: &listed, next: changes}
	}
	res, err := s.importSheet(ctx, actor, kind, sheet, meta)
	res.Cleared, res.Changes, res.ChangesLeftOut = listed.Cleared, listed.Changes, listed.ChangesLeftOut
	return res, err
}

func (s *Service) importSheet(ctx context.Context, actor *authz.Actor, kind Kind, sheet Sheet, meta ImportMeta) (ImportResult, error) {
	switch kind {
	case KindEntities:
		rows, problems := ReadEntities(sheet, 0)
		if len(problems) > 0 {
			return ImportResult{}, inputError(problems)
		}
		units, err := s.unitsOf(ctx, actor)
		if err != nil {
			return ImportResult{}, err
		}
		if problems := resolveEntityUnits(units, rows); len(problems) > 0 {
			return ImportResult{}, inputError(problems)
		}
		return s.EntityStore.ImportEntities(ctx, actor, rows, meta)
	case KindInspectors:
		rows, problems := ReadInspectors(sheet, 0)
		if len(problems) > 0 {
			return ImportResult{}, inputError(problems)
		}
		units, err := s.unitsOf(ctx, actor)
		if err != nil {
			return ImportResult{}, err
		}
		if problems := resolveInspectorUnits(units, rows); len(problems) > 0 {
			return ImportResult{}, inputError(problems)
		}
		return s.InspectorStore.ImportInspectors(ctx, actor, rows, meta)
	case KindItems:
		rows, problems := ReadItems(sheet, 0)
		if len(problems) > 0 {
			return ImportResult{}, inputError(problems)
		}
		return s.ItemStore.ImportItems(ctx, actor, rows, meta)
	}
	return ImportResult{}, errs.InvalidField("input.kind", "unknown kind %v", kind)
}

// inputError refuses a file or form with every problem listed.
func inputError(problems []FieldError) *errs.Error {
	lines := make([]string, 0, 3)
	for i, p := range problems {
		if i == 3 {
			lines = append(lines, "…")
			break
		}
		lines = append(lines, p.Error())
	}
	return &errs.Error{Kind: errs.Invalid, Field: "input.file", Details: problems,
		Message: fmt.Sprintf("%d problem(s), nothing was changed: %s", len(problems), strings.Join(lines, "; "))}
}

// Export writes the acting bureau's roster of the kind (as of an instant,
// for entities) in the import format, so that it imports back unchanged.
func (s *Service) Export(ctx context.Context, kind Kind, format Format, asOf *time.Time, w io.Writer) error {
	actor, err := s.Authz.Require(ctx, "roster:read")
	if err != nil {
		return err
	}
	switch kind {
	case KindEntities:
		rows, err := s.EntityStore.ExportEntities(ctx, actor, asOf)
		if err != nil {
			return err
		}
		return WriteEntities(w, format, rows)
	case KindInspectors:
		rows, err := s.InspectorStore.ExportInspectors(ctx, actor)
		if err != nil {
			return err
		}
		return WriteInspectors(w, format, rows)
	case KindItems:
		rows, err := s.ItemStore.ExportItems(ctx, actor)
		if err != nil {
			return err
		}
		return WriteItems(w, format, rows)
	}
	return errs.InvalidField("kind", "unknown kind %v", kind)
}

// requireOwnRoster checks permission to change the acting bureau's roster:
// a joint office keeps none (its bureaus supervise the entities and send
// the inspectors), so it is FORBIDDEN to write or import one.
func (s *Service) requireOwnRoster(ctx context.Context, permission string) (*authz.Actor, error) {
	actor, err := s.Authz.Require(ctx, permission)
	if err != nil {
		return nil, err
	}
	if actor.BureauKind == "joint_office" {
		return nil, errs.E(errs.Forbidden, "%s is a joint office: it keeps no roster; its bureaus keep theirs", actor.BureauCode)
	}
	return actor, nil
}
