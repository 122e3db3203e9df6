package postgres

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"shuangsuiji/internal/account"
	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/bureau"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
)

// BureauStore implements bureau.Store.
type BureauStore struct{ DB *DB }

// AuthzChannel is the NOTIFY channel on which membership changes are
// announced to every server instance.
const AuthzChannel = "authz_changed"

// BureauByCode returns a bureau (public reference data).
func (s BureauStore) BureauByCode(ctx context.Context, code string) (bureau.Bureau, error) {
	var b bureau.Bureau
	const q = `SELECT id, code, region_code, name, kind FROM bureaus WHERE code = $1`
	err := s.DB.InAnyScope(ctx, func(tx *sqlx.Tx) error { return tx.GetContext(ctx, &b, q, code) })
	return b, notFound(err, "no bureau %q", code)
}

// BureausByID returns the bureaus with the ids, in any order: from the
// instance's cache when it holds them all (see bureauCache).
func (s BureauStore) BureausByID(ctx context.Context, ids []int64) ([]bureau.Bureau, error) {
	cached, ok, version := s.DB.bureaus.lookup(ids)
	if ok {
		return cached, nil
	}
	var bs []bureau.Bureau
	err := s.DB.InAnyScope(ctx, func(tx *sqlx.Tx) error {
		return s.DB.prepared(ctx, tx, bureausByIDQuery).SelectContext(ctx, &bs, pq.Array(ids))
	})
	if err == nil {
		s.DB.bureaus.keep(version, bs)
	}
	return bs, err
}

var bureausByIDQuery = prepare(`SELECT id, code, region_code, name, kind FROM bureaus WHERE id = ANY($1) ORDER BY id`)

// Regions returns the regions with the codes, in any order.
func (s BureauStore) Regions(ctx context.Context, codes []string) ([]bureau.Region, error) {
	var rs []bureau.Region
	const q = `SELECT code, name FROM regions WHERE code = ANY($1) ORDER BY code`
	err := s.DB.InAnyScope(ctx, func(tx *sqlx.Tx) error { return tx.SelectContext(ctx, &rs, q, pq.Array(codes)) })
	return rs, err
}

// Memberships lists the user's bureaus and roles; row-level security lets
// a user see their own membership rows in every bureau.
func (s BureauStore) Memberships(ctx context.Context, userID int64) ([]bureau.Membership, error) {
	var rows []struct {
		bureau.Bureau
		Roles pq.StringArray `db:"roles"`
	}
	const q = `
SELECT b.id, b.code, b.region_code, b.name, b.kind, array_agg(m.role ORDER BY m.role) AS roles
FROM members m JOIN bureaus b ON b.id = m.bureau_id
WHERE m.user_id = $1
GROUP BY b.id ORDER BY b.code`
	err := s.DB.InScope(ctx, Scope{UserID: userID}, func(tx *sqlx.Tx) error { return tx.SelectContext(ctx, &rows, q, userID) })
	ms := make([]bureau.Membership, len(rows))
	for i, r := range rows {
		ms[i] = bureau.Membership{Bureau: r.Bureau, Roles: r.Roles}
	}
	return ms, err
}

type memberRow struct {
	BureauID int64          `db:"bureau_id"`
	UserID   int64          `db:"user_id"`
	Username string         `db:"username"`
	Roles    pq.StringArray `db:"roles"`
	Since    pq.NullTime    `db:"since"`
}

func (r memberRow) member() bureau.Member {
	return bureau.Member{BureauID: r.BureauID, UserID: r.UserID, Username: r.Username, Roles: r.Roles, Since: r.Since.Time}
}

// memberSelect lists members of the transaction's bureau; RLS limits the
// rows, and the explicit bureau condition keeps the user's own memberships
// elsewhere out.
const memberSelect = `
SELECT m.bureau_id, m.user_id, u.username, array_agg(m.role ORDER BY m.role) AS roles, min(m.granted_at) AS since
FROM members m JOIN users u ON u.id = m.user_id
WHERE m.bureau_id = app_bureau()`

