package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"shuangsuiji/internal/postgres/testdb"
)

// The read path's PostGraphile leg (issue 13): PostGraphile v4 serving the
// benchmark's own database, asked for the same rows as the service, driven
// the same way. It runs only when READPATH_POSTGRAPHILE names its CLI, so
// neither `make test` nor CI needs Node.js:
//
//	npm install --prefix /tmp/pg4 postgraphile@4
//	READPATH_POSTGRAPHILE=/tmp/pg4/node_modules/.bin/postgraphile \
//	  go test ./internal/server -run '^$' -bench ReadPath -benchtime 1x -timeout 20m
//
// PostGraphile connects as the test server's superuser, as in the issue's
// table: row-level security does not apply to it, so it filters by the
// bureau in the query instead.
const postgraphileEnv = "READPATH_POSTGRAPHILE"

// postgraphileComputedColumns give PostGraphile the relations the schema
// has no foreign key for: a task's and a roster entry's entity (the current
// version of (region_code, code), unique only by a partial index) and a
// team member's inspector. PostGraphile exposes each as a field (entity,
// inspector); the service joins the same rows. A draw's tasks and a task's
// team are checked by triggers since migration 00035, not by foreign keys:
// PostGraphile's smart comments (@foreignKey) declare those relations.
const postgraphileComputedColumns = `
CREATE OR REPLACE FUNCTION draw_tasks_entity(t draw_tasks) RETURNS entities LANGUAGE sql STABLE AS $$
  SELECT e.* FROM entities e WHERE e.region_code = t.region_code AND e.code = t.entity_code AND e.valid_to IS NULL $$;
CREATE OR REPLACE FUNCTION roster_entries_entity(r roster_entries) RETURNS entities LANGUAGE sql STABLE AS $$
  SELECT e.* FROM entities e WHERE e.region_code = r.region_code AND e.code = r.entity_code AND e.valid_to IS NULL $$;
CREATE OR REPLACE FUNCTION draw_task_members_inspector(m draw_task_members) RETURNS inspectors LANGUAGE sql STABLE AS $$
  SELECT i.* FROM inspectors i WHERE i.bureau_id = m.bureau_id AND i.certificate_number = m.certificate $$;
COMMENT ON TABLE draw_tasks IS E'@foreignKey (draw_id) references draws (id)';
COMMENT ON TABLE draw_task_members IS E'@foreignKey (draw_id, seq) references draw_tasks (draw_id, seq)';`

// postgraphileDrawsPage is drawsPageQuery in PostGraphile's schema: the
// bureau's latest draws, each with a page of tasks, their entity, team and
// substitutions.
const postgraphileDrawsPage = `query($bureau: BigInt!, $draws: Int, $tasks: Int) {
  allDraws(condition: {bureauId: $bureau}, orderBy: ID_DESC, first: $draws) { nodes { id title status bureauByBureauId { name }
    drawTasksByDrawId(orderBy: PRIMARY_KEY_ASC, first: $tasks) { nodes { seq entityCode entity { name }
      drawTaskMembersByDrawIdAndSeq(orderBy: POSITION_ASC) { nodes { certificate inspector { name } } }
      drawSubstitutionsByDrawIdAndSeq(orderBy: ID_ASC) { nodes { inCertificate } } }
    pageInfo { hasNextPage endCursor } } } } }`

// postgraphileRosterPage is rosterPageQuery in PostGraphile's schema: the
// bureau's current entries in code order, each with its entity.
const postgraphileRosterPage = `query($bureau: BigInt!, $n: Int) {
  allRosterEntries(condition: {bureauId: $bureau, validTo: null}, orderBy: ENTITY_CODE_ASC, first: $n) { nodes {
    entity { code name legalRepresentative address } status riskClass unit entityType }
    pageInfo { hasNextPage endCursor } } }`

// postgraphile is a running PostGraphile v4 and the bureau it is asked about.
type postgraphile struct {
	url    string
	bureau string
}

// startPostGraphile starts the CLI READPATH_POSTGRAPHILE names on a free
// loopback port over e's database, and stops it when t ends; nil when the
// variable is unset.
func startPostGraphile(t testing.TB, e *env, bureauID int64) *postgraphile {
	t.Helper()
	bin := os.Getenv(postgraphileEnv)
	if bin == "" {
		return nil
	}
	if _, err := e.DB.Exec(postgraphileComputedColumns); err != nil {
		t.Fatalf("PostGraphile's computed columns: %v", err)
	}
	port := freeLoopbackPort(t)
	cmd := exec.Command(bin, "--connection", superuserURL(t, e), "--schema", "public",
		"--host", "127.0.0.1", "--port", strconv.Itoa(port), "--disable-default-mutations",
		"--max-pool-size", strconv.Itoa(readClients), "--disable-query-log")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	p := &postgraphile{url: fmt.Sprintf("http://127.0.0.1:%d", port), bureau: strconv.FormatInt(bureauID, 10)}
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		select {
		case <-exited:
			t.Fatalf("PostGraphile exited:\n%s", out.String())
		default:
		}
		if status, _, _ := p.post(`{ __typename }`, nil); status == http.StatusOK {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("PostGraphile did not answer within 2 minutes:\n%s", out.String())
		}
	}
}

