package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/lib/pq"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/draw"
	"shuangsuiji/internal/postgres"
	"shuangsuiji/internal/roster"
)

// The demo county's rosters: sizes like a real county's, the same
// entities every time (a fixed random source), part of them shared by both
// bureaus, and one finished draw, so that a newcomer sees a working system.
const (
	demoWLEntities  = 320
	demoSJEntities  = 1200
	demoShared      = 120 // entities on both rosters (娱乐场所 also hold business licences)
	demoInspectors  = 12
	demoCeremony    = "演示抽取 2026-03-02 见证人掷骰 3-1-4-1-5-9"
	demoWindowStart = "2026-03-09"
	demoWindowEnd   = "2026-04-30"
)

var (
	towns     = []string{"凤城镇", "北留镇", "润城镇", "町店镇", "芹池镇", "次营镇", "横河镇", "河北镇", "蟒河镇", "东冶镇", "白桑乡", "寺头乡", "西河乡", "演礼乡", "固隆乡", "董封乡", "驾岭乡"}
	surnames  = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "原", "卫", "田"}
	given     = []string{"伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "建国", "晓东", "海燕", "志刚", "丽华"}
	brandHead = []string{"华", "鑫", "盛", "兴", "泰", "恒", "源", "隆", "丰", "达", "晋", "阳", "析", "城", "濩", "泽", "蟒", "山", "河", "润"}
	wlKinds   = []struct{ kind, suffix, licence string }{
		{"娱乐场所", "歌舞娱乐有限公司", "娱乐经营许可证"}, {"上网服务场所", "网络会所", "网络文化经营许可证"},
		{"旅行社", "旅行社有限公司", "旅行社业务经营许可证"}, {"演出场所", "文化演艺有限公司", "营业性演出许可证"},
		{"出版物零售", "书店", "出版物经营许可证"}, {"A级旅游景区", "旅游开发有限公司", ""},
	}
	sjKinds = []struct{ kind, suffix, licence string }{
		{"食品经营", "超市", "食品经营许可证"}, {"餐饮服务", "餐饮店", "食品经营许可证"}, {"药品零售", "大药房", "药品经营许可证"},
		{"特种设备使用", "机械制造有限公司", ""}, {"一般经营", "商贸有限公司", ""}, {"一般经营", "农资经营部", ""},
	}
)

// seedDemoData fills the demo county's rosters and holds one draw, once,
// right after Seed created the county.
func seedDemoData(ctx context.Context, db *postgres.DB) error {
	rng := rand.New(rand.NewPCG(140522, 2026))
	codes := demoCodes(rng, demoWLEntities+demoSJEntities-demoShared)
	wl, err := demoActor(ctx, db, "wl-planner")
	if err != nil {
		return err
	}
	sj, err := demoActor(ctx, db, "sj-planner")
	if err != nil {
		return err
	}
	if err := demoUnits(ctx, db, wl, "文化市场执法中队"); err != nil {
		return err
	}
	if err := demoUnits(ctx, db, sj, "市场监管所"); err != nil {
		return err
	}
	rosters := &roster.Service{EntityStore: postgres.EntityStore{DB: db}, InspectorStore: postgres.InspectorStore{DB: db},
		ItemStore: postgres.ItemStore{DB: db}, UnitStore: postgres.UnitStore{DB: db}}
	wlRows := demoEntities(rng, codes[:demoWLEntities], wlKinds, "文化市场执法中队")
	sjRows := demoEntities(rng, codes[demoWLEntities-demoShared:], sjKinds, "市场监管所")
	for i := range demoShared { // a shared entity has one name, whichever bureau lists it
		wlRow := wlRows[demoWLEntities-demoShared+i]
		sjRows[i].Name, sjRows[i].LegalRepresentative, sjRows[i].Address = wlRow.Name, wlRow.LegalRepresentative, wlRow.Address
	}
	steps := []struct {
		actor *authz.Actor
		kind  roster.Kind
		rows  any
	}{
		{wl, roster.KindEntities, wlRows},
		{sj, roster.KindEntities, sjRows},
		{wl, roster.KindInspectors, demoInspectorRows(rng, "晋文旅执字", "WL-01")},
		{sj, roster.KindInspectors, demoInspectorRows(rng, "晋市监执字", "SJ-01")},
	}
	for _, s := range steps {
		var buf bytes.Buffer
		if err := writeRows(&buf, s.rows); err != nil {
			return err
		}
		if _, err := rosters.ImportAs(ctx, s.actor, s.kind, &buf, "demo.csv", false, nil); err != nil {
			return fmt.Errorf("demo %v of %s: %w", s.kind, s.actor.BureauCode, err)
		}
	}
	if err := demoDraw(ctx, db, wl); err != nil {
		return err
	}
	return demoRecords(ctx, db, wl)
}

// townCodes are the towns' unit codes, in the order of towns.
var townCodes = []string{"FC", "BL", "RC", "DD", "QC", "CY", "HH", "HB", "MH", "DY", "BS", "ST", "XH", "YL", "GL", "DF", "JL"}

// demoUnits gives the bureau one unit per town (所/中队): the entities name
// it in full (凤城镇文化市场执法中队), the inspectors' files by its short form
// (凤城镇执法中队), an alias of the same code, so that the own-unit rule of
// the demo draw compares what it should.
func demoUnits(ctx context.Context, db *postgres.DB, actor *authz.Actor, kind string) error {
	store := postgres.UnitStore{DB: db}
	for i, town := range towns {
		u := roster.Unit{Code: townCodes[i], Name: town + kind, Aliases: []string{town + "执法中队"}}
		if _, err := store.SaveUnit(ctx, actor, u); err != nil {
			return fmt.Errorf("demo unit %s of %s: %w", u.Code, actor.BureauCode, err)
		}
	}
	return nil
}

