package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
	"shuangsuiji/internal/roster"
)

// ItemStore implements roster.ItemStore.
type ItemStore struct{ DB *DB }

// itemRow is a row of inspection_items.
type itemRow struct {
	BureauID         int64          `db:"bureau_id"`
	Code             string         `db:"code"`
	Version          int            `db:"version"`
	Name             string         `db:"name"`
	LegalBasis       string         `db:"legal_basis"`
	SubjectBureau    string         `db:"subject_bureau"`
	EntityTypes      pq.StringArray `db:"entity_types"`
	Methods          pq.StringArray `db:"methods"`
	Ratio            int            `db:"ratio_basis_points"`
	FrequencyPerYear int            `db:"frequency_per_year"`
	Qualifications   pq.StringArray `db:"qualifications"`
	Checklist        pq.StringArray `db:"checklist"`
	ValidFrom        time.Time      `db:"valid_from"`
	ValidTo          *time.Time     `db:"valid_to"`
	ChangedBy        *int64         `db:"changed_by"`
}

const itemColumns = `t.bureau_id, t.code, t.version, t.name, t.legal_basis, t.subject_bureau, t.entity_types,
	t.methods, t.ratio_basis_points, t.frequency_per_year, t.qualifications, t.checklist, t.valid_from, t.valid_to,
	t.changed_by`

func (r itemRow) item() roster.Item {
	return roster.Item{BureauID: r.BureauID, Code: r.Code, Version: r.Version, Name: r.Name, LegalBasis: r.LegalBasis,
		SubjectBureau: r.SubjectBureau, EntityTypes: r.EntityTypes, Methods: r.Methods, Ratio: roster.Ratio(r.Ratio),
		FrequencyPerYear: r.FrequencyPerYear, Qualifications: r.Qualifications, Checklist: r.Checklist,
		ValidFrom: r.ValidFrom, ValidTo: r.ValidTo, ChangedBy: r.ChangedBy}
}

// selectItems runs q, which selects itemColumns, in tx.
func selectItems(ctx context.Context, tx *sqlx.Tx, q string, args ...any) ([]roster.Item, error) {
	var rows []itemRow
	if err := tx.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, err
	}
	out := make([]roster.Item, len(rows))
	for i, r := range rows {
		out[i] = r.item()
	}
	return out, nil
}

// ListItems returns a page of the current versions of the acting bureau's
// items, by code.
func (s ItemStore) ListItems(ctx context.Context, actor *authz.Actor, f roster.ItemFilter, p page.Request) ([]roster.Item, error) {
	w := itemWhere(f)
	w.seek(p, false, "t.code", textKey)
	q := `SELECT ` + itemColumns + ` FROM inspection_items t WHERE ` + w.String() + fmt.Sprintf(` ORDER BY %s LIMIT %d`, p.Order("t.code", false), p.Limit())
	var out []roster.Item
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) (err error) {
		out, err = selectItems(ctx, tx, q, w.args...)
		return err
	})
	return out, err
}

// CountItems counts the current items of ListItems.
func (s ItemStore) CountItems(ctx context.Context, actor *authz.Actor, f roster.ItemFilter) (int, error) {
	w := itemWhere(f)
	return s.DB.countIn(ctx, scopeOf(actor), `SELECT FROM inspection_items t WHERE `+w.String(), w.args...)
}

func itemWhere(f roster.ItemFilter) *where {
	w := &where{}
	w.add("t.bureau_id = (SELECT app_bureau())")
	w.add("t.valid_to IS NULL")
	if f.Search != "" {
		w.add("(t.name ILIKE %s OR t.code LIKE %s)", likeContaining(f.Search), likePrefix(roster.NormalizeEntityCode(f.Search)))
	}
	if f.EntityType != "" {
		w.add("%s = ANY(t.entity_types)", f.EntityType)
	}
	if f.Qualification != "" {
		w.add("%s = ANY(t.qualifications)", f.Qualification)
	}
	return w
}

// ItemVersion returns a version of an item of the acting bureau, the
// latest when version is 0.
func (s ItemStore) ItemVersion(ctx context.Context, actor *authz.Actor, code string, version int) (roster.Item, error) {
	q := `SELECT ` + itemColumns + ` FROM inspection_items t
WHERE t.bureau_id = (SELECT app_bureau()) AND t.code = $1 AND ($2 = 0 OR t.version = $2)
ORDER BY t.version DESC LIMIT 1`
	var list []roster.Item
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) (err error) {
		list, err = selectItems(ctx, tx, q, code, version)
		return err
	})
	if err != nil {
		return roster.Item{}, err
	}
	if len(list) == 0 {
		if version > 0 {
			return roster.Item{}, errs.NotFoundf("no version %d of inspection item %s", version, code)
		}
		return roster.Item{}, errs.NotFoundf("no inspection item %s", code)
	}
	return list[0], nil
}

