package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"shuangsuiji/internal/browser"
	"shuangsuiji/internal/postgres"
)

const issueNotices = `mutation($id: ID!) { issueInspectionNotices(input: {drawId: $id}) { issued total } }`
const withdrawNotice = `mutation($task: ID!, $reason: String!) {
  withdrawInspectionNotice(input: {taskId: $task, reason: $reason}) { notice { code withdrawnAt withdrawnReason } } }`
const noticeQuery = `query($task: ID!) { inspectionNotice(taskId: $task) { code drawNumber seq htmlUrl pdfUrl verifyUrl withdrawnAt } }`
const publicTaskQuery = `query($code: String!) { publicTask(code: $code) {
  drawNumber drawTitle windowStart windowEnd entity { code name } bureaus inspectors { bureau name certificate } manifestUrl } }`

type noticeTask struct {
	ID, EntityCode, EntityName string
	Seq                        int
	Team                       []struct{ Bureau, Certificate, Name string }
}

// noticeFixture: an executed draw of 140522-wl with its notices issued;
// returns the draw's global id and its tasks.
func noticeFixture(t *testing.T, e *env) (string, []noticeTask) {
	t.Helper()
	publicFixture(t, e)
	var d struct {
		Draws struct {
			Nodes []struct {
				ID    string
				Tasks struct{ Nodes []noticeTask }
			}
		}
	}
	e.Do(e.As("wl-planner"), `{ draws(first: 1) { nodes { id tasks { nodes { id seq entityCode entityName team { bureau certificate name } } } } } }`,
		nil).mustData(t, &d)
	draw := d.Draws.Nodes[0]
	var issued struct{ IssueInspectionNotices struct{ Issued, Total int } }
	e.Do(e.As("wl-planner"), issueNotices, map[string]any{"id": draw.ID}).mustData(t, &issued)
	if n := len(draw.Tasks.Nodes); n == 0 || issued.IssueInspectionNotices.Issued != n || issued.IssueInspectionNotices.Total != n {
		t.Fatalf("issued %+v for %d tasks", issued, n)
	}
	return draw.ID, draw.Tasks.Nodes
}

type noticeData struct {
	InspectionNotice struct {
		Code, HTMLURL, PDFURL, VerifyURL string
		DrawNumber, Seq                  int
		WithdrawnAt                      *string
	}
}

func (e *env) notice(t *testing.T, who, task string) noticeData {
	t.Helper()
	var n noticeData
	e.Do(e.As(who), noticeQuery, map[string]any{"task": task}).mustData(t, &n)
	return n
}

type publicTaskData struct {
	PublicTask *struct {
		DrawNumber           int
		DrawTitle, WindowEnd string
		WindowStart          string
		Entity               struct{ Code, Name string }
		Bureaus              []string
		Inspectors           []struct{ Bureau, Name, Certificate string }
		ManifestURL          string
	}
}

