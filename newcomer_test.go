package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"shuangsuiji/internal/draw"
)

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestNewcomer does what the README tells a newcomer: clone the repository,
// `make run`, sign in as a demo user. The clone holds only committed files,
// so a file someone forgot to commit fails here. Stopping the service must
// stop the private PostgreSQL it started.
func TestNewcomer(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short: clones the repository, builds it and runs `make run` with a private PostgreSQL (minutes)")
	}
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatalf("git rev-parse --show-toplevel: %v", err)
	}
	tmp := t.TempDir()
	// As root, PostgreSQL runs as the postgres user, who must be able to
	// enter the folders on the way to the clone's data folder; the test's
	// temporary folders are created 0700.
	for _, dir := range []string{filepath.Dir(tmp), tmp} {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	clone := filepath.Join(tmp, "shuangsuiji")
	if out, err := exec.Command("git", "clone", "--quiet", strings.TrimSpace(string(top)), clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	// The data folder defaults to one per user (as root, /var/lib): keep
	// this run's beside the clone.
	data := filepath.Join(tmp, "data")
	pgdata := filepath.Join(data, "postgres", "pgdata")
	t.Cleanup(func() { stopStrayPostgres(t, pgdata) })

	// SIGTERM ends `go run` at once, leaving its work folder (and the
	// binary): keep that inside the test's folder.
	gotmp := filepath.Join(tmp, "gotmp")
	if err := os.Mkdir(gotmp, 0o755); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := exec.Command("make", "run", "ARGS=--addr "+addr) // ARGS reaches the binary
	cmd.Dir = clone
	cmd.Env = append(newcomerEnv(), "SHUANGSUIJI_DATA="+data, "GOTMPDIR="+gotmp)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var output lockedBuffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		t.Fatalf("make run: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopped := false
	defer func() {
		if !stopped { // a failure on the way: do not leave the service running
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}()

	base := "http://" + addr
	waitReady(t, base, exited, &output)

	token := signInOverHTTP(t, base, "wl-planner", "shuangsuiji-demo")
	var me struct {
		Me struct{ User struct{ Username string } }
	}
	postGraphQL(t, base, token, `{ me { user { username } } }`, nil, &me)
	if got, want := me.Me.User.Username, "wl-planner"; got != want {
		t.Errorf("me.user.username = %q, want %q", got, want)
	}

	// The README's first five minutes: the demo draw's public manifest
	// verifies, and GraphiQL answers at /.
	manifest := getOK(t, base+"/public/draws/1/manifest.json")
	if _, err := draw.Verify(manifest); err != nil {
		t.Errorf("the demo draw's public manifest does not verify: %v", err)
	}
	if page := getOK(t, base+"/public/draws"); !strings.Contains(string(page), "阳城县") {
		t.Errorf("/public/draws does not list the demo county's draws")
	}
	getOK(t, base+"/")

	if pid, alive := postmasterPID(pgdata); pid <= 0 || !alive {
		t.Fatalf("while serving, %s/postmaster.pid names pid %d (running %v), want the private PostgreSQL's", pgdata, pid, alive)
	}
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		t.Errorf("make run did not exit within 30 s of SIGTERM; output:\n%s", output.String())
	}
	stopped = true
	// cmd.Wait returns once the service, which shares make's output pipe,
	// has exited: by then it must have stopped its PostgreSQL.
	if pid, alive := postmasterPID(pgdata); pid != 0 {
		t.Errorf("%s/postmaster.pid is left after the service exited (pid %d, running %v): the private PostgreSQL was not stopped; output:\n%s",
			pgdata, pid, alive, output.String())
	}
	for _, want := range []string{"serving", "data folder", data, "stopped the private PostgreSQL"} {
		if !strings.Contains(output.String(), want) {
			t.Errorf("the service never logged %q; output:\n%s", want, output.String())
		}
	}
	if _, err := os.Stat(filepath.Join(clone, ".data")); err == nil {
		t.Errorf("make run made .data in the clone: the data folder must not depend on the current folder")
	}
}

// TestFreshCloneTestsItself clones the committed HEAD into an empty folder,
// with nothing beside it (no ../shared), and runs the fast path of the
// test command there without network: modules come from the module cache
// only. Test data a test needs must be committed for this to pass.
func TestFreshCloneTestsItself(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short: clones the repository and runs make test-short in the clone (minutes)")
	}
	clone := cloneHEAD(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "make", "test-short")
	cmd.Dir = clone
	cmd.Env = append(newcomerEnv(), "GOPROXY=off", "GOFLAGS=-mod=readonly", "GOTOOLCHAIN=local")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make test-short in a fresh clone: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "ok  \tshuangsuiji/internal/draw") {
		t.Errorf("make test-short did not test the draw package (its vectors):\n%s", out)
	}

	// make build's binary names the commit it was built from.
	build := exec.CommandContext(ctx, "make", "build")
	build.Dir = clone
	build.Env = cmd.Env
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	head, err := exec.Command("git", "-C", clone, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	version, err := exec.Command(filepath.Join(clone, "shuangsuiji"), "version").Output()
	if err != nil {
		t.Fatalf("shuangsuiji version: %v", err)
	}
	if !strings.Contains(string(version), "commit "+strings.TrimSpace(string(head))) {
		t.Errorf("version = %q, want it to name commit %s", version, head)
	}
}

// cloneHEAD clones the repository's committed HEAD into an empty temporary
// folder and returns the clone's path.
func cloneHEAD(t *testing.T) string {
	t.Helper()
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Fatalf("git rev-parse --show-toplevel: %v", err)
	}
	clone := filepath.Join(t.TempDir(), "shuangsuiji")
	if out, err := exec.Command("git", "clone", "--quiet", strings.TrimSpace(string(top)), clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	return clone
}

// getOK fetches url, failing unless it answers 200, and returns the body.
func getOK(t *testing.T, url string) []byte {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, res.StatusCode, err)
	}
	return body
}

