package postgres

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/draw"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/plan"
)

// Freeze gathers a draft draw's inputs from the roster as it is now,
// seals them and stores them with their commitment, in one transaction.
func (s DrawStore) Freeze(ctx context.Context, actor *authz.Actor, drawID int64, seal draw.Sealer) (draw.Draw, error) {
	var frozen draw.Draw
	// The input and commitment are tens of megabytes of bytea: sent in binary.
	err := s.DB.InScopeBinary(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		d, err := leadDraw(ctx, tx, actor, drawID)
		if err != nil {
			return err
		}
		if d.Status != draw.StatusDraft {
			return errs.E(errs.Conflict, "draw %d is %s: only a draft can be frozen", drawID, d.Status)
		}
		if err := supersede(ctx, tx, d); err != nil {
			return err
		}
		in, err := gatherInput(ctx, tx, actor, d)
		if err != nil {
			return err
		}
		sealed, c, err := seal(in)
		if err != nil {
			return err
		}
		// What the audit keeps of the input is taken now: nothing holds the
		// frame and the commitment (two hundred megabytes at a million rows)
		// while their stored forms are sent.
		summary := map[string]any{"frame": len(sealed.Frame), "exclusions": len(sealed.Exclusions),
			"inspectors": len(sealed.Inspectors), "conflicts": len(sealed.Conflicts), "hashes": c.Hashes}
		if err := storeFrozen(ctx, tx, actor, d, sealed, c); err != nil {
			return err
		}
		if frozen, err = getDraw(ctx, tx, drawID, ""); err != nil {
			return err
		}
		summary["status"] = frozen.Status
		return auditAs(ctx, tx, actor, audit.Change{Action: "draw.freeze", ObjectType: "draw",
			ObjectID: fmt.Sprint(drawID), Before: d, After: summary})
	})
	return frozen, err
}

// supersede marks the draw a re-draw replaces, when the re-draw is frozen;
// a re-draw needs a leader's approval first.
func supersede(ctx context.Context, tx *sqlx.Tx, d draw.Draw) error {
	if d.RedrawOf == nil {
		return nil
	}
	if d.RedrawApprovedBy == nil {
		return errs.E(errs.Conflict, "draw %d re-draws draw %d: a leader approves a re-draw before it is frozen", d.ID, *d.RedrawOf)
	}
	const q = `UPDATE draws SET superseded_by = $1 WHERE id = $2 AND superseded_by IS NULL`
	res, err := tx.ExecContext(ctx, q, d.ID, *d.RedrawOf)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.Conflict, "draw %d was already re-drawn", *d.RedrawOf)
	}
	return nil
}

// gatherInput reads the frame, exclusions, inspectors, conflicts and
// params of a draw from the database as they are now.
func gatherInput(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, d draw.Draw) (draw.Input, error) {
	p, err := planIn(ctx, tx, d.BureauID, d.Year)
	if err != nil {
		return draw.Input{}, err
	}
	all, err := participantsOf(ctx, tx, d.ID)
	if err != nil {
		return draw.Input{}, err
	}
	participants, err := acceptedParticipants(d.ID, all)
	if err != nil {
		return draw.Input{}, err
	}
	frame, active, err := gatherFrame(ctx, tx, d, p, participants)
	if err != nil {
		return draw.Input{}, err
	}
	exclusions, err := gatherExclusions(ctx, tx, d, p, frame, active)
	if err != nil {
		return draw.Input{}, err
	}
	if err := checkDrawRatio(p, frame, exclusions); err != nil {
		return draw.Input{}, err
	}
	params, err := drawParams(ctx, tx, d, p, participants)
	if err != nil {
		return draw.Input{}, err
	}
	inspectors, err := gatherInspectors(ctx, tx, d.ID, params.Team)
	if err != nil {
		return draw.Input{}, err
	}
	if err := checkPools(inspectors, params); err != nil {
		return draw.Input{}, err
	}
	if params.CrossUnit {
		if err := checkUnits(ctx, tx, d.ID, params, frame, inspectors); err != nil {
			return draw.Input{}, err
		}
	}
	conflicts, err := gatherConflicts(ctx, tx, d.ID, frame, inspectors)
	if err != nil {
		return draw.Input{}, err
	}
	return draw.Input{Frame: frame, Exclusions: exclusions, Inspectors: inspectors, Conflicts: conflicts, Params: params}, nil
}