// ItemVersions reads the same page of the versions of each of the acting
// bureau's items with the codes: one statement, a page per item read
// from the index of its versions.
func (s ItemStore) ItemVersions(ctx context.Context, actor *authz.Actor, codes []string, p page.Request) ([]roster.Item, error) {
	w := &where{}
	w.add("t.bureau_id = (SELECT app_bureau()) AND t.code = c.code")
	w.seek(p, false, "t.version", intKey)
	q := `SELECT t.* FROM unnest(` + w.param(pq.Array(codes)) + `::text[]) c(code)
CROSS JOIN LATERAL (SELECT ` + itemColumns + ` FROM inspection_items t
  WHERE ` + w.String() + fmt.Sprintf(` ORDER BY %[1]s LIMIT %[2]d) t
ORDER BY t.code, %[1]s`, p.Order("t.version", false), p.Limit())
	var out []roster.Item
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) (err error) {
		out, err = selectItems(ctx, tx, q, w.args...)
		return err
	})
	return out, err
}

// CountItemVersions counts the versions of each of the acting bureau's
// items with the codes.
func (s ItemStore) CountItemVersions(ctx context.Context, actor *authz.Actor, codes []string) (map[string]int, error) {
	const q = `SELECT code, count(*) AS n FROM inspection_items WHERE bureau_id = (SELECT app_bureau()) AND code = ANY($1) GROUP BY code`
	var rows []struct {
		Code string `db:"code"`
		N    int    `db:"n"`
	}
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error { return tx.SelectContext(ctx, &rows, q, pq.Array(codes)) })
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Code] = r.N
	}
	return out, err
}

// lockItems serialises the writes of one bureau's item list, so that two
// writers never both add the next version of an item.
//
// It returns the time the writes' versions take effect, read after the
// lock (see lockRoster).
func lockItems(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor) (time.Time, error) {
	return lockList(ctx, tx, "inspection_items:"+strconv.FormatInt(actor.BureauID, 10))
}

// SaveItem adds the item or, when it differs from the current version,
// closes that version and adds the next.
func (s ItemStore) SaveItem(ctx context.Context, actor *authz.Actor, row roster.ItemRow) (roster.Item, bool, error) {
	var saved roster.Item
	var changed bool
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		at, err := lockItems(ctx, tx, actor)
		if err != nil {
			return err
		}
		current, err := selectItems(ctx, tx, `SELECT `+itemColumns+` FROM inspection_items t
WHERE t.bureau_id = (SELECT app_bureau()) AND t.code = $1 AND t.valid_to IS NULL`, row.Code)
		if err != nil {
			return err
		}
		var before *roster.Item
		if len(current) > 0 {
			before = &current[0]
			if sameItem(before.Row(), row) {
				saved = *before
				return nil
			}
			const closeVersion = `UPDATE inspection_items SET valid_to = greatest($2::timestamptz, valid_from)
WHERE bureau_id = (SELECT app_bureau()) AND code = $1 AND valid_to IS NULL`
			if _, err := tx.ExecContext(ctx, closeVersion, row.Code, at); err != nil {
				return err
			}
		}
		if err := stageItems(ctx, tx, []roster.ItemRow{row}); err != nil {
			return err
		}
		added, err := addStagedItems(ctx, tx, actor, at)
		if err != nil {
			return err
		}
		saved, changed = added[0], true
		c := audit.Change{Action: "inspection_item.update", ObjectType: "inspection_item", ObjectID: row.Code, After: saved}
		if before == nil {
			c.Action = "inspection_item.create"
		} else {
			c.Before = before
		}
		return auditAs(ctx, tx, actor, c)
	})
	return saved, changed, err
}

// sameItem reports whether two rows hold the same item.
func sameItem(a, b roster.ItemRow) bool {
	return a.Code == b.Code && a.Name == b.Name && a.LegalBasis == b.LegalBasis && a.SubjectBureau == b.SubjectBureau &&
		slices.Equal(a.EntityTypes, b.EntityTypes) && slices.Equal(a.Methods, b.Methods) && a.Ratio == b.Ratio &&
		a.FrequencyPerYear == b.FrequencyPerYear && slices.Equal(a.Qualifications, b.Qualifications) &&
		slices.Equal(a.Checklist, b.Checklist)
}