// newcomerEnv is this process's environment without the settings that
// would point the clone at another database or data folder.
func newcomerEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "DATABASE_URL", "SHUANGSUIJI_DATA", "ADDR", "PG_FSYNC", "GOTMPDIR":
			continue
		}
		env = append(env, kv)
	}
	return env
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitReady polls GET /readyz until it answers 200, failing with the
// process's output if it exits first or three minutes pass (the first run
// compiles everything).
func waitReady(t *testing.T, base string, exited <-chan error, output *lockedBuffer) {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		res, err := client.Get(base + "/readyz")
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case err := <-exited:
			t.Fatalf("make run exited before /readyz answered 200 (%v); output:\n%s", err, output.String())
		case <-time.After(250 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /readyz did not answer 200 within 3 minutes (last: %v); output:\n%s", err, output.String())
		}
	}
}

// postGraphQL posts a GraphQL operation as a client would and decodes data,
// failing on any error.
func postGraphQL(t *testing.T, base, token, query string, vars map[string]any, into any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /graphql: %v", err)
	}
	defer res.Body.Close()
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		t.Fatalf("POST /graphql: status %d, decode: %v", res.StatusCode, err)
	}
	if res.StatusCode != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("POST /graphql %s: status %d, errors %+v", query, res.StatusCode, r.Errors)
	}
	if err := json.Unmarshal(r.Data, into); err != nil {
		t.Fatalf("decode data %s: %v", r.Data, err)
	}
}

func signInOverHTTP(t *testing.T, base, username, password string) string {
	t.Helper()
	var data struct {
		SignIn struct{ Token string }
	}
	postGraphQL(t, base, "", `mutation($u: String!, $p: String!) { signIn(input: {username: $u, password: $p}) { token } }`,
		map[string]any{"u": username, "p": password}, &data)
	if data.SignIn.Token == "" {
		t.Fatalf("signIn as %s: no token", username)
	}
	return data.SignIn.Token
}

// postmasterPID reads the pid of a PostgreSQL server from its data folder,
// 0 when there is no postmaster.pid, and whether that process runs.
func postmasterPID(pgdata string) (int, bool) {
	b, err := os.ReadFile(filepath.Join(pgdata, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return -1, false
	}
	err = syscall.Kill(pid, 0)
	return pid, err == nil || errors.Is(err, syscall.EPERM)
}

// stopStrayPostgres stops, by its pid, a server the service failed to stop,
// so that a failing run leaves nothing behind.
func stopStrayPostgres(t *testing.T, pgdata string) {
	t.Helper()
	pid, alive := postmasterPID(pgdata)
	if pid <= 0 || !alive {
		return
	}
	syscall.Kill(pid, syscall.SIGINT) // PostgreSQL's fast shutdown
	for range 100 {
		if _, alive := postmasterPID(pgdata); !alive {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Errorf("PostgreSQL (pid %d) of the clone did not stop", pid)
}