// gatherFrame reads the frame (dual-random-draw/v2): every entity that at
// least one accepted participant supervises, each bureau's entry from its
// own roster with the entity's unit there, in the highest stratum any of
// them gives it. In a 定向 draw a bureau's entry counts only for the entity
// types its own items apply to, so an entity is visited by exactly the
// bureaus that supervise it and have something to check there; a 不定向
// draw takes the whole rosters. active tells, by frame row, which are
// active entities in at least one roster.
func gatherFrame(ctx context.Context, tx *sqlx.Tx, d draw.Draw, p plan.Plan, participants []draw.Participant) ([]draw.FrameRow, []bool, error) {
	w := &where{}
	stratum := stratumSQL(w, p, time.Now())
	source, order := frameSource(w, d, participants)
	if limited, bureaus, types := itemEntityTypes(d.Scope, participants); len(limited) > 0 {
		w.add("(r.bureau_code <> ALL(%s) OR (r.bureau_code, r.entity_type) IN (SELECT * FROM unnest(%s::text[], %s::text[])))",
			pq.Array(limited), pq.Array(bureaus), pq.Array(types))
	}
	scopeConditions(w, d.Scope, stratum)
	q := `SELECT ` + fmt.Sprintf(frameRowSQL, stratum) + ` FROM ` + source + ` WHERE ` + w.String() + ` ORDER BY ` + order
	// draw_frame()'s rows are kept, then sorted: with the default 4 MB of
	// work_mem a million-entity roster spilled both to disk several times.
	if _, err := tx.ExecContext(ctx, `SET LOCAL work_mem = '256MB'`); err != nil {
		return nil, nil, err
	}
	size, err := frameSizeHint(ctx, tx, d, participants)
	if err != nil {
		return nil, nil, err
	}
	rows, err := tx.QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, nil, fmt.Errorf("frame: %w", err)
	}
	defer rows.Close()
	b := frameBuilder{size: size}
	var row sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&row); err != nil {
			return nil, nil, err
		}
		if err := b.addRow(row); err != nil {
			return nil, nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	frame, active := b.done()
	if !b.sorted {
		sortFrame(frame, active)
	}
	return frame, active, nil
}

// frameRowSQL is a frame row as one text, %s its stratum: a text a row
// costs the client one string and one value (where five columns cost
// five of each through lib/pq and database/sql: 0.9 s of Go CPU for a
// million rows, against 0.5 s so, and 0.05-0.2 s more of the server's),
// and its strings are then shared (frameBuilder). It is 't' or 'f' (the
// entity active or not), the stratum (one letter: F, or the risk class,
// which the table's CHECK keeps to A-D or empty, B then), the byte
// lengths of the id and of the bureau's code each as one character (its
// code point the length plus one: chr(0) is no character), then the id,
// the bureau's code and the unit, which is the rest whatever it holds.
// Every column of it is NOT NULL.
const frameRowSQL = `CASE WHEN r.status = 'active' THEN 't' ELSE 'f' END || %s
    || chr(octet_length(r.entity_code) + 1) || chr(octet_length(r.bureau_code) + 1) || r.entity_code || r.bureau_code || r.unit`

// splitFrameRow splits a row of frameRowSQL.
func splitFrameRow(row []byte) (active bool, stratum, id, bureau, unit []byte, err error) {
	if len(row) < 4 || (row[0] != 't' && row[0] != 'f') {
		return false, nil, nil, nil, nil, fmt.Errorf("frame: row %q is not of frameRowSQL", row)
	}
	idLen, n := utf8.DecodeRune(row[2:])
	bureauLen, m := utf8.DecodeRune(row[2+n:])
	rest := row[2+n+m:]
	if idLen < 1 || bureauLen < 1 || int(idLen-1)+int(bureauLen-1) > len(rest) {
		return false, nil, nil, nil, nil, fmt.Errorf("frame: row %q is not of frameRowSQL", row)
	}
	id, rest = rest[:idLen-1], rest[idLen-1:]
	return row[0] == 't', row[1:2], id, rest[:bureauLen-1], rest[bureauLen-1:], nil
}

// frameSizeHint is how many rows the frame of a draw of the lead's bureau
// alone can have, from the roster's tallies (migration 00023), which its
// row-level security shows it; 0 for a joint draw, or when the bureau has
// no tallies.
func frameSizeHint(ctx context.Context, tx *sqlx.Tx, d draw.Draw, participants []draw.Participant) (int, error) {
	if len(participants) != 1 || participants[0].BureauID != d.BureauID {
		return 0, nil
	}
	var n int
	err := tx.GetContext(ctx, &n, `SELECT coalesce(sum(n), 0) FROM roster_tallies WHERE bureau_id = $1`, d.BureauID)
	return n, err
}