func TestInspectionNotices(t *testing.T) {
	e := newEnv(t)
	drawID, tasks := noticeFixture(t, e)
	task := tasks[0]
	n := e.notice(t, "wl-inspector1", task.ID).InspectionNotice
	code := strings.ReplaceAll(n.Code, "-", "")
	if len(code) != 20 || n.VerifyURL != "/public/tasks/"+code || n.WithdrawnAt != nil {
		t.Fatalf("notice %+v", n)
	}

	t.Run("IssuingAgainIssuesNothing", func(t *testing.T) {
		var again struct{ IssueInspectionNotices struct{ Issued, Total int } }
		e.Do(e.As("wl-admin"), issueNotices, map[string]any{"id": drawID}).mustData(t, &again)
		if again.IssueInspectionNotices.Issued != 0 || again.IssueInspectionNotices.Total != len(tasks) {
			t.Errorf("again: %+v", again)
		}
		if got := e.notice(t, "wl-leader", task.ID).InspectionNotice.Code; got != n.Code {
			t.Errorf("the code changed: %s → %s", n.Code, got)
		}
	})
	t.Run("CodesDiffer", func(t *testing.T) {
		seen := map[string]bool{}
		for _, tk := range tasks {
			c := e.notice(t, "wl-planner", tk.ID).InspectionNotice.Code
			if seen[c] {
				t.Errorf("code %s twice", c)
			}
			seen[c] = true
		}
	})
	t.Run("ValidCodeWithoutSignIn", func(t *testing.T) {
		for _, typed := range []string{code, n.Code, strings.ToLower(n.Code)} {
			var d publicTaskData
			e.Do(request{}, publicTaskQuery, map[string]any{"code": typed}).mustData(t, &d)
			p := d.PublicTask
			if p == nil {
				t.Fatalf("publicTask(%s) = null", typed)
			}
			if p.Entity.Code != task.EntityCode || p.WindowStart != "2026-03-01" || p.WindowEnd != "2026-03-31" ||
				len(p.Bureaus) != 1 || p.Bureaus[0] != "阳城县文化和旅游局" || len(p.Inspectors) != len(task.Team) {
				t.Errorf("publicTask(%s) = %+v", typed, p)
			}
			for i, m := range task.Team {
				if i < len(p.Inspectors) && (p.Inspectors[i].Certificate != m.Certificate || p.Inspectors[i].Name != m.Name || p.Inspectors[i].Name == "") {
					t.Errorf("inspector %d = %+v, want %+v", i, p.Inspectors[i], m)
				}
			}
		}
		status, body := getPage(t, e.Server.URL+"/public/tasks/"+code)
		if status != http.StatusOK || !strings.Contains(body, task.EntityName) || !strings.Contains(body, task.Team[0].Certificate) {
			t.Errorf("page: %d", status)
		}
	})
	t.Run("SubstitutionShows", func(t *testing.T) {
		out := task.Team[0].Certificate
		in := "" // the first inspector who is not on the team
		for i := 0; in == ""; i++ {
			in = fmt.Sprintf("WL-%03d", i)
			for _, m := range task.Team {
				if m.Certificate == in {
					in = ""
				}
			}
		}
		e.Do(e.As("wl-planner"), `mutation($d: ID!, $seq: Int!, $out: String!, $in: String!) {
			substituteInspector(input: {drawId: $d, seq: $seq, out: $out, in: $in, reason: "生病"}) { task { seq } } }`,
			map[string]any{"d": drawID, "seq": task.Seq, "out": out, "in": in}).mustData(t, nil)
		var d publicTaskData
		e.Do(request{}, publicTaskQuery, map[string]any{"code": code}).mustData(t, &d)
		var certs []string
		for _, i := range d.PublicTask.Inspectors {
			certs = append(certs, i.Certificate)
		}
		if strings.Contains(strings.Join(certs, ","), out) || !strings.Contains(strings.Join(certs, ","), in) || len(certs) != len(task.Team) {
			t.Errorf("after substituting %s by %s the team is %v", out, in, certs)
		}
	})
	t.Run("WrongAndWithdrawnAnswerAlike", func(t *testing.T) {
		other := e.notice(t, "wl-planner", tasks[1].ID).InspectionNotice.Code
		var w struct {
			WithdrawInspectionNotice struct {
				Notice struct {
					WithdrawnAt     *string
					WithdrawnReason string
				}
			}
		}
		e.Do(e.As("wl-planner"), withdrawNotice, map[string]any{"task": tasks[1].ID, "reason": "对象已注销"}).mustData(t, &w)
		if w.WithdrawInspectionNotice.Notice.WithdrawnAt == nil || w.WithdrawInspectionNotice.Notice.WithdrawnReason != "对象已注销" {
			t.Errorf("withdrawn: %+v", w)
		}
		wantCode(t, e.Do(e.As("wl-planner"), withdrawNotice, map[string]any{"task": tasks[1].ID, "reason": "再次"}), "CONFLICT")
		wrong := "ZZZZZZZZZZZZZZZZZZZZ"
		var pages []string
		for _, c := range []string{wrong, other, "not-a-code", strings.Repeat("0", 19)} {
			var d publicTaskData
			e.Do(request{}, publicTaskQuery, map[string]any{"code": c}).mustData(t, &d)
			if d.PublicTask != nil {
				t.Errorf("publicTask(%s) = %+v, want null", c, d.PublicTask)
			}
			status, body := getPage(t, e.Server.URL+"/public/tasks/"+c)
			if status != http.StatusNotFound {
				t.Errorf("GET /public/tasks/%s: %d, want 404", c, status)
			}
			pages = append(pages, body)
		}
		for _, p := range pages[1:] {
			if p != pages[0] {
				t.Errorf("a withdrawn or malformed code answers differently from a wrong one")
			}
		}
	})
	t.Run("NoticeAsHTML", func(t *testing.T) {
		body := e.getNotice(t, e.As("wl-inspector1"), n.HTMLURL, http.StatusOK)
		for _, want := range []string{"检查通知书", task.EntityName, n.Code, "data:image/png;base64,", "frame_salt", "请准备以下材料", "2026-03-01"} {
			if !strings.Contains(body, want) {
				t.Errorf("the notice lacks %q", want)
			}
		}
		if pdf := e.getNotice(t, e.As("wl-leader"), n.PDFURL, http.StatusOK); !strings.HasPrefix(pdf, "%PDF-") {
			t.Errorf("the PDF notice starts %q", pdf[:min(len(pdf), 16)])
		}
		e.getNotice(t, request{}, n.HTMLURL, http.StatusUnauthorized)
		e.getNotice(t, e.As("sj-planner"), n.HTMLURL, http.StatusNotFound)
		e.getNotice(t, e.As("wl-inspector1"), "/notices/1/999.html", http.StatusNotFound)
		e.getNotice(t, e.As("wl-inspector1"), "/notices/1/1.docx", http.StatusNotFound)
	})
}