// ExportItems returns the current version of every item of the acting
// bureau, by code.
func (s ItemStore) ExportItems(ctx context.Context, actor *authz.Actor) ([]roster.ItemRow, error) {
	q := `SELECT ` + itemColumns + ` FROM inspection_items t
WHERE t.bureau_id = (SELECT app_bureau()) AND t.valid_to IS NULL ORDER BY t.code`
	var list []roster.Item
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) (err error) {
		list, err = selectItems(ctx, tx, q)
		return err
	})
	out := make([]roster.ItemRow, len(list))
	for i, it := range list {
		out[i] = it.Row()
	}
	return out, err
}

// ImportItems applies the rows in one transaction: they are copied into a
// staging table, then one statement closes the current versions that
// changed and one adds the next versions, so cost grows with the file, not
// with round trips. Unchanged rows write nothing.
func (s ItemStore) ImportItems(ctx context.Context, actor *authz.Actor, rows []roster.ItemRow, meta roster.ImportMeta) (roster.ImportResult, error) {
	result := roster.ImportResult{Kind: roster.KindItems, Rows: len(rows), DryRun: meta.DryRun}
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		at, err := lockItems(ctx, tx, actor)
		if err != nil {
			return err
		}
		if err := stageItems(ctx, tx, rows); err != nil {
			return err
		}
		const closeChanged = `
UPDATE inspection_items t SET valid_to = greatest($1::timestamptz, t.valid_from)
FROM item_stage s
WHERE t.bureau_id = (SELECT app_bureau()) AND t.code = s.code AND t.valid_to IS NULL
  AND (t.name, t.legal_basis, t.subject_bureau, t.entity_types, t.methods, t.ratio_basis_points,
       t.frequency_per_year, t.qualifications, t.checklist) IS DISTINCT FROM
      (s.name, s.legal_basis, s.subject_bureau, s.entity_types, s.methods, s.ratio_basis_points,
       s.frequency_per_year, s.qualifications, s.checklist)`
		if _, err := tx.ExecContext(ctx, closeChanged, at); err != nil {
			return fmt.Errorf("close item versions: %w", err)
		}
		added, err := addStagedItems(ctx, tx, actor, at)
		if err != nil {
			return err
		}
		for _, it := range added {
			if it.Version == 1 {
				result.Created++
			} else {
				result.Updated++
			}
		}
		result.Unchanged = len(rows) - len(added)
		if meta.DryRun {
			return errDryRun
		}
		return auditAs(ctx, tx, actor, importChange(meta, result))
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	return result, err
}

var itemStageColumns = []string{"line", "code", "name", "legal_basis", "subject_bureau", "entity_types", "methods",
	"ratio_basis_points", "frequency_per_year", "qualifications", "checklist"}

// stageItems copies the rows into a temporary table with COPY.
func stageItems(ctx context.Context, tx *sqlx.Tx, rows []roster.ItemRow) error {
	const create = `CREATE TEMP TABLE item_stage (
    line int, code text PRIMARY KEY, name text, legal_basis text, subject_bureau text, entity_types text[],
    methods text[], ratio_basis_points int, frequency_per_year int, qualifications text[], checklist text[]
) ON COMMIT DROP`
	return stage(ctx, tx, create, "item_stage", itemStageColumns, len(rows), func(i int) []any {
		r := rows[i]
		return []any{i, r.Code, r.Name, r.LegalBasis, r.SubjectBureau, pq.Array(nonNil(r.EntityTypes)),
			pq.Array(nonNil(r.Methods)), int(r.Ratio), r.FrequencyPerYear, pq.Array(nonNil(r.Qualifications)),
			pq.Array(nonNil(r.Checklist))}
	})
}

// addStagedItems adds the next version of every staged item that has no
// current version (it is new, or its current version was just closed).
func addStagedItems(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, at time.Time) ([]roster.Item, error) {
	q := `
INSERT INTO inspection_items AS t (bureau_id, code, version, name, legal_basis, subject_bureau, entity_types, methods,
    ratio_basis_points, frequency_per_year, qualifications, checklist, valid_from, changed_by)
SELECT $1, s.code, coalesce(l.version, 0) + 1, s.name, s.legal_basis, s.subject_bureau, s.entity_types, s.methods,
    s.ratio_basis_points, s.frequency_per_year, s.qualifications, s.checklist, $3, $2
FROM item_stage s
LEFT JOIN LATERAL (SELECT max(version) AS version FROM inspection_items x WHERE x.bureau_id = $1 AND x.code = s.code) l ON true
WHERE NOT EXISTS (SELECT FROM inspection_items c WHERE c.bureau_id = $1 AND c.code = s.code AND c.valid_to IS NULL)
ORDER BY s.line
RETURNING ` + itemColumns
	added, err := selectItems(ctx, tx, q, actor.BureauID, userRef(actor), at)
	if err != nil {
		return nil, fmt.Errorf("add item versions: %w", err)
	}
	return added, nil
}