// frameSource is where the frame's rows come from, and in which order. A
// draw of the lead's bureau alone reads its roster directly, under its
// row-level security, in the order of the roster's index (a million rows
// in a second, where draw_frame() took six to hand them over and the sort
// by byte order as many again): that is the database's collation, byte
// order under C and C.UTF-8, which frameBuilder checks (else the frame is
// sorted here). draw_frame(), which reads every participant's roster for
// the lead, returns its rows unordered, and they are sorted by byte order.
func frameSource(w *where, d draw.Draw, participants []draw.Participant) (source, order string) {
	if len(participants) == 1 && participants[0].BureauID == d.BureauID {
		return fmt.Sprintf(`(SELECT e.*, %s::text AS bureau_code FROM roster_entries e WHERE e.bureau_id = %s AND e.valid_to IS NULL) r`,
			w.param(participants[0].BureauCode), w.param(d.BureauID)), "r.entity_code"
	}
	return `draw_frame(` + w.param(d.ID) + `) r`, `r.entity_code COLLATE "C", r.bureau_code COLLATE "C"`
}

// sortFrame sorts a frame of one bureau's roster (one row an entity) by
// byte order of the ids, with its rows' activity.
func sortFrame(frame []draw.FrameRow, active []bool) { sort.Sort(frameOrder{frame, active}) }

type frameOrder struct {
	frame  []draw.FrameRow
	active []bool
}

func (o frameOrder) Len() int           { return len(o.frame) }
func (o frameOrder) Less(i, j int) bool { return o.frame[i].ID < o.frame[j].ID }
func (o frameOrder) Swap(i, j int) {
	o.frame[i], o.frame[j] = o.frame[j], o.frame[i]
	o.active[i], o.active[j] = o.active[j], o.active[i]
}

// frameBuilder collects the frame's rows as they come, in id order, one
// row of each bureau that supervises an entity. A million-row frame grown
// by append was copied over and over (twice its size at the end) and its
// rows' one-unit lists were a million allocations: the rows are kept in
// chunks, copied once into a frame of the right size, and the units share
// large arrays. The ids are copied into large buffers, and the strata,
// bureaus and units, a few dozen strings, are shared: a million strings
// fewer for the collector to follow while the draw is frozen and sealed.
type frameBuilder struct {
	ids    idArena
	words  interner // strata, bureaus, units
	chunks [][]draw.FrameRow
	units  []draw.UnitOf
	active []bool // by frame row: an active entity in at least one roster
	last   *draw.FrameRow
	// sorted stays true while the ids come in byte order.
	sorted bool
	// size is the number of rows expected (0 if unknown): the first chunk
	// holds as many, and is the frame when they all fit, copied nowhere.
	size int
}

const frameChunk = 1 << 16

// addRow adds a row of frameRowSQL.
func (b *frameBuilder) addRow(row []byte) error {
	active, stratum, id, bureau, unit, err := splitFrameRow(row)
	if err != nil {
		return err
	}
	if b.words == nil {
		b.words = interner{}
	}
	b.add(id, b.words.string(stratum), draw.UnitOf{Bureau: b.words.string(bureau), Unit: b.words.string(unit)}, active)
	return nil
}

// add adds a row; id is copied if kept.
func (b *frameBuilder) add(idBytes []byte, stratum string, unit draw.UnitOf, isActive bool) {
	if r := b.last; r != nil && r.ID == string(idBytes) { // another bureau's entry of the same entity
		r.Units = append(r.Units, unit) // capped at its length below: a copy, never a neighbour's unit
		r.Stratum = higherStratum(r.Stratum, stratum)
		b.active[len(b.active)-1] = b.active[len(b.active)-1] || isActive
		return
	}
	id := b.ids.string(idBytes)
	if b.last == nil {
		b.sorted = true
	} else if id < b.last.ID {
		b.sorted = false
	}
	n := len(b.chunks)
	if n == 0 || len(b.chunks[n-1]) == cap(b.chunks[n-1]) {
		size := frameChunk
		if n == 0 {
			size = max(size, b.size)
		}
		b.chunks = append(b.chunks, make([]draw.FrameRow, 0, size))
		n++
	}
	if len(b.units) == cap(b.units) {
		b.units = make([]draw.UnitOf, 0, frameChunk)
	}
	b.units = append(b.units, unit)
	k := len(b.units)
	b.chunks[n-1] = append(b.chunks[n-1], draw.FrameRow{ID: id, Stratum: stratum, Units: draw.Units(b.units[k-1 : k : k])})
	b.last = &b.chunks[n-1][len(b.chunks[n-1])-1]
	b.active = append(b.active, isActive)
}

