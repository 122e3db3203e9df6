package server_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"shuangsuiji/internal/roster"
)

const saveEntity = `mutation($in: SaveEntityInput!) { saveEntity(input: $in) { changed
	entity { entity { code name legalRepresentative version } entry { version unit entityType licenceType riskClass status
	abnormalOperations complaints } } } }`

// usccs returns n valid USCCs of the demo county, computed by GB 32100-2015.
func usccs(n int) []string {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	codes := make([]string, n)
	for i := range codes {
		body := fmt.Sprintf("91140522MA%07d", 1000000+i*7919%9000000)
		sum, weight := 0, 1
		for _, c := range body {
			sum += strings.IndexRune(alphabet, c) * weight
			weight = weight * 3 % 31
		}
		codes[i] = body + string(alphabet[(31-sum%31)%31])
	}
	return codes
}

type saveResult struct {
	SaveEntity struct {
		Changed bool
		Entity  struct {
			Entity struct {
				Code, Name, LegalRepresentative string
				Version                         int
			}
			Entry struct {
				Version                               int
				Unit, EntityType, LicenceType, Status string
				RiskClass                             *string
				AbnormalOperations                    bool
				Complaints                            int
			}
		}
	}
}

// TestSaveEntity: a save takes patch semantics, returns what it saved,
// and keeps what the form leaves out (before, a save of code, name and
// status wiped the risk class, unit, type, licence and complaints).
func TestSaveEntity(t *testing.T) {
	e := newEnv(t)
	planner := e.As("wl-planner")
	code := usccs(1)[0]
	full := map[string]any{"uscc": code, "name": "阳城县示例歌舞厅", "unit": "凤城所", "riskClass": "B", "entityType": "娱乐场所",
		"licenceType": "娱乐经营许可证", "abnormalOperations": true, "complaints": 4, "legalRepresentative": "张三"}
	steps := []struct {
		name        string
		in          map[string]any
		wantChanged bool
		wantVersion int
		check       func(t *testing.T, r saveResult)
	}{
		{"Create", full, true, 1, nil},
		{"SameAgainChangesNothing", full, false, 1, nil},
		{"PartialFormKeepsTheRest", map[string]any{"uscc": code, "name": "阳城县示例歌舞厅", "status": "DEREGISTERED"}, true, 2,
			func(t *testing.T, r saveResult) {
				en := r.SaveEntity.Entity.Entry
				if en.Status != "DEREGISTERED" || en.Unit != "凤城所" || en.RiskClass == nil || *en.RiskClass != "B" || en.EntityType != "娱乐场所" ||
					en.LicenceType != "娱乐经营许可证" || !en.AbnormalOperations || en.Complaints != 4 ||
					r.SaveEntity.Entity.Entity.LegalRepresentative != "张三" {
					t.Errorf("entry after a partial save = %+v, %+v; want only the status changed", en, r.SaveEntity.Entity.Entity)
				}
			}},
		{"ClearIsExplicit", map[string]any{"uscc": code, "name": "阳城县示例歌舞厅", "clear": []string{"RISK_CLASS", "ABNORMAL_OPERATIONS"}}, true, 3,
			func(t *testing.T, r saveResult) {
				en := r.SaveEntity.Entity.Entry
				if en.RiskClass != nil || en.AbnormalOperations || en.Unit != "凤城所" {
					t.Errorf("entry after clearing = %+v; want risk class and flag cleared, the rest kept", en)
				}
			}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			var got saveResult
			e.Do(planner, saveEntity, map[string]any{"in": st.in}).mustData(t, &got)
			if got.SaveEntity.Changed != st.wantChanged || got.SaveEntity.Entity.Entry.Version != st.wantVersion ||
				got.SaveEntity.Entity.Entity.Code != code {
				t.Fatalf("saveEntity = %+v, want changed %v, entry version %d", got.SaveEntity, st.wantChanged, st.wantVersion)
			}
			if st.check != nil {
				st.check(t, got)
			}
		})
	}
	t.Run("ErrGivenAndCleared", func(t *testing.T) {
		r := e.Do(planner, saveEntity, map[string]any{"in": map[string]any{"uscc": code, "name": "x", "unit": "u", "clear": []string{"UNIT"}}})
		wantCode(t, r, "BAD_USER_INPUT")
	})

	t.Run("ErrBadCodeNamesTheField", func(t *testing.T) {
		r := e.Do(planner, saveEntity, map[string]any{"in": map[string]any{"uscc": code[:17] + "0", "name": "x"}})
		wantCode(t, r, "BAD_USER_INPUT")
		if r.Errors[0].Extensions.Field != "input.uscc" {
			t.Errorf("field = %q, want input.uscc", r.Errors[0].Extensions.Field)
		}
	})
	t.Run("RegistrationNumberAccepted", func(t *testing.T) {
		// 15-digit 注册号 with its ISO 7064 MOD 11,10 check digit.
		in := map[string]any{"uscc": registrationNumber("14052200000001"), "name": "老字号商店"}
		e.Do(planner, saveEntity, map[string]any{"in": in}).mustData(t, nil)
	})
}