func (e *env) getNotice(t *testing.T, rq request, path string, want int) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.Server.URL+path, nil)
	if rq.Token != "" {
		req.Header.Set("Authorization", "Bearer "+rq.Token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != want {
		t.Errorf("GET %s: %d, want %d", path, res.StatusCode, want)
	}
	return string(body)
}

func TestInspectionNoticeAuthorization(t *testing.T) {
	e := newEnv(t)
	drawID, tasks := noticeFixture(t, e)
	task := tasks[0].ID
	cases := []struct {
		name, who, query string
		vars             map[string]any
		want             string
	}{
		{"IssueForbiddenRole", "wl-inspector1", issueNotices, map[string]any{"id": drawID}, "FORBIDDEN"},
		{"IssueUnauthenticated", "", issueNotices, map[string]any{"id": drawID}, "UNAUTHENTICATED"},
		{"IssueOtherBureau", "sj-planner", issueNotices, map[string]any{"id": drawID}, "NOT_FOUND"},
		{"IssueJointOfficeDoesNotLead", "lh-coordinator", issueNotices, map[string]any{"id": drawID}, "FORBIDDEN"},
		{"WithdrawForbiddenRole", "wl-reviewer", withdrawNotice, map[string]any{"task": task, "reason": "x"}, "FORBIDDEN"},
		{"WithdrawUnauthenticated", "", withdrawNotice, map[string]any{"task": task, "reason": "x"}, "UNAUTHENTICATED"},
		{"WithdrawOtherBureau", "sj-planner", withdrawNotice, map[string]any{"task": task, "reason": "x"}, "NOT_FOUND"},
		{"WithdrawNoReason", "wl-planner", withdrawNotice, map[string]any{"task": task, "reason": "  "}, "BAD_USER_INPUT"},
		{"WithdrawNoSuchTask", "wl-planner", withdrawNotice, map[string]any{"task": "bm9wZQ", "reason": "x"}, "NOT_FOUND"},
		{"ReadUnauthenticated", "", noticeQuery, map[string]any{"task": task}, "UNAUTHENTICATED"},
		{"ReadOtherBureau", "sj-inspector1", noticeQuery, map[string]any{"task": task}, "NOT_FOUND"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rq := request{}
			if c.who != "" {
				rq = e.As(c.who)
			}
			wantCode(t, e.Do(rq, c.query, c.vars), c.want)
		})
	}
	t.Run("NothingChanged", func(t *testing.T) {
		if n := e.notice(t, "wl-planner", task).InspectionNotice; n.WithdrawnAt != nil {
			t.Errorf("a refused withdrawal withdrew: %+v", n)
		}
	})
	t.Run("BeforeTheCeremony", func(t *testing.T) {
		planner := e.As("wl-planner")
		frozen := makeDraw(t, e, planner, newDrawInput("冻结", nil))
		wantCode(t, e.Do(planner, issueNotices, map[string]any{"id": frozen}), "CONFLICT")
	})
	t.Run("RowLevelSecurity", func(t *testing.T) {
		var sj int64
		if err := e.DB.Get(&sj, `SELECT id FROM bureaus WHERE code = '140522-sj'`); err != nil {
			t.Fatal(err)
		}
		var seen int
		err := e.DB.InScope(context.Background(), postgres.Scope{BureauID: sj}, func(tx *sqlx.Tx) error {
			return tx.Get(&seen, `SELECT count(*) FROM task_notices`)
		})
		if err != nil || seen != 0 {
			t.Errorf("another bureau sees %d notices (err %v)", seen, err)
		}
		var all int
		e.DB.Get(&all, `SELECT count(*) FROM task_notices`)
		if all != len(tasks) {
			t.Errorf("the owner sees %d notices, want %d", all, len(tasks))
		}
	})
}

func TestInspectionNoticePages(t *testing.T) {
	e := newEnv(t)
	_, tasks := noticeFixture(t, e)
	n := e.notice(t, "wl-planner", tasks[0].ID).InspectionNotice
	b := browser.New(t)

	b.Open(e.Server.URL + n.VerifyURL)
	if got := b.Text("h2"); got != tasks[0].EntityName {
		t.Errorf("the check page names %q", got)
	}
	b.FitsWidth()
	b.Screenshot("verify")
	html := strings.ToLower(b.HTML())
	for _, w := range append(privateWords, "frame_salt", "stratum") {
		if strings.Contains(html, strings.ToLower(w)) {
			t.Errorf("the public check page says %q", w)
		}
	}

	file := filepath.Join(t.TempDir(), "notice.html")
	os.WriteFile(file, []byte(e.getNotice(t, e.As("wl-planner"), n.HTMLURL, http.StatusOK)), 0o644)
	b.Open("file://" + file)
	if got := browser.Eval[int](b, `document.querySelector(".verify img").naturalWidth`); got < 100 {
		t.Errorf("the QR image is %d px wide", got)
	}
	b.FitsWidth()
	b.Screenshot("notice")
	b.NoErrors()
}