// idArena copies ids into large buffers, a string each without an
// allocation each: a strings.Builder never changes the bytes it holds, so
// a string of them stays as it is while more are appended.
type idArena struct{ buf strings.Builder }

const idArenaSize = 1 << 20

func (a *idArena) string(b []byte) string {
	if a.buf.Cap()-a.buf.Len() < len(b) {
		a.buf = strings.Builder{}
		a.buf.Grow(max(idArenaSize, len(b)))
	}
	start := a.buf.Len()
	a.buf.Write(b)
	return a.buf.String()[start:]
}

// done returns the frame and, by row, whether the entity is active.
func (b *frameBuilder) done() ([]draw.FrameRow, []bool) {
	switch {
	case len(b.chunks) == 0:
		return nil, nil
	case len(b.chunks) == 1 && len(b.chunks[0]) > cap(b.chunks[0])/2:
		return b.chunks[0], b.active
	}
	frame := make([]draw.FrameRow, 0, len(b.active))
	for _, c := range b.chunks {
		frame = append(frame, c...)
	}
	return frame, b.active
}

// higherStratum is the stratum that weighs more when two bureaus rate an
// entity differently: F (重点) above all, then D above C above B above A.
func higherStratum(a, b string) string {
	switch {
	case a == "F" || b == "F":
		return "F"
	case b > a:
		return b
	}
	return a
}

// itemEntityTypes are the entity types a 定向 draw's frame takes from each
// participant's roster: those its items apply to. limited names the bureaus
// so limited, and (bureaus[i], types[i]) are the pairs allowed. A bureau
// whose items include one that applies to every type, or that names no
// item, is not limited; nor is any bureau in a 不定向 draw.
func itemEntityTypes(s draw.Scope, participants []draw.Participant) (limited, bureaus, types []string) {
	if s.Undirected {
		return nil, nil, nil
	}
	for _, pt := range participants {
		own := ownEntityTypes(pt.Items)
		if own == nil {
			continue
		}
		limited = append(limited, pt.BureauCode)
		for _, t := range own {
			bureaus, types = append(bureaus, pt.BureauCode), append(types, t)
		}
	}
	return limited, bureaus, types
}

// ownEntityTypes is the union of the items' entity types, sorted; nil when
// there is no item or an item applies to every type.
func ownEntityTypes(items []draw.ItemRef) []string {
	var types []string
	for _, it := range items {
		if len(it.EntityTypes) == 0 {
			return nil
		}
		types = append(types, it.EntityTypes...)
	}
	slices.Sort(types)
	return slices.Compact(types)
}

// scopeConditions narrows the frame to the draw's scope (定向).
func scopeConditions(w *where, s draw.Scope, stratum string) {
	if len(s.EntityTypes) > 0 {
		w.add("r.entity_type = ANY(%s)", pq.Array(s.EntityTypes))
	}
	if len(s.Units) > 0 {
		w.add("r.unit = ANY(%s)", pq.Array(s.Units))
	}
	if len(s.RiskClasses) > 0 {
		w.add("r.risk_class = ANY(%s)", pq.Array(s.RiskClasses))
	}
	if s.FocusOnly {
		w.add(stratum + " = 'F'")
	}
}

