package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"shuangsuiji/internal/account"
	"shuangsuiji/internal/audit"
	"shuangsuiji/internal/bureau"
)

// DemoPassword is every demo user's password; the README lists the users.
const DemoPassword = "shuangsuiji-demo"

// DemoRegion is the demo county: 阳城县 of 晋城市, 山西省.
var DemoRegion = bureau.Region{Code: "140522", Name: "阳城县"}

// DemoBureau is a bureau of the demo county and the users seeded in it, by
// username suffix and roles.
type DemoBureau struct {
	bureau.Bureau
	Users []DemoUser
}

// DemoUser is a seeded user.
type DemoUser struct {
	Username    string
	DisplayName string
	Roles       []string
}

// Demo is what Seed creates.
var Demo = []DemoBureau{
	{bureau.Bureau{Code: "140522-wl", RegionCode: "140522", Name: "阳城县文化和旅游局", Kind: bureau.KindCultureTourism}, []DemoUser{
		{"wl-admin", "文旅局管理员", []string{"admin"}},
		{"wl-planner", "文旅局计划员 王芳", []string{"planner"}},
		{"wl-inspector1", "文旅局执法员 李强", []string{"inspector"}},
		{"wl-inspector2", "文旅局执法员 赵敏", []string{"inspector"}},
		{"wl-reviewer", "文旅局审核员 陈静", []string{"reviewer"}},
		{"wl-leader", "文旅局局长 张伟", []string{"leader"}},
	}},
	{bureau.Bureau{Code: "140522-sj", RegionCode: "140522", Name: "阳城县市场监督管理局", Kind: bureau.KindMarketSupervision}, []DemoUser{
		{"sj-admin", "市监局管理员", []string{"admin"}},
		{"sj-planner", "市监局计划员 刘洋", []string{"planner"}},
		{"sj-inspector1", "市监局执法员 孙磊", []string{"inspector"}},
		{"sj-inspector2", "市监局执法员 周婷", []string{"inspector"}},
		{"sj-reviewer", "市监局审核员 吴刚", []string{"reviewer"}},
		{"sj-leader", "市监局局长 郑华", []string{"leader"}},
	}},
	{bureau.Bureau{Code: "140522-lh", RegionCode: "140522", Name: "阳城县双随机联合抽查办公室", Kind: bureau.KindJointOffice}, []DemoUser{
		{"lh-admin", "联合办管理员", []string{"admin"}},
		{"lh-coordinator", "联合办协调员 马丽", []string{"coordinator"}},
		{"lh-leader", "联合办主任 黄斌", []string{"leader"}},
	}},
}

// ErrForeignData is returned by Seed for a database that holds data other
// than the demo county.
var ErrForeignData = errors.New("refusing to seed: the database already holds bureaus or users that are not the demo county's")

// Seed creates the demo county once: it does nothing if the demo is there
// already and refuses a database holding anything else. It reports whether
// it seeded.
func Seed(ctx context.Context, db *DB) (bool, error) {
	seeded := false
	err := db.AsOwner(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `LOCK TABLE bureaus, users IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		var bureaus, users, demo int
		const q = `SELECT (SELECT count(*) FROM bureaus), (SELECT count(*) FROM users),
			(SELECT count(*) FROM bureaus WHERE code = $1)`
		if err := tx.QueryRowContext(ctx, q, Demo[0].Code).Scan(&bureaus, &users, &demo); err != nil {
			return err
		}
		switch {
		case demo > 0:
			return nil
		case bureaus > 0 || users > 0:
			return ErrForeignData
		}
		seeded = true
		return seedDemo(ctx, tx)
	})
	return seeded, err
}

func seedDemo(ctx context.Context, tx *sqlx.Tx) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO regions (code, name) VALUES ($1, $2)`, DemoRegion.Code, DemoRegion.Name); err != nil {
		return err
	}
	hash := account.HashPassword(DemoPassword)
	for _, b := range Demo {
		if err := seedBureau(ctx, tx, b, hash); err != nil {
			return fmt.Errorf("seed %s: %w", b.Code, err)
		}
	}
	return nil
}

func seedBureau(ctx context.Context, tx *sqlx.Tx, b DemoBureau, passwordHash string) error {
	var id int64
	const ins = `INSERT INTO bureaus (code, region_code, name, kind) VALUES ($1, $2, $3, $4) RETURNING id`
	if err := tx.GetContext(ctx, &id, ins, b.Code, b.RegionCode, b.Name, b.Kind); err != nil {
		return err
	}
	for _, u := range b.Users {
		var userID int64
		const user = `INSERT INTO users (username, display_name, password_hash) VALUES ($1, $2, $3) RETURNING id`
		if err := tx.GetContext(ctx, &userID, user, u.Username, u.DisplayName, passwordHash); err != nil {
			return err
		}
		const member = `INSERT INTO members (bureau_id, user_id, role) SELECT $1, $2, unnest($3::text[])`
		if _, err := tx.ExecContext(ctx, member, id, userID, pq.Array(u.Roles)); err != nil {
			return err
		}
	}
	b.ID = id
	c := audit.Change{Action: "bureau.seed_demo", ObjectType: "bureau", ObjectID: b.Code, After: b}
	return writeAudit(ctx, tx, id, 0, "system", c)
}