// registrationNumber appends the ISO 7064 MOD 11,10 check digit.
func registrationNumber(body string) string {
	p := 10
	for _, c := range body {
		s := (p + int(c-'0')) % 10
		if s == 0 {
			s = 10
		}
		p = s * 2 % 11
	}
	return body + fmt.Sprint((11-p)%10)
}

type rosterPage struct {
	RosterEntities struct {
		Nodes []struct {
			Entity struct{ Code, Name string }
			Entry  struct {
				Status    string
				RiskClass *string
				Version   int
			}
		}
	}
}

func TestRosterAsOfAndHistory(t *testing.T) {
	e := newEnv(t)
	planner := e.As("wl-planner")
	code := usccs(1)[0]
	in := map[string]any{"uscc": code, "name": "阳城县示例网吧", "riskClass": "C"}
	e.Do(planner, saveEntity, map[string]any{"in": in}).mustData(t, nil)
	before := time.Now()
	time.Sleep(10 * time.Millisecond) // versions are stamped with the transaction's start
	in["status"], in["name"] = "REVOKED", "阳城县示例网吧（已吊销）"
	e.Do(planner, saveEntity, map[string]any{"in": in}).mustData(t, nil)

	read := func(asOf *time.Time) rosterPage {
		var p rosterPage
		vars := map[string]any{}
		if asOf != nil {
			vars["asOf"] = asOf.Format(time.RFC3339Nano)
		}
		e.Do(planner, `query($asOf: Time) { rosterEntities(asOf: $asOf) { nodes { entity { code name } entry { status riskClass version } } } }`, vars).mustData(t, &p)
		if len(p.RosterEntities.Nodes) != 1 {
			t.Fatalf("roster = %+v, want one entity", p)
		}
		return p
	}
	t.Run("Now", func(t *testing.T) {
		n := read(nil).RosterEntities.Nodes[0]
		if n.Entry.Status != "REVOKED" || n.Entry.Version != 2 || n.Entity.Name != "阳城县示例网吧（已吊销）" {
			t.Fatalf("now = %+v, want the revoked version 2", n)
		}
	})
	t.Run("AsOfEarlier", func(t *testing.T) {
		n := read(&before).RosterEntities.Nodes[0]
		if n.Entry.Status != "ACTIVE" || n.Entry.Version != 1 || n.Entity.Name != "阳城县示例网吧" {
			t.Fatalf("as of before the change = %+v, want the active version 1", n)
		}
	})
	t.Run("History", func(t *testing.T) {
		var h struct {
			RosterEntryHistory struct {
				Nodes []struct {
					Version   int
					Status    string
					ValidTo   *string
					ChangedBy struct{ Username string }
				}
			}
		}
		e.Do(planner, `query($c: String!) { rosterEntryHistory(code: $c) { nodes { version status validTo changedBy { username } } } }`,
			map[string]any{"c": code}).mustData(t, &h)
		got := h.RosterEntryHistory.Nodes
		if len(got) != 2 || got[0].Status != "ACTIVE" || got[0].ValidTo == nil || got[1].Status != "REVOKED" || got[1].ValidTo != nil {
			t.Fatalf("history = %+v, want active (closed) then revoked (current)", got)
		}
		if got[1].ChangedBy.Username != "wl-planner" {
			t.Errorf("changed by %q, want wl-planner", got[1].ChangedBy.Username)
		}
	})
	t.Run("BeforeTheEntityExisted", func(t *testing.T) {
		var p rosterPage
		e.Do(planner, `query($asOf: Time) { rosterEntities(asOf: $asOf) { nodes { entity { code } } } }`,
			map[string]any{"asOf": "2020-01-01T00:00:00Z"}).mustData(t, &p)
		if len(p.RosterEntities.Nodes) != 0 {
			t.Fatalf("roster in 2020 = %+v, want empty", p)
		}
	})
}