// gatherExclusions keeps out entities that are not active and those at
// their stratum's yearly cap, counting every bureau's draws this year.
func gatherExclusions(ctx context.Context, tx *sqlx.Tx, d draw.Draw, p plan.Plan, frame []draw.FrameRow, active []bool) ([]draw.Exclusion, error) {
	counts := map[string]int{}
	rows, err := tx.QueryContext(ctx, `SELECT entity_code, inspections FROM entity_inspections($1, $2)`, d.RegionCode, d.Year)
	if err != nil {
		return nil, fmt.Errorf("inspections this year: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var code string
		var n int
		if err := rows.Scan(&code, &n); err != nil {
			return nil, err
		}
		counts[code] = n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []draw.Exclusion
	for i, r := range frame {
		switch {
		case !active[i]:
			out = append(out, draw.Exclusion{ID: r.ID, Reason: "not_active"})
		case counts[r.ID] >= p.Strata[r.Stratum].Cap:
			out = append(out, draw.Exclusion{ID: r.ID, Reason: "annual_cap"})
		}
	}
	return out, nil
}

// checkDrawRatio refuses to freeze a draw that would cover less of the
// roster in scope than the plan asks of every draw.
func checkDrawRatio(p plan.Plan, frame []draw.FrameRow, exclusions []draw.Exclusion) error {
	excluded := make(map[string]bool, len(exclusions))
	for _, x := range exclusions {
		excluded[x.ID] = true
	}
	strata, eligible := map[string]int{}, map[string]int{}
	for _, r := range frame {
		strata[r.Stratum]++
		if !excluded[r.ID] {
			eligible[r.Stratum]++
		}
	}
	if err := p.CheckDrawRatio(strata, eligible); err != nil {
		return errs.E(errs.Invalid, "%v", err)
	}
	return nil
}

// acceptedParticipants refuses a draw that an invited bureau has not yet
// answered, and leaves out the bureaus that declined.
func acceptedParticipants(drawID int64, all []draw.Participant) ([]draw.Participant, error) {
	var accepted, waiting []string
	var out []draw.Participant
	for _, pt := range all {
		switch pt.Answer {
		case draw.AnswerAccepted:
			accepted = append(accepted, pt.BureauCode)
			out = append(out, pt)
		case draw.AnswerInvited:
			waiting = append(waiting, pt.BureauCode)
		}
	}
	if len(waiting) > 0 {
		return nil, errs.E(errs.Conflict, "draw %d cannot be frozen before every invited bureau has answered: %v have not", drawID, waiting)
	}
	if len(out) == 0 {
		return nil, errs.E(errs.Conflict, "draw %d has no participating bureau to send inspectors", drawID)
	}
	return out, nil
}

// checkPools refuses a draw in which a bureau has fewer qualified
// inspectors than it sends on every visit: no task could be staffed.
func checkPools(inspectors []draw.Inspector, params draw.Params) error {
	for _, bureau := range sortedKeys(params.Team) {
		required := params.RequiredQualifications[bureau]
		pool := 0
		for _, in := range inspectors {
			if in.Bureau == bureau && holdsAll(in.Qualifications, required) {
				pool++
			}
		}
		if pool < params.Team[bureau] {
			return errs.E(errs.Conflict, "bureau %s has %d active inspectors holding %v, fewer than its team size %d: add inspectors or lower the team size",
				bureau, pool, required, params.Team[bureau])
		}
	}
	return nil
}

// checkUnits refuses a draw with the own-unit rule (所所交叉) unless every
// unit it compares is a code of its bureau's unit table: two spellings of
// one unit would never compare equal and switch the rule off unseen.
func checkUnits(ctx context.Context, tx *sqlx.Tx, drawID int64, params draw.Params, frame []draw.FrameRow, inspectors []draw.Inspector) error {
	var rows []struct {
		Bureau string `db:"bureau_code"`
		Code   string `db:"code"`
	}
	if err := tx.SelectContext(ctx, &rows, `SELECT bureau_code, code FROM draw_units($1)`, drawID); err != nil {
		return fmt.Errorf("units: %w", err)
	}
	known := map[string]map[string]bool{}
	for _, r := range rows {
		if known[r.Bureau] == nil {
			known[r.Bureau] = map[string]bool{}
		}
		known[r.Bureau][r.Code] = true
	}
	for _, bureau := range sortedKeys(params.Team) {
		table := known[bureau]
		if len(table) == 0 {
			return errs.E(errs.Conflict, "the own-unit rule (cross_unit) compares units by code, and bureau %s has no unit table: "+
				"set its units up (saveUnit) or draw without cross_unit", bureau)
		}
		entities, inspectorsOff, example := 0, 0, ""
		for _, r := range frame {
			if unit, ok := r.Units.Of(bureau); ok && unit != "" && !table[unit] {
				entities, example = entities+1, cmp.Or(example, unit)
			}
		}
		for _, in := range inspectors {
			if in.Bureau == bureau && in.Unit != "" && !table[in.Unit] {
				inspectorsOff, example = inspectorsOff+1, cmp.Or(example, in.Unit)
			}
		}
		if entities+inspectorsOff > 0 {
			return errs.E(errs.Conflict, "bureau %s: %d entities and %d inspectors name a unit that is not in its unit table (such as %q): "+
				"import them again with a unit's code or name, or draw without cross_unit", bureau, entities, inspectorsOff, example)
		}
	}
	return nil
}

func holdsAll(held, required []string) bool {
	for _, q := range required {
		if !slices.Contains(held, q) {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// gatherInspectors reads the inspectors who may be sent, of the bureaus
// that send a team (team holds them; a bureau that declined is not there).
func gatherInspectors(ctx context.Context, tx *sqlx.Tx, drawID int64, team map[string]int) ([]draw.Inspector, error) {
	var rows []struct {
		Certificate    string         `db:"certificate"`
		Bureau         string         `db:"bureau_code"`
		Unit           string         `db:"unit"`
		Qualifications pq.StringArray `db:"qualifications"`
	}
	// One statement reads the inspectors and records the versions read,
	// so that the draw names exactly the inspector versions it used.
	const q = `WITH used AS (SELECT * FROM draw_inspectors($1) WHERE bureau_code = ANY($2)),
kept AS (INSERT INTO draw_inspector_versions (bureau_id, draw_id, inspector_bureau_id, inspector_id, version)
         SELECT (SELECT app_bureau()), $1, u.bureau_id, u.inspector_id, u.version FROM used u)
SELECT certificate, bureau_code, unit, qualifications FROM used ORDER BY certificate`
	if err := tx.SelectContext(ctx, &rows, q, drawID, pq.Array(sortedKeys(team))); err != nil {
		return nil, fmt.Errorf("inspectors: %w", err)
	}
	out := make([]draw.Inspector, len(rows))
	for i, r := range rows {
		out[i] = draw.Inspector{ID: r.Certificate, Bureau: r.Bureau, Unit: r.Unit, Qualifications: sortedCopy(r.Qualifications)}
	}
	return out, nil
}

// gatherConflicts keeps the conflicts between the draw's inspectors and
// its frame.
func gatherConflicts(ctx context.Context, tx *sqlx.Tx, drawID int64, frame []draw.FrameRow, inspectors []draw.Inspector) ([]draw.Conflict, error) {
	sent := make(map[string]bool, len(inspectors))
	for _, in := range inspectors {
		sent[in.ID] = true
	}
	rows, err := tx.QueryContext(ctx, `SELECT certificate, entity_code FROM draw_conflicts($1)`, drawID)
	if err != nil {
		return nil, fmt.Errorf("conflicts: %w", err)
	}
	defer rows.Close()
	var out []draw.Conflict
	for rows.Next() {
		var c draw.Conflict
		if err := rows.Scan(&c.Inspector, &c.Entity); err != nil {
			return nil, err
		}
		if sent[c.Inspector] && inFrame(frame, c.Entity) {
			out = append(out, c)
		}
	}
	return out, rows.Err()
}

// inFrame reports whether the frame, in id order (byte order, as
// gatherFrame reads it), holds the entity: a binary search, where a set of
// a million ids cost a second to build.
func inFrame(frame []draw.FrameRow, entity string) bool {
	_, found := slices.BinarySearchFunc(frame, entity, func(r draw.FrameRow, id string) int { return strings.Compare(r.ID, id) })
	return found
}

// drawParams are the public rules: the plan's strata, each participant's
// team size, and the qualifications its items require of its inspectors.
func drawParams(ctx context.Context, tx *sqlx.Tx, d draw.Draw, p plan.Plan, participants []draw.Participant) (draw.Params, error) {
	params := draw.Params{Algorithm: draw.Algorithm, Strata: map[string]draw.Stratum{}, Team: map[string]int{},
		RequiredQualifications: map[string][]string{}, CrossUnit: d.CrossUnit, MaxTasksPerInspector: d.MaxTasksPerInspector}
	for label, rule := range p.Strata {
		params.Strata[label] = draw.Stratum{Ratio: fmt.Sprintf("%d/10000", rule.RatioBP), Min: rule.Min}
	}
	for _, pt := range participants {
		params.Team[pt.BureauCode] = pt.TeamSize
		params.RequiredQualifications[pt.BureauCode] = itemQualifications(pt)
	}
	return params, nil
}

// itemQualifications is the union of what the participant's items ask of
// its inspectors, as recorded when the items were added.
func itemQualifications(pt draw.Participant) []string {
	quals := []string{}
	seen := map[string]bool{}
	for _, it := range pt.Items {
		for _, q := range it.Qualifications {
			if !seen[q] {
				seen[q] = true
				quals = append(quals, q)
			}
		}
	}
	return sortedCopy(quals)
}

// storeFrozen keeps the sealed input and its commitment in their stored
// forms. Once they are encoded, neither in nor c is used: the collector
// may free them while lib/pq copies the stored forms out as hex.
func storeFrozen(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, d draw.Draw, in draw.Input, c *draw.Commitment) error {
	frameSize := len(in.Frame)
	gz, err := encodeInput(in)
	if err != nil {
		return err
	}
	// The commitment is kept in its stored form, a third of its canonical
	// JSON, and rendered when asked.
	commitment, err := c.MarshalBinary()
	if err != nil {
		return err
	}
	h := c.Hashes
	// commitment is the public document anyone reads through public_draw();
	// input_gz stays sealed behind the draw's row-level security.
	const q = `
UPDATE draws SET status = 'frozen', input_gz = $2, nonce_commitment = $3, frame_sha256 = $4, exclusions_sha256 = $5,
    inspectors_sha256 = $6, conflicts_sha256 = $7, params_sha256 = $8, frame_size = $9, frozen_at = now(), frozen_by = $10,
    commitment = $11
WHERE id = $1 AND status = 'draft'`
	_, err = tx.ExecContext(ctx, q, d.ID, gz, h.NonceCommitment.String(), h.FrameSHA256.String(), h.ExclusionsSHA256.String(),
		h.InspectorsSHA256.String(), h.ConflictsSHA256.String(), h.ParamsSHA256.String(), frameSize, actor.UserID, commitment)
	return err
}

// Execute runs a frozen draw once. A draw that cannot be staffed is marked
// failed, keeping no task, and its error returned after the commit.
func (s DrawStore) Execute(ctx context.Context, actor *authz.Actor, drawID int64, ceremony string, run draw.Runner) (draw.Draw, error) {
	var executed draw.Draw
	var failure error
	// The public manifest and openings are bytea, sent in binary, and the
	// JSON of a failure a string (see InScopeBinary).
	err := s.DB.InScopeBinary(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		failure = nil
		d, err := leadDraw(ctx, tx, actor, drawID)
		if err != nil {
			return err
		}
		if d.Status != draw.StatusFrozen {
			return errs.E(errs.Conflict, "draw %d is %s: only a frozen draw can be executed, once", drawID, d.Status)
		}
		sealed, err := sealedInputIn(ctx, tx, drawID)
		if err != nil {
			return err
		}
		in, _, err := sealed.decode()
		if err != nil {
			return err
		}
		m, err := run(in, ceremony)
		if e, ok := errs.As(err); ok && e.Kind == errs.Conflict {
			failure = err
			return markFailed(ctx, tx, actor, d, ceremony, e)
		}
		if err != nil {
			return err
		}
		if err := storeTasks(ctx, tx, actor, d, m); err != nil {
			return err
		}
		if err := storeParticipantOpenings(ctx, tx, drawID, actor.BureauCode, m); err != nil {
			return err
		}
		public, err := publicManifestToKeep(ctx, tx, drawID, m)
		if err != nil {
			return err
		}
		const q = `UPDATE draws SET status = 'executed', ceremony = $2, seed = $3, executed_at = now(), executed_by = $4,
    public_manifest = $5 WHERE id = $1`
		if _, err := tx.ExecContext(ctx, q, drawID, ceremony, m.Seed.String(), actor.UserID, public); err != nil {
			return err
		}
		if executed, err = getDraw(ctx, tx, drawID, ""); err != nil {
			return err
		}
		return auditAs(ctx, tx, actor, audit.Change{Action: "draw.execute", ObjectType: "draw", ObjectID: fmt.Sprint(drawID),
			Before: d, After: map[string]any{"status": executed.Status, "ceremony": ceremony, "seed": m.Seed, "tasks": len(m.Tasks)}})
	})
	if err != nil {
		return draw.Draw{}, err
	}
	return executed, failure
}

// publicManifestToKeep is the public manifest kept beside an executed draw
// for anyone to read: in its stored form, without the public lists, when
// the commitment kept at the freeze is in its stored form and holds the
// manifest's hashes (then its lists are the manifest's); else, for a draw
// frozen before the stored forms, as canonical JSON.
func publicManifestToKeep(ctx context.Context, tx *sqlx.Tx, drawID int64, m *draw.Manifest) ([]byte, error) {
	pm, err := m.Public()
	if err != nil {
		return nil, err
	}
	var head []byte
	const q = `SELECT substring(commitment FROM 1 FOR $2) FROM draws WHERE id = $1`
	if err := tx.GetContext(ctx, &head, q, drawID, draw.CommittedHashesSize); err != nil {
		return nil, err
	}
	if committed, ok := draw.CommittedHashes(head); ok && committed == pm.Hashes {
		return pm.MarshalBinary()
	}
	return draw.CanonicalJSON(pm)
}

func markFailed(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, d draw.Draw, ceremony string, e *errs.Error) error {
	detail, _ := json.Marshal(e.Details)
	const q = `UPDATE draws SET status = 'failed', ceremony = $2, failure = $3, executed_at = now(), executed_by = $4 WHERE id = $1`
	if _, err := tx.ExecContext(ctx, q, d.ID, ceremony, string(detail), actor.UserID); err != nil {
		return err
	}
	return auditAs(ctx, tx, actor, audit.Change{Action: "draw.fail", ObjectType: "draw", ObjectID: fmt.Sprint(d.ID),
		Before: d, After: map[string]any{"status": draw.StatusFailed, "ceremony": ceremony, "failure": e.Details}})
}

// storeTasks writes the tasks and teams, one INSERT each from arrays of
// their columns (COPY cannot write tables under row-level security; the
// staging tables COPY went through, their ANALYZE and the INSERTs from
// them took longer than the arrays).
func storeTasks(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, d draw.Draw, m *draw.Manifest) error {
	entities, strata, tickets := make([]string, len(m.Tasks)), make([]string, len(m.Tasks)), make([]string, len(m.Tasks))
	for i, t := range m.Tasks {
		entities[i], strata[i], tickets[i] = t.Entity, t.Stratum, t.Ticket.String()
	}
	const tasks = `
INSERT INTO draw_tasks (draw_id, seq, lead_id, region_code, year, quarter, entity_code, stratum, ticket)
SELECT $1, t.seq, $2, $3, $4, $5, t.entity_code, t.stratum, t.ticket
FROM unnest($6::text[], $7::text[], $8::text[]) WITH ORDINALITY t(entity_code, stratum, ticket, seq)`
	_, err := tx.ExecContext(ctx, tasks, d.ID, actor.BureauID, d.RegionCode, d.Year, d.Quarter,
		pq.StringArray(entities), pq.StringArray(strata), pq.StringArray(tickets))
	if err != nil {
		return fmt.Errorf("tasks: %w", err)
	}
	var t teamColumns
	t.grow(m.Tasks)
	for i, task := range m.Tasks {
		t.add(i+1, task.Team)
	}
	const teams = `
INSERT INTO draw_task_members (draw_id, seq, bureau_id, position, certificate, ticket, step)
SELECT $1, s.seq, b.id, s.position, s.certificate, s.ticket, s.step
FROM unnest($2::int[], $3::text[], $4::int[], $5::text[], $6::text[], $7::int[]) s(seq, bureau_code, position, certificate, ticket, step)
JOIN bureaus b ON b.code = s.bureau_code`
	_, err = tx.ExecContext(ctx, teams, d.ID, pq.Int64Array(t.seqs), pq.StringArray(t.bureaus), pq.Int64Array(t.positions),
		pq.StringArray(t.certificates), pq.Array(t.tickets), pq.Array(t.steps))
	if err != nil {
		return fmt.Errorf("teams: %w", err)
	}
	return nil
}

// teamColumns are the columns of the tasks' team members, one array each.
type teamColumns struct {
	seqs, positions       []int64
	bureaus, certificates []string
	tickets               []sql.NullString // v1 members carry a ticket
	steps                 []sql.NullInt64  // v2 members a step
}

// grow makes room for the members of every task at once: 106,000 at a
// million entities, whose six columns grew by doubling before.
func (c *teamColumns) grow(tasks []draw.Task) {
	n := 0
	for _, t := range tasks {
		n += len(t.Team)
	}
	c.seqs, c.positions = make([]int64, 0, n), make([]int64, 0, n)
	c.bureaus, c.certificates = make([]string, 0, n), make([]string, 0, n)
	c.tickets, c.steps = make([]sql.NullString, 0, n), make([]sql.NullInt64, 0, n)
}

// add appends the members of task seq, each numbered by its place among
// its bureau's.
func (c *teamColumns) add(seq int, team []draw.TeamMember) {
	for k, mb := range team {
		position := 1
		for _, before := range team[:k] {
			if before.Bureau == mb.Bureau {
				position++
			}
		}
		var ticket sql.NullString
		if mb.Ticket != nil {
			ticket = sql.NullString{String: mb.Ticket.String(), Valid: true}
		}
		var step sql.NullInt64
		if mb.Step != nil {
			step = sql.NullInt64{Int64: int64(*mb.Step), Valid: true}
		}
		c.seqs, c.positions = append(c.seqs, int64(seq)), append(c.positions, int64(position))
		c.bureaus, c.certificates = append(c.bureaus, mb.Bureau), append(c.certificates, mb.Inspector)
		c.tickets, c.steps = append(c.tickets, ticket), append(c.steps, step)
	}
}
