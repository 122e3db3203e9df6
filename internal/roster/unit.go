package roster

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
)

// Unit is one of a bureau's units (所/中队): the jurisdiction unit of its
// entities (属地单位) and the unit of its inspectors (所属单位). Entities and
// inspectors name a unit by its Code, so that the own-unit rule of draws
// (所所交叉) compares codes, never two spellings of one unit. Name and
// Aliases are what files and forms may say instead of the code (an old
// spelling, a short form).
type Unit struct {
	Code    string   `db:"code" json:"code"`
	Name    string   `db:"name" json:"name"`
	Aliases []string `db:"-" json:"aliases"`
}

// UnitStore keeps a bureau's units.
type UnitStore interface {
	// Units lists the acting bureau's units by code.
	Units(ctx context.Context, actor *authz.Actor) ([]Unit, error)
	// SaveUnit adds a unit or changes its name and aliases; CONFLICT when
	// the name or an alias is another unit's.
	SaveUnit(ctx context.Context, actor *authz.Actor, u Unit) (Unit, error)
}

var unitCodePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Units lists the acting bureau's units. Needs roster:read.
func (s *Service) Units(ctx context.Context) ([]Unit, error) {
	actor, err := s.Authz.Require(ctx, "roster:read")
	if err != nil {
		return nil, err
	}
	return s.UnitStore.Units(ctx, actor)
}

// SaveUnit adds a unit to the acting bureau's table, or renames one and
// sets its aliases. The code never changes: entities and inspectors keep
// it. BAD_USER_INPUT names the field; CONFLICT when the name or an alias
// already names another unit. Needs roster:write.
func (s *Service) SaveUnit(ctx context.Context, u Unit) (Unit, error) {
	actor, err := s.Authz.Require(ctx, "roster:write")
	if err != nil {
		return Unit{}, err
	}
	u, err = checkUnit(u)
	if err != nil {
		return Unit{}, err
	}
	return s.UnitStore.SaveUnit(ctx, actor, u)
}

func checkUnit(u Unit) (Unit, error) {
	u.Code, u.Name = strings.TrimSpace(u.Code), strings.TrimSpace(u.Name)
	if !unitCodePattern.MatchString(u.Code) {
		return u, errs.InvalidField("input.code", "1 to 32 letters, digits, - or _ (e.g. FC for 凤城所)")
	}
	if u.Name == "" || utf8.RuneCountInString(u.Name) > 100 || strings.ContainsFunc(u.Name, isControlRune) {
		return u, errs.InvalidField("input.name", "give the unit's name, at most 100 characters")
	}
	aliases := []string{}
	for i, a := range u.Aliases {
		a = strings.TrimSpace(a)
		if a == "" || utf8.RuneCountInString(a) > 100 || strings.ContainsFunc(a, isControlRune) || a == u.Name {
			return u, errs.InvalidField(fmt.Sprintf("input.aliases[%d]", i), "an alias is another spelling of the name, at most 100 characters")
		}
		aliases = append(aliases, a)
	}
	slices.Sort(aliases)
	u.Aliases = slices.Compact(aliases)
	return u, nil
}

func isControlRune(r rune) bool { return r < 0x20 || r == 0x7f }

// unitTable maps each code, name and alias of a bureau's units to the code.
// An empty table (a bureau that has not set its units up) maps nothing and
// leaves units as written.
type unitTable map[string]string

func newUnitTable(units []Unit) unitTable {
	t := unitTable{}
	for _, u := range units {
		t[u.Code], t[u.Name] = u.Code, u.Code
		for _, a := range u.Aliases {
			t[a] = u.Code
		}
	}
	return t
}

// code returns the code of a unit as a file or form writes it; ok is false
// for a unit the table does not know. "" (no unit) is always fine.
func (t unitTable) code(written string) (string, bool) {
	if written == "" || len(t) == 0 {
		return written, true
	}
	c, ok := t[written]
	return c, ok
}

// unknown is the message for a unit the table does not know.
func (t unitTable) unknown(written string) string {
	codes := make([]string, 0, len(t))
	for name, code := range t {
		if name == code {
			codes = append(codes, code)
		}
	}
	slices.Sort(codes)
	if len(codes) > 8 {
		codes = append(codes[:8], "…")
	}
	return fmt.Sprintf("%q is not one of this bureau's units (%s): give its code, name or an alias, or add it to the units first", written, strings.Join(codes, ", "))
}

// unitsOf reads the acting bureau's table; a Service without a UnitStore
// has none.
func (s *Service) unitsOf(ctx context.Context, actor *authz.Actor) (unitTable, error) {
	if s.UnitStore == nil {
		return unitTable{}, nil
	}
	units, err := s.UnitStore.Units(ctx, actor)
	return newUnitTable(units), err
}

// rowUnit is where a row of a roster file keeps its unit: the row's
// number, the unit as written (replaced by its code) and whether the row
// gives one at all.
type rowUnit struct {
	row   int
	unit  *string
	given bool
}

// resolveUnits replaces the unit of each row that gives one by its code,
// listing every row whose unit the table does not know under the unit
// column of kind's file.
func resolveUnits[R any](t unitTable, kind Kind, unitColumn int, rows []R, unitOf func(*R) rowUnit) []FieldError {
	var problems []FieldError
	for i := range rows {
		u := unitOf(&rows[i])
		if !u.given {
			continue
		}
		code, ok := t.code(*u.unit)
		if !ok {
			problems = append(problems, FieldError{Row: u.row, Column: schemas[kind].cols[unitColumn].header, Message: t.unknown(*u.unit)})
			continue
		}
		*u.unit = code
	}
	return problems
}

func resolveEntityUnits(t unitTable, rows []EntityRow) []FieldError {
	return resolveUnits(t, KindEntities, entUnit, rows, func(r *EntityRow) rowUnit {
		return rowUnit{r.Row, &r.Unit, r.Given.Has(EntityUnit)}
	})
}

func resolveInspectorUnits(t unitTable, rows []InspectorRow) []FieldError {
	return resolveUnits(t, KindInspectors, insUnit, rows, func(r *InspectorRow) rowUnit {
		return rowUnit{r.Row, &r.Unit, r.Given.Has(InspectorUnit)}
	})
}