func TestEntityVisibility(t *testing.T) {
	e := newEnv(t)
	code := usccs(1)[0]
	e.Do(e.As("wl-planner"), saveEntity, map[string]any{"in": map[string]any{"uscc": code, "name": "共享的企业", "riskClass": "D"}}).mustData(t, nil)
	const q = `query($c: String!) { entity(code: $c) { name entries { bureau { code } riskClass } } }`
	type answer struct {
		Entity struct {
			Name    string
			Entries []struct{ Bureau struct{ Code string } }
		}
	}
	entriesSeen := func(t *testing.T, user string) []string {
		t.Helper()
		var a answer
		e.Do(e.As(user), q, map[string]any{"c": code}).mustData(t, &a)
		var bureaus []string
		for _, en := range a.Entity.Entries {
			bureaus = append(bureaus, en.Bureau.Code)
		}
		return bureaus
	}
	t.Run("OwnBureauSeesItsEntry", func(t *testing.T) {
		if got := entriesSeen(t, "wl-leader"); len(got) != 1 || got[0] != "140522-wl" {
			t.Fatalf("entries = %v, want [140522-wl]", got)
		}
	})
	t.Run("OtherBureauSeesTheEntityNotTheEntry", func(t *testing.T) {
		if got := entriesSeen(t, "sj-planner"); len(got) != 0 {
			t.Fatalf("sj sees entries %v of another bureau", got)
		}
		var p rosterPage
		e.Do(e.As("sj-planner"), `{ rosterEntities { nodes { entity { code } } } }`, nil).mustData(t, &p)
		if len(p.RosterEntities.Nodes) != 0 {
			t.Fatalf("sj's roster = %+v, want empty", p)
		}
	})
	t.Run("JointOfficeSeesEveryBureausEntry", func(t *testing.T) {
		if got := entriesSeen(t, "lh-coordinator"); len(got) != 1 || got[0] != "140522-wl" {
			t.Fatalf("joint office sees %v, want [140522-wl]", got)
		}
	})
	t.Run("OtherRegionNotFound", func(t *testing.T) {
		token := e.otherRegionUser()
		wantCode(t, e.Do(request{Token: token}, q, map[string]any{"c": code}), "NOT_FOUND")
	})
}

// otherRegionUser creates bureau 140521-wl of 沁水县 with a planner, as the
// schema owner, and returns the planner's session token.
func (e *env) otherRegionUser() string {
	e.t.Helper()
	if _, err := e.DB.Exec(`INSERT INTO regions (code, name) VALUES ('140521', '沁水县')`); err != nil {
		e.t.Fatal(err)
	}
	return e.bureauPlanner("140521", "140521-wl", "沁水县文化和旅游局", "qs-planner")
}