// superuserURL is e's database reached as the test server's superuser.
func superuserURL(t testing.TB, e *env) string {
	t.Helper()
	su, err := url.Parse(testdb.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	own, err := url.Parse(e.URL)
	if err != nil {
		t.Fatal(err)
	}
	su.Path = own.Path
	return su.String()
}

func freeLoopbackPort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// post sends one query and returns the status, the data and the errors.
func (p *postgraphile) post(query string, vars map[string]any) (int, json.RawMessage, []json.RawMessage) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	res, err := http.Post(p.url+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil
	}
	defer res.Body.Close()
	var r struct {
		Data   json.RawMessage
		Errors []json.RawMessage
	}
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		return res.StatusCode, nil, []json.RawMessage{json.RawMessage(strconv.Quote(err.Error()))}
	}
	return res.StatusCode, r.Data, r.Errors
}

// vars are q's variables with the bureau PostGraphile filters by.
func (p *postgraphile) vars(q readQuery) map[string]any {
	v := maps.Clone(q.vars)
	v["bureau"] = p.bureau
	return v
}

// drive sends q's PostGraphile query from readClients clients for d.
func (p *postgraphile) drive(q readQuery, d time.Duration) loadResult {
	vars := p.vars(q)
	return drive(d, func() bool {
		status, _, errs := p.post(q.postgraphile, vars)
		return status == http.StatusOK && len(errs) == 0
	})
}

// mustMatchService fails t unless PostGraphile answers q with the rows the
// service does: the same draws with the same tasks, entities and teams, or
// the same roster entries, in the same order.
func (p *postgraphile) mustMatchService(t testing.TB, e *env, rq request, q readQuery) {
	t.Helper()
	var service json.RawMessage
	e.Do(rq, q.gql, q.vars).mustData(t, &service)
	status, data, errs := p.post(q.postgraphile, p.vars(q))
	if status != http.StatusOK || len(errs) > 0 {
		t.Fatalf("%s: PostGraphile answered %d: %s", q.name, status, errs)
	}
	want, got := serviceRows(t, service), postgraphileRows(t, data)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Fatalf("%s: PostGraphile answers %d rows, the service %d; first differing:\n%s",
			q.name, len(got), len(want), firstDifference(got, want))
	}
}

// serviceRows flattens a service answer to one line per task or entity.
func serviceRows(t testing.TB, data json.RawMessage) []string {
	t.Helper()
	var a struct {
		Draws struct {
			Nodes []struct {
				Title string
				Lead  struct{ Name string }
				Tasks struct {
					Nodes []struct {
						Seq                    int
						EntityCode, EntityName string
						Team                   []struct{ Name, Certificate string }
						Substitutions          []struct{ In string }
					}
				}
			}
		}
		RosterEntities struct {
			Nodes []struct{ Entity struct{ Code, Name string } }
		}
	}
	if err := json.Unmarshal(data, &a); err != nil {
		t.Fatalf("decode the service's answer: %v", err)
	}
	var rows []string
	for _, d := range a.Draws.Nodes {
		for _, k := range d.Tasks.Nodes {
			var team []string
			for _, m := range k.Team {
				team = append(team, m.Certificate+" "+m.Name)
			}
			rows = append(rows, fmt.Sprintf("%s %s %d %s %s %v %d", d.Title, d.Lead.Name, k.Seq, k.EntityCode, k.EntityName, team, len(k.Substitutions)))
		}
	}
	for _, r := range a.RosterEntities.Nodes {
		rows = append(rows, r.Entity.Code+" "+r.Entity.Name)
	}
	return rows
}

// postgraphileRows flattens a PostGraphile answer as serviceRows does.
func postgraphileRows(t testing.TB, data json.RawMessage) []string {
	t.Helper()
	var a struct {
		AllDraws struct {
			Nodes []struct {
				Title             string
				BureauByBureauID  struct{ Name string } `json:"bureauByBureauId"`
				DrawTasksByDrawID struct {
					Nodes []struct {
						Seq                           int
						EntityCode                    string
						Entity                        struct{ Name string }
						DrawTaskMembersByDrawIDAndSeq struct {
							Nodes []struct {
								Certificate string
								Inspector   struct{ Name string }
							}
						} `json:"drawTaskMembersByDrawIdAndSeq"`
						DrawSubstitutionsByDrawIDAndSeq struct {
							Nodes []struct{ InCertificate string }
						} `json:"drawSubstitutionsByDrawIdAndSeq"`
					}
				} `json:"drawTasksByDrawId"`
			}
		}
		AllRosterEntries struct {
			Nodes []struct{ Entity struct{ Code, Name string } }
		}
	}
	if err := json.Unmarshal(data, &a); err != nil {
		t.Fatalf("decode PostGraphile's answer: %v", err)
	}
	var rows []string
	for _, d := range a.AllDraws.Nodes {
		for _, k := range d.DrawTasksByDrawID.Nodes {
			var team []string
			for _, m := range k.DrawTaskMembersByDrawIDAndSeq.Nodes {
				team = append(team, m.Certificate+" "+m.Inspector.Name)
			}
			rows = append(rows, fmt.Sprintf("%s %s %d %s %s %v %d", d.Title, d.BureauByBureauID.Name, k.Seq, k.EntityCode, k.Entity.Name,
				team, len(k.DrawSubstitutionsByDrawIDAndSeq.Nodes)))
		}
	}
	for _, r := range a.AllRosterEntries.Nodes {
		rows = append(rows, r.Entity.Code+" "+r.Entity.Name)
	}
	return rows
}

func firstDifference(got, want []string) string {
	for i := range max(len(got), len(want)) {
		g, w := "(none)", "(none)"
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			return fmt.Sprintf("row %d: PostGraphile %q, the service %q", i, g, w)
		}
	}
	return strings.Join(want, "\n")
}