// ListMembers returns a page of the actor's bureau's members by username.
func (s BureauStore) ListMembers(ctx context.Context, actor *authz.Actor, f bureau.MemberFilter, p page.Request) ([]bureau.Member, error) {
	w := &where{}
	w.param(f.Search)
	w.param(f.Role)
	w.seek(p, false, "u.username", textKey)
	q := memberSelect + ` AND ` + w.String() + memberFilter +
		fmt.Sprintf(` ORDER BY %s LIMIT %d`, p.Order("u.username", false), p.Limit())
	var rows []memberRow
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &rows, q, w.args...)
	})
	out := make([]bureau.Member, len(rows))
	for i, r := range rows {
		out[i] = r.member()
	}
	return out, err
}

// memberFilter keeps the members matching the search ($1) and role ($2)
// of a MemberFilter.
const memberFilter = `
  AND ($1 = '' OR u.username ILIKE '%' || $1 || '%' OR u.display_name ILIKE '%' || $1 || '%')
GROUP BY m.bureau_id, m.user_id, u.username
HAVING $2 = '' OR $2 = ANY(array_agg(m.role))`

// CountMembers counts the members of ListMembers.
func (s BureauStore) CountMembers(ctx context.Context, actor *authz.Actor, f bureau.MemberFilter) (int, error) {
	return s.DB.countIn(ctx, scopeOf(actor), memberSelect+memberFilter, f.Search, f.Role)
}

// Member returns the actor's bureau's member with this username.
func (s BureauStore) Member(ctx context.Context, actor *authz.Actor, username string) (bureau.Member, error) {
	var m *bureau.Member
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) (err error) {
		m, err = memberIn(ctx, tx, username)
		return err
	})
	if err != nil {
		return bureau.Member{}, err
	}
	if m == nil {
		return bureau.Member{}, errs.NotFoundf("no member %q", username)
	}
	return *m, nil
}

func memberIn(ctx context.Context, tx *sqlx.Tx, username string) (*bureau.Member, error) {
	var rows []memberRow
	q := memberSelect + ` AND u.username = $1 GROUP BY m.bureau_id, m.user_id, u.username`
	if err := tx.SelectContext(ctx, &rows, q, username); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	m := rows[0].member()
	return &m, nil
}

// lockMembers serialises the membership changes of the actor's bureau
// until the transaction ends, so that each reads the members as the one
// before left them: two admins removing each other cannot both succeed,
// concurrent role changes do not merge, and the audit's before is true.
// With admin, it then checks that the actor is still an admin here (a
// change committed meanwhile may have taken the role away): FORBIDDEN if
// not.
func lockMembers(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, admin bool) error {
	const lock = `SELECT pg_advisory_xact_lock(hashtextextended('members:' || app_bureau(), 0))`
	if _, err := tx.ExecContext(ctx, lock); err != nil {
		return err
	}
	if !admin {
		return nil
	}
	var still bool
	const q = `SELECT EXISTS (SELECT FROM members WHERE bureau_id = app_bureau() AND user_id = app_user() AND role = 'admin')`
	if err := tx.GetContext(ctx, &still, q); err != nil {
		return err
	}
	if !still {
		return errs.E(errs.Forbidden, "%s is no longer an admin of %s", actor.Username, actor.BureauCode)
	}
	return nil
}

// SetMemberRoles replaces the member's roles in the actor's bureau.
func (s BureauStore) SetMemberRoles(ctx context.Context, actor *authz.Actor, username string, roles []string) (bureau.Member, error) {
	return s.changeRoles(ctx, actor, "member.set_roles", username, roles)
}

// Leave removes the actor from their bureau.
func (s BureauStore) Leave(ctx context.Context, actor *authz.Actor) (bureau.Member, error) {
	return s.changeRoles(ctx, actor, "member.leave", actor.Username, []string{})
}

// changeRoles replaces a member's roles (none: removes them), under the
// bureau's membership lock, keeping an admin; only an admin changes
// another member's roles.
func (s BureauStore) changeRoles(ctx context.Context, actor *authz.Actor, action, username string, roles []string) (bureau.Member, error) {
	var result bureau.Member
	err := s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		if err := lockMembers(ctx, tx, actor, action != "member.leave"); err != nil {
			return err
		}
		before, err := memberIn(ctx, tx, username)
		if err != nil {
			return err
		}
		if before == nil {
			return errs.NotFoundf("%s is not a member of %s", username, actor.BureauCode)
		}
		if err := replaceRoles(ctx, tx, before.UserID, roles); err != nil {
			return err
		}
		if err := requireAnAdmin(ctx, tx, actor.BureauCode); err != nil {
			return err
		}
		after, err := memberIn(ctx, tx, username)
		if err != nil {
			return err
		}
		result = *before
		result.Roles = nil
		if after != nil {
			result = *after
		}
		return s.audited(ctx, tx, actor, action, username, before, after)
	})
	return result, err
}

