package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"shuangsuiji/internal/roster"
)

// The authorization matrix of the inspector roster, conflicts of interest
// and inspection items. Its rows name objects (an inspector's id, a
// conflict's id) that exist only once a fixture made them, in a fresh
// database each; TestAuthorizationMatrix has no step to make them, so these
// rows run in TestRosterAuthorizationMatrix, with the same checks.

// rosterFixture is what newRosterFixture made in 140522-wl.
type rosterFixture struct {
	Entity     string // an entity of the region
	Linked     string // id of the inspector linked to wl-inspector1
	Unlinked   string // id of an inspector with no login
	Conflict   string // id of an open conflict of Unlinked with Entity, recorded by wl-admin
	ItemCode   string
	secretWord string // in every wl object's text: another bureau's answer must not hold it
}

const (
	saveInspectorMutation = `mutation($in: SaveInspectorInput!) { saveInspector(input: $in) { changed inspector { id name certificateNumber unit status user { username } } } }`
	saveItemMutation      = `mutation($in: SaveInspectionItemInput!) { saveInspectionItem(input: $in) { changed item { code version name checklist ratioBasisPoints frequencyPerYear versions { nodes { version } } } } }`
	recordConflictMut     = `mutation($in: RecordConflictInput!) { recordConflict(input: $in) { conflict { id entityCode entityName reason declaredBy inspector { id name } recordedBy { username } } } }`
	declareConflictMut    = `mutation($in: DeclareConflictInput!) { declareConflict(input: $in) { conflict { id entityCode reason declaredBy inspector { id name user { username } } recordedBy { username } } } }`
	withdrawConflictMut   = `mutation($id: ID!) { withdrawConflict(input: {id: $id}) { conflict { id withdrawnAt withdrawnBy { username } } } }`
	saveEntityForRoster   = `mutation($in: SaveEntityInput!) { saveEntity(input: $in) { changed } }`
)

// testUSCC is the i-th valid USCC of a series of the demo county.
func testUSCC(t testing.TB, i int) string {
	t.Helper()
	body := fmt.Sprintf("91140522MA0R%05d", i)
	c, err := roster.USCCCheckChar(body)
	if err != nil {
		t.Fatal(err)
	}
	return body + string(c)
}

// inspectorIn is a SaveInspectorInput with the given changes.
func inspectorIn(cert, name string, expires time.Time, changes map[string]any) map[string]any {
	in := map[string]any{"certificateNumber": cert, "name": name, "unit": "凤城执法中队",
		"certificateExpiresOn": expires.Format(time.DateOnly), "qualifications": []string{"WH01"}}
	for k, v := range changes {
		in[k] = v
	}
	return in
}

// saveInspector saves an inspector as rq and returns its id.
func (e *env) saveInspector(t testing.TB, rq request, in map[string]any) string {
	t.Helper()
	var data struct {
		SaveInspector struct{ Inspector struct{ ID string } }
	}
	e.Do(rq, saveInspectorMutation, map[string]any{"in": in}).mustData(t, &data)
	return data.SaveInspector.Inspector.ID
}

// newRosterFixture makes, through the API, an entity, two inspectors (one
// linked to wl-inspector1), an inspection item and a conflict in 140522-wl.
func newRosterFixture(t testing.TB, e *env) rosterFixture {
	t.Helper()
	planner, admin := e.As("wl-planner"), e.As("wl-admin")
	f := rosterFixture{Entity: testUSCC(t, 1), ItemCode: "WHLY-001", secretWord: "文旅甲"}
	e.Do(planner, saveEntityForRoster, map[string]any{"in": map[string]any{"uscc": f.Entity, "name": "阳城县示例歌舞厅"}}).mustData(t, nil)
	soon := time.Now().AddDate(0, 0, 10)
	f.Linked = e.saveInspector(t, planner, inspectorIn("WL-0001", "李强"+f.secretWord, soon, map[string]any{"username": "wl-inspector1"}))
	f.Unlinked = e.saveInspector(t, planner, inspectorIn("WL-0002", "赵敏"+f.secretWord, soon, nil))
	item := map[string]any{"code": f.ItemCode, "name": "娱乐场所检查" + f.secretWord, "checklist": []string{"是否取得许可证"}}
	e.Do(planner, saveItemMutation, map[string]any{"in": item}).mustData(t, nil)
	var data struct {
		RecordConflict struct{ Conflict struct{ ID string } }
	}
	in := map[string]any{"inspectorId": f.Unlinked, "entityCode": f.Entity, "reason": "曾任该单位股东" + f.secretWord}
	e.Do(admin, recordConflictMut, map[string]any{"in": in}).mustData(t, &data)
	f.Conflict = data.RecordConflict.Conflict.ID
	return f
}

// rosterOperation is a row of the matrix whose variables come from the
// fixture.
type rosterOperation struct {
	name               string
	query              string
	vars               func(f rosterFixture) map[string]any
	allowed, forbidden string
	// foreignAs, allowed's counterpart in another bureau, runs the
	// operation against the object of 140522-wl: the answer is
	// foreignCode (NOT_FOUND unless said) and reveals nothing of it.
	foreignAs, foreignCode string
	// otherBureau: the counterpart in 140522-sj runs the operation and
	// must see nothing of 140522-wl; control: the allowed answer shows
	// 140522-wl's objects, so that seeing nothing means something.
	otherBureau, control bool
}