func writeRows(buf *bytes.Buffer, rows any) error {
	switch r := rows.(type) {
	case []roster.EntityRow:
		return roster.WriteEntities(buf, roster.FormatCSV, r)
	case []roster.InspectorRow:
		return roster.WriteInspectors(buf, roster.FormatCSV, r)
	}
	return fmt.Errorf("no writer for %T", rows)
}

func demoActor(ctx context.Context, db *postgres.DB, username string) (*authz.Actor, error) {
	a := &authz.Actor{Username: username}
	const q = `SELECT u.id, b.id, b.code, b.region_code, b.kind, array_agg(m.role ORDER BY m.role) FROM users u
JOIN members m ON m.user_id = u.id JOIN bureaus b ON b.id = m.bureau_id WHERE u.username = $1
GROUP BY u.id, b.id ORDER BY b.id LIMIT 1`
	err := db.QueryRowContext(ctx, q, username).Scan(&a.UserID, &a.BureauID, &a.BureauCode, &a.RegionCode, &a.BureauKind,
		(*pq.StringArray)(&a.Roles))
	return a, err
}

// demoCodes are valid USCCs of the county: 91 (enterprise) 140522 (阳城县)
// and a random organisation code, with the GB 32100-2015 check character.
func demoCodes(rng *rand.Rand, n int) []string {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	seen := map[string]bool{}
	codes := make([]string, 0, n)
	for len(codes) < n {
		body := []byte("91140522")
		for range 9 {
			body = append(body, alphabet[rng.IntN(len(alphabet))])
		}
		check, _ := roster.USCCCheckChar(string(body))
		code := string(body) + string(check)
		if !seen[code] {
			seen[code] = true
			codes = append(codes, code)
		}
	}
	return codes
}

func pick[T any](rng *rand.Rand, s []T) T { return s[rng.IntN(len(s))] }

func demoEntities(rng *rand.Rand, codes []string, kinds []struct{ kind, suffix, licence string }, unitKind string) []roster.EntityRow {
	rows := make([]roster.EntityRow, len(codes))
	for i, code := range codes {
		k, town := pick(rng, kinds), pick(rng, towns)
		r := roster.EntityRow{Code: code, Name: "阳城县" + pick(rng, brandHead) + pick(rng, brandHead) + k.suffix,
			LegalRepresentative: pick(rng, surnames) + pick(rng, given), Address: fmt.Sprintf("山西省晋城市阳城县%s%d号", town, 1+rng.IntN(300)),
			Type: k.kind, LicenceType: k.licence, Unit: town + unitKind, RiskClass: demoRisk(rng), Status: roster.StatusActive,
			Complaints: max(0, rng.IntN(12)-8)}
		if k.licence != "" {
			r.LicenceNumber = fmt.Sprintf("140522%08d", rng.IntN(1e8))
		}
		if rng.IntN(40) == 0 {
			r.Status = pick(rng, []roster.Status{roster.StatusSuspended, roster.StatusDeregistered, roster.StatusRevoked})
		}
		r.AbnormalOperations = rng.IntN(30) == 0
		rows[i] = r
	}
	return rows
}

// demoRisk follows a typical county's spread: most A and B, few D.
func demoRisk(rng *rand.Rand) roster.RiskClass {
	switch n := rng.IntN(100); {
	case n < 45:
		return roster.RiskA
	case n < 80:
		return roster.RiskB
	case n < 94:
		return roster.RiskC
	}
	return roster.RiskD
}

func demoInspectorRows(rng *rand.Rand, prefix, qualification string) []roster.InspectorRow {
	rows := make([]roster.InspectorRow, demoInspectors)
	for i := range rows {
		issued := time.Date(2022+rng.IntN(3), time.Month(1+rng.IntN(12)), 1, 0, 0, 0, 0, time.UTC)
		rows[i] = roster.InspectorRow{Name: pick(rng, surnames) + pick(rng, given), CertificateNumber: fmt.Sprintf("%s14052200%02d", prefix, i+1),
			Unit: pick(rng, towns[:6]) + "执法中队", IssuedOn: &issued, ExpiresOn: issued.AddDate(5, 0, 0),
			Qualifications: []string{qualification}, Status: roster.InspectorActive}
	}
	return rows
}

// demoDraw holds the culture-and-tourism bureau's first-quarter draw.
func demoDraw(ctx context.Context, db *postgres.DB, planner *authz.Actor) error {
	start, _ := time.Parse(time.DateOnly, demoWindowStart)
	end, _ := time.Parse(time.DateOnly, demoWindowEnd)
	store := postgres.DrawStore{DB: db}
	d, err := store.CreateDraw(ctx, planner, draw.NewDraw{Year: 2026, Quarter: 1, Title: "2026年第一季度文化市场双随机抽查",
		TeamSize: 2, CrossUnit: true, WindowStart: start, WindowEnd: end})
	if err != nil {
		return fmt.Errorf("demo draw: %w", err)
	}
	if _, err := store.Freeze(ctx, planner, d.ID, draw.Seal); err != nil {
		return fmt.Errorf("demo draw freeze: %w", err)
	}
	if _, err := store.Execute(ctx, planner, d.ID, demoCeremony, draw.RunCeremony); err != nil {
		return fmt.Errorf("demo draw ceremony: %w", err)
	}
	return nil
}