func replaceRoles(ctx context.Context, tx *sqlx.Tx, userID int64, roles []string) error {
	// Grant before taking away: the database grants roles only to members
	// (app_may_grant), and the user is one until the delete.
	const ins = `INSERT INTO members (bureau_id, user_id, role) SELECT app_bureau(), $1, unnest($2::text[]) ON CONFLICT DO NOTHING`
	if _, err := tx.ExecContext(ctx, ins, userID, pq.Array(roles)); err != nil {
		return err
	}
	const del = `DELETE FROM members WHERE bureau_id = app_bureau() AND user_id = $1 AND NOT role = ANY($2)`
	_, err := tx.ExecContext(ctx, del, userID, pq.Array(roles))
	return err
}

// requireAnAdmin keeps a bureau from locking itself out.
func requireAnAdmin(ctx context.Context, tx *sqlx.Tx, bureauCode string) error {
	var admins int
	const q = `SELECT count(*) FROM members WHERE bureau_id = app_bureau() AND role = 'admin'`
	if err := tx.GetContext(ctx, &admins, q); err != nil {
		return err
	}
	if admins == 0 {
		return errs.E(errs.Conflict, "%s would have no admin left: grant admin to someone else first", bureauCode)
	}
	return nil
}

// audited writes the membership change to the trail and announces it to
// every server instance (delivered on commit).
func (s BureauStore) audited(ctx context.Context, tx *sqlx.Tx, actor *authz.Actor, action, username string, before, after *bureau.Member) error {
	if err := auditAs(ctx, tx, actor, bureau.MemberChange(action, username, before, after)); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, AuthzChannel, actor.BureauCode)
	return err
}

// ResetPassword sets a temporary password for a member and ends their
// sessions; set_password checks again, in the database, that the acting
// user is an admin here and that no other bureau holds the member.
func (s BureauStore) ResetPassword(ctx context.Context, actor *authz.Actor, username, passwordHash string) error {
	return s.DB.InScope(ctx, scopeOf(actor), func(tx *sqlx.Tx) error {
		m, err := memberIn(ctx, tx, username)
		if err != nil {
			return err
		}
		if m == nil {
			return errs.NotFoundf("%s is not a member of %s", username, actor.BureauCode)
		}
		var allowed bool
		if err := tx.GetContext(ctx, &allowed, `SELECT may_manage_user($1)`, m.UserID); err != nil {
			return err
		}
		if !allowed {
			return errs.E(errs.Conflict, "%s belongs to other bureaus too: they can change their password themselves, or ask an admin of every bureau they belong to", username)
		}
		if _, err := tx.ExecContext(ctx, `SELECT set_password($1, $2, true, NULL)`, m.UserID, passwordHash); err != nil {
			return err
		}
		change := audit.Change{Action: "member.reset_password", ObjectType: "member", ObjectID: username}
		return auditAs(ctx, tx, actor, change)
	})
}

// UsersByID returns the users with the ids (names are not tenant data).
func (s BureauStore) UsersByID(ctx context.Context, ids []int64) ([]account.User, error) {
	var us []account.User
	const q = `SELECT id, username, display_name, created_at, password_must_change FROM users WHERE id = ANY($1) ORDER BY id`
	err := s.DB.InScope(ctx, Scope{}, func(tx *sqlx.Tx) error { return tx.SelectContext(ctx, &us, q, pq.Array(ids)) })
	return us, err
}

// LoadAssignments reads every role assignment, as the schema owner: the
// authorization cache spans all bureaus.
func LoadAssignments(db *DB) func(ctx context.Context) ([]authz.Assignment, error) {
	return func(ctx context.Context) ([]authz.Assignment, error) {
		var rows []authz.Assignment
		const q = `
SELECT m.user_id AS userid, m.role, b.code AS bureaucode
FROM members m JOIN bureaus b ON b.id = m.bureau_id ORDER BY b.code, m.user_id, m.role`
		err := db.AsOwner(ctx, func(tx *sqlx.Tx) error { return tx.SelectContext(ctx, &rows, q) })
		if err != nil {
			return nil, fmt.Errorf("role assignments: %w", err)
		}
		return rows, nil
	}
}