var rosterOperations = []rosterOperation{
	{
		name:    "inspectors",
		query:   `{ inspectors(first: 100) { nodes { id name certificateNumber } } }`,
		allowed: "wl-inspector1", otherBureau: true, control: true,
	},
	{
		name:    "expiringCertificates",
		query:   `{ expiringCertificates(within: 30) { nodes { id name certificateExpiresOn } } }`,
		allowed: "wl-leader", otherBureau: true, control: true,
	},
	{
		name:    "inspector",
		query:   `query($id: ID!) { inspector(id: $id) { id name } }`,
		vars:    func(f rosterFixture) map[string]any { return map[string]any{"id": f.Linked} },
		allowed: "wl-reviewer", foreignAs: "sj-reviewer",
	},
	{
		name:    "conflicts",
		query:   `{ conflicts(first: 100) { nodes { id reason entityName inspector { name } } } }`,
		allowed: "wl-planner", forbidden: "wl-inspector1", otherBureau: true, control: true,
	},
	{
		name:    "inspectionItems",
		query:   `{ inspectionItems(first: 100) { nodes { code name versions { nodes { version } } } } }`,
		allowed: "wl-inspector2", otherBureau: true, control: true,
	},
	{
		name:    "inspectionItem",
		query:   `query($code: String!) { inspectionItem(code: $code) { code version name } }`,
		vars:    func(f rosterFixture) map[string]any { return map[string]any{"code": f.ItemCode} },
		allowed: "wl-inspector1", foreignAs: "sj-inspector1",
	},
	{
		name:  "saveInspector",
		query: saveInspectorMutation,
		vars: func(f rosterFixture) map[string]any {
			return map[string]any{"in": inspectorIn("WL-0002", "赵敏", time.Now().AddDate(1, 0, 0), map[string]any{"id": f.Unlinked})}
		},
		allowed: "wl-planner", forbidden: "wl-inspector1", foreignAs: "sj-planner",
	},
	{
		name:  "saveInspectionItem",
		query: saveItemMutation,
		vars: func(f rosterFixture) map[string]any {
			return map[string]any{"in": map[string]any{"code": f.ItemCode, "name": "娱乐场所检查", "ratioBasisPoints": 500}}
		},
		// Codes are the bureau's own: sj saving the code makes sj's own item.
		allowed: "wl-planner", forbidden: "wl-admin", otherBureau: true,
	},
	{
		name:  "declareConflict",
		query: declareConflictMut,
		vars: func(f rosterFixture) map[string]any {
			return map[string]any{"in": map[string]any{"entityCode": f.Entity, "reason": "配偶在该单位任职"}}
		},
		// An sj inspector has no wl inspector to declare for: the login is
		// linked to none in their own bureau.
		allowed: "wl-inspector1", forbidden: "wl-planner", foreignAs: "sj-inspector1", foreignCode: "BAD_USER_INPUT",
	},
	{
		name:  "recordConflict",
		query: recordConflictMut,
		vars: func(f rosterFixture) map[string]any {
			return map[string]any{"in": map[string]any{"inspectorId": f.Linked, "entityCode": f.Entity, "reason": "近亲属"}}
		},
		allowed: "wl-admin", forbidden: "wl-planner", foreignAs: "sj-admin",
	},
	{
		name:    "withdrawConflict",
		query:   withdrawConflictMut,
		vars:    func(f rosterFixture) map[string]any { return map[string]any{"id": f.Conflict} },
		allowed: "wl-admin", forbidden: "wl-leader", foreignAs: "sj-admin",
	},
}

func TestRosterAuthorizationMatrix(t *testing.T) {
	for _, op := range rosterOperations {
		t.Run(op.name, func(t *testing.T) {
			e := newEnv(t)
			f := newRosterFixture(t, e)
			vars := map[string]any{}
			if op.vars != nil {
				vars = op.vars(f)
			}
			t.Run("Allowed", func(t *testing.T) {
				r := e.Do(e.As(op.allowed), op.query, vars)
				r.mustData(t, nil)
				if op.control && !strings.Contains(string(r.Data), f.secretWord) {
					t.Fatalf("the allowed answer shows none of the fixture: %s", r.Data)
				}
			})
			if op.forbidden != "" {
				t.Run("ForbiddenRole", func(t *testing.T) {
					wantCode(t, e.Do(e.As(op.forbidden), op.query, vars), "FORBIDDEN")
				})
			}
			t.Run("Unauthenticated", func(t *testing.T) {
				wantCode(t, e.Do(request{}, op.query, vars), "UNAUTHENTICATED")
			})
			t.Run("BadToken", func(t *testing.T) {
				wantCode(t, e.Do(request{Token: "not-a-session"}, op.query, vars), "UNAUTHENTICATED")
			})
			t.Run("NotAMemberOfXBureau", func(t *testing.T) {
				rq := e.As(op.allowed)
				rq.Bureau = "140522-sj"
				wantCode(t, e.Do(rq, op.query, vars), "FORBIDDEN")
			})
			if op.foreignAs != "" {
				t.Run("OtherBureauNotFound", func(t *testing.T) {
					want := op.foreignCode
					if want == "" {
						want = "NOT_FOUND"
					}
					r := e.Do(e.As(op.foreignAs), op.query, vars)
					wantCode(t, r, want)
					mustNotMention(t, r, f.secretWord)
					for _, err := range r.Errors {
						if strings.Contains(err.Message, f.secretWord) {
							t.Fatalf("the error reveals wl's object: %s", err.Message)
						}
					}
				})
			}
			if op.otherBureau {
				t.Run("OtherBureauSeesNothing", func(t *testing.T) {
					counterpart := "sj-" + strings.TrimPrefix(op.allowed, "wl-")
					r := e.Do(e.As(counterpart), op.query, vars)
					r.mustData(t, nil)
					mustNotMention(t, r, f.secretWord)
					mustNotMention(t, r, "wl-")
				})
			}
		})
	}
}
