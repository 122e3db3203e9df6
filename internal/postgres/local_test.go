package postgres

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ownerDirEnv tells the test binary, run again as a child, to be the
// owner process of TestLocalAdoptsOrphanedServer.
const ownerDirEnv = "SHUANGSUIJI_TEST_LOCAL_OWNER_DIR"

// TestLocalOwnerProcess is the child process of
// TestLocalAdoptsOrphanedServer, not a test of its own: it starts the
// server, says "ready PORT" and waits to be killed.
func TestLocalOwnerProcess(t *testing.T) {
	dir := os.Getenv(ownerDirEnv)
	if dir == "" {
		t.Skip("the owner process of TestLocalAdoptsOrphanedServer")
	}
	l, err := StartLocal(context.Background(), dir, nil)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Printf("ready %d\n", l.Port)
	time.Sleep(5 * time.Minute) // until killed
}

// TestLocalAdoptsOrphanedServer kills (SIGKILL) a process that started
// the private server: the next StartLocal adopts the server left running
// and stops it on Stop, while a guest beside a living owner never stops it.
func TestLocalAdoptsOrphanedServer(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short: starts a PostgreSQL server of its own")
	}
	dir := openTempDir(t)
	port := startOwnerAndKill(t, dir)
	t.Cleanup(func() { stopIfRunning(t, dir) })
	if !answers(port) {
		t.Fatalf("the server on port %d died with its owner: nothing to adopt", port)
	}

	var logs bytes.Buffer
	l, err := StartLocal(context.Background(), dir, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if l.Port != port || !strings.Contains(logs.String(), "adopted the private PostgreSQL") {
		t.Fatalf("StartLocal after the owner died: port %d (server's %d), log %q; want the running server adopted", l.Port, port, logs.String())
	}

	guest, err := StartLocal(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := guest.Stop(); err != nil {
		t.Fatal(err)
	}
	if !answers(port) {
		t.Fatal("a guest's Stop stopped the server its living owner runs")
	}

	logs.Reset()
	if err := l.Stop(); err != nil {
		t.Fatal(err)
	}
	if answers(port) {
		t.Errorf("the adopted server still answers on port %d after Stop", port)
	}
	if _, err := os.Stat(filepath.Join(dir, "pgdata", "postmaster.pid")); err == nil {
		t.Error("postmaster.pid is left after Stop")
	}
	if got := strings.Count(logs.String(), "\n"); got != 1 || !strings.Contains(logs.String(), "stopped the private PostgreSQL") {
		t.Errorf("Stop logged %q, want one line saying it stopped the server", logs.String())
	}
}

// openTempDir is a temporary folder the postgres system user may enter
// (when we are root, PostgreSQL runs as that user).
func openTempDir(t *testing.T) string {
	t.Helper()
	tmp := t.TempDir()
	for _, d := range []string{filepath.Dir(tmp), tmp} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(tmp, "pg")
}

// startOwnerAndKill runs this test binary as the owner process, waits
// until its server is up and kills it with SIGKILL, which leaves no
// chance to stop the server. It returns the server's port.
func startOwnerAndKill(t *testing.T, dir string) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLocalOwnerProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), ownerDirEnv+"="+dir, "PG_FSYNC=off")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	var port int
	for s := bufio.NewScanner(out); s.Scan(); {
		if _, err := fmt.Sscanf(s.Text(), "ready %d", &port); err == nil {
			return port
		}
		if strings.HasPrefix(s.Text(), "error:") {
			t.Fatalf("owner process: %s", s.Text())
		}
	}
	t.Fatal("the owner process exited without starting the server")
	return 0
}

func answers(port int) bool {
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// stopIfRunning stops a server a failed test left running.
func stopIfRunning(t *testing.T, dir string) {
	if _, err := os.Stat(filepath.Join(dir, "pgdata", "postmaster.pid")); err != nil {
		return
	}
	l, err := StartLocal(context.Background(), dir, nil)
	if err == nil {
		l.owner = true
		l.Stop()
	}
}