// bureauPlanner creates, as the schema owner, a bureau of the region with
// one planner (the demo password) and returns the planner's session token.
func (e *env) bureauPlanner(region, bureau, name, username string) string {
	e.t.Helper()
	stmts := []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO bureaus (code, region_code, name, kind) VALUES ($1, $2, $3, 'culture_tourism')`, []any{bureau, region, name}},
		{`INSERT INTO users (username, display_name, password_hash) SELECT $1, $1, password_hash FROM users WHERE username = 'wl-planner'`, []any{username}},
		{`INSERT INTO members (bureau_id, user_id, role) SELECT b.id, u.id, 'planner' FROM bureaus b, users u WHERE b.code = $1 AND u.username = $2`, []any{bureau, username}},
		{`SELECT pg_notify('authz_changed', $1)`, []any{bureau}},
	}
	for _, s := range stmts {
		if _, err := e.DB.Exec(s.sql, s.args...); err != nil {
			e.t.Fatalf("%s: %v", s.sql, err)
		}
	}
	time.Sleep(200 * time.Millisecond) // the NOTIFY reloads role assignments
	return e.SignIn(username)
}

func TestRosterPageCostsFixedStatements(t *testing.T) {
	e, stmts := newEnvCounting(t)
	planner := e.As("wl-planner")
	for _, code := range usccs(60) {
		e.Do(planner, saveEntity, map[string]any{"in": map[string]any{"uscc": code, "name": "企业" + code[10:], "unit": "凤城所"}}).mustData(t, nil)
	}
	const q = `query($n: Int) { rosterEntities(first: $n) { nodes {
		entity { code name entries { bureau { code name region { name } } status changedBy { username } } }
		entry { status riskClass focus changedBy { username displayName } bureau { code } } } } }`
	cost := func(n int) int64 {
		before := stmts.Count()
		var p rosterPage
		e.Do(planner, q, map[string]any{"n": n}).mustData(t, &p)
		if len(p.RosterEntities.Nodes) != n {
			t.Fatalf("page of %d has %d rows", n, len(p.RosterEntities.Nodes))
		}
		return stmts.Count() - before
	}
	// The first request fills this instance's cache of bureaus (one
	// statement, once); the pages measured after it must cost the same.
	cost(1)
	small, large := cost(5), cost(50)
	if small != large {
		t.Fatalf("a page of 5 took %d statements, a page of 50 took %d: the cost must not grow with the page", small, large)
	}
	t.Logf("a roster page costs %d statements whatever its size", large)
}

func TestRosterFilesOverHTTP(t *testing.T) {
	e := newEnv(t)
	planner := e.As("wl-planner")
	codes := usccs(3)
	for i, code := range codes {
		in := map[string]any{"uscc": code, "name": fmt.Sprintf("企业%d", i), "riskClass": "ABC"[i : i+1], "complaints": i}
		e.Do(planner, saveEntity, map[string]any{"in": in}).mustData(t, nil)
	}
	get := func(path, token string) (*http.Response, []byte) {
		req, _ := http.NewRequest(http.MethodGet, e.Server.URL+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res, body
	}
	for _, format := range []string{"csv", "xlsx"} {
		t.Run("Export"+format, func(t *testing.T) {
			res, body := get("/roster/export/entities."+format, planner.Token)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", res.StatusCode, body)
			}
			sheet, err := roster.OpenSheet(strings.NewReader(string(body)), "export."+format)
			if err != nil {
				t.Fatal(err)
			}
			defer sheet.Close()
			rows, problems := roster.ReadEntities(sheet, 0)
			if len(problems) > 0 || len(rows) != len(codes) {
				t.Fatalf("export read back: %d rows, problems %v; want %d rows", len(rows), problems, len(codes))
			}
			for i, r := range rows {
				if r.Code != codes[i] || string(r.RiskClass) != "ABC"[i:i+1] || r.Complaints != i {
					t.Errorf("row %d = %+v, want code %s class %c complaints %d", i, r, codes[i], "ABC"[i], i)
				}
			}
		})
		t.Run("Template"+format, func(t *testing.T) {
			res, body := get("/roster/template/entities."+format, "")
			if res.StatusCode != http.StatusOK || len(body) == 0 {
				t.Fatalf("template status %d, %d bytes", res.StatusCode, len(body))
			}
		})
	}
	t.Run("ErrExportNeedsSignIn", func(t *testing.T) {
		if res, _ := get("/roster/export/entities.csv", ""); res.StatusCode != http.StatusUnauthorized && res.StatusCode != http.StatusForbidden {
			t.Fatalf("status = %d, want 401", res.StatusCode)
		}
	})
	t.Run("ErrUnknownFile", func(t *testing.T) {
		if res, _ := get("/roster/template/secrets.csv", ""); res.StatusCode != http.StatusNotFound {
			t.Fatalf("status = %d, want 404", res.StatusCode)
		}
	})
}

func TestImportEntitiesFiles(t *testing.T) {
	e := newEnv(t)
	planner := e.As("wl-planner")
	codes := usccs(3)
	gb18030, err := simplifiedchinese.GB18030.NewEncoder().String(
		"统一社会信用代码,名称,属地单位,风险分类\n" + codes[0] + ",阳城县𠀋文化传媒有限公司,凤城所,B\n")
	if err != nil {
		t.Fatal(err)
	}
	header := "统一社会信用代码,名称\n"
	tests := []struct {
		name     string
		content  string
		wantRows []int  // rows named in extensions.details; nil for a good file
		wantText string // part of the first problem's message
	}{
		{"GB18030", gb18030, nil, ""},
		{"ErrEmptyFile", "", []int{0}, "empty"},
		{"ErrWrongHeader", "代码,企业名字\n" + codes[1] + ",甲\n", []int{1}, ""},
		{"ErrBadCode", header + codes[1] + ",甲\n91140522MA0000000X,乙\n", []int{3}, "check"},
		{"ErrDuplicateCode", header + codes[1] + ",甲\n" + codes[2] + ",乙\n" + codes[1] + ",丙\n", []int{4}, "row 2"},
		{"ErrHugeCell", header + codes[1] + "," + strings.Repeat("名", 400_000) + "\n", []int{2}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := auditCount(t, e)
			r := e.Upload(planner, importRosterFile, map[string]any{"in": map[string]any{"kind": "ENTITIES"}}, "in.file", "entities.csv", []byte(tt.content))
			if tt.wantRows == nil {
				r.mustData(t, nil)
				return
			}
			wantCode(t, r.response, "BAD_USER_INPUT")
			var rows []int // the rows named, each once
			for _, p := range r.Details {
				if len(rows) == 0 || rows[len(rows)-1] != p.Row {
					rows = append(rows, p.Row)
				}
			}
			if fmt.Sprint(rows) != fmt.Sprint(tt.wantRows) {
				t.Errorf("problem rows = %v, want %v (%+v)", rows, tt.wantRows, r.Details)
			}
			if tt.wantText != "" && (len(r.Details) == 0 || !strings.Contains(r.Details[0].Message, tt.wantText)) {
				t.Errorf("problems %+v should say %q", r.Details, tt.wantText)
			}
			if got := auditCount(t, e); got != before {
				t.Errorf("a refused file changed the audit trail (%d → %d entries)", before, got)
			}
		})
	}
	var p rosterPage
	e.Do(planner, `{ rosterEntities { nodes { entity { code name } } } }`, nil).mustData(t, &p)
	if len(p.RosterEntities.Nodes) != 1 || p.RosterEntities.Nodes[0].Entity.Name != "阳城县𠀋文化传媒有限公司" {
		t.Fatalf("roster = %+v, want only the GB18030 file's entity, its name intact", p.RosterEntities.Nodes)
	}
}

// TestSaveEntityWhoseEntity: through saveEntity, a bureau changes the
// region's shared record (name, legal representative, address) only for
// an entity on its own roster. Adding one that another bureau supervises
// links it and leaves that bureau's view alone; once on the roster, its
// change names it in the history. Other roles and callers get nothing.
func TestSaveEntityWhoseEntity(t *testing.T) {
	e := newEnv(t)
	wl, sj := e.As("wl-planner"), e.As("sj-planner")
	code := usccs(1)[0]
	e.Do(wl, saveEntity, map[string]any{"in": map[string]any{"uscc": code, "name": "阳城县甲网吧", "legalRepresentative": "张三",
		"address": "凤城镇1号", "unit": "凤城中队"}}).mustData(t, nil)

	var linked saveResult
	e.Do(sj, saveEntity, map[string]any{"in": map[string]any{"uscc": code, "name": "别名网吧", "legalRepresentative": "李四",
		"address": "别处", "unit": "市场所"}}).mustData(t, &linked)
	if got := linked.SaveEntity.Entity; !linked.SaveEntity.Changed || got.Entity.Name != "阳城县甲网吧" ||
		got.Entity.LegalRepresentative != "张三" || got.Entity.Version != 1 || got.Entry.Unit != "市场所" {
		t.Fatalf("another bureau's save = %+v; want its own entry linked to the shared record as it was", linked.SaveEntity)
	}
	const read = `query($code: String!) { entity(code: $code) { name legalRepresentative address version } }`
	var seen struct {
		Entity struct{ Name, LegalRepresentative, Address string }
	}
	e.Do(wl, read, map[string]any{"code": code}).mustData(t, &seen)
	if seen.Entity.Name != "阳城县甲网吧" || seen.Entity.LegalRepresentative != "张三" || seen.Entity.Address != "凤城镇1号" {
		t.Fatalf("wl sees %+v after sj linked the entity; want its record unchanged", seen.Entity)
	}
	var wlEntry struct {
		Entity struct{ Entries []struct{ Unit string } }
	}
	e.Do(wl, `query($code: String!) { entity(code: $code) { entries { unit } } }`, map[string]any{"code": code}).mustData(t, &wlEntry)
	if en := wlEntry.Entity.Entries; len(en) != 1 || en[0].Unit != "凤城中队" {
		t.Fatalf("wl's entries after sj's save = %+v, want its own, unit 凤城中队", en)
	}

	// On sj's roster now, sj may correct the shared record; the history
	// says who did.
	var fixed saveResult
	e.Do(sj, saveEntity, map[string]any{"in": map[string]any{"uscc": code, "name": "阳城县甲网吧有限公司"}}).mustData(t, &fixed)
	if fixed.SaveEntity.Entity.Entity.Name != "阳城县甲网吧有限公司" || fixed.SaveEntity.Entity.Entity.Version != 2 {
		t.Fatalf("sj's correction = %+v, want version 2 with the new name", fixed.SaveEntity.Entity.Entity)
	}
	var h struct {
		EntityHistory struct {
			Nodes []struct {
				Name      string
				Address   string
				ChangedIn struct{ Code string }
			}
		}
	}
	e.Do(wl, `query($code: String!) { entityHistory(code: $code) { nodes { name address changedIn { code } } } }`, map[string]any{"code": code}).mustData(t, &h)
	if hs := h.EntityHistory.Nodes; len(hs) != 2 || hs[0].ChangedIn.Code != "140522-wl" || hs[1].ChangedIn.Code != "140522-sj" ||
		hs[1].Address != "凤城镇1号" {
		t.Fatalf("history = %+v; want wl's version, then sj's naming sj with the address kept", hs)
	}

	t.Run("ForbiddenRole", func(t *testing.T) {
		r := e.Do(e.As("wl-inspector1"), saveEntity, map[string]any{"in": map[string]any{"uscc": code, "name": "x"}})
		wantCode(t, r, "FORBIDDEN")
	})
	t.Run("Unauthenticated", func(t *testing.T) {
		r := e.Do(request{}, saveEntity, map[string]any{"in": map[string]any{"uscc": code, "name": "x"}})
		wantCode(t, r, "UNAUTHENTICATED")
	})
}
