package postgres

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Local is a private PostgreSQL server run from the machine's own binaries
// (Debian's /usr/lib/postgresql/*/bin) in a data folder of ours. It backs
// the service when no DATABASE_URL is given, and the tests.
//
// PostgreSQL refuses to run as root, so when we are root every PostgreSQL
// program runs as the "postgres" system user, which owns the data folder.
//
// The server has one owner, the process whose pid (and start time) is in
// dir/owner: the owner stops the server on Stop. A process that finds the
// server running while its owner lives (the CLI beside the running
// service) attaches as a guest and leaves it running. One that finds it
// running with its owner gone (the service was killed) adopts it: it
// becomes the owner and stops it in the end, so that no server is left
// running forever after a crash.
type Local struct {
	Dir      string // holds pgdata/, the socket, the superuser password and the owner file
	Port     int
	password string
	bin      string
	owner    bool // we started or adopted the server, so Stop stops it
	cred     *syscall.Credential
	log      *slog.Logger
}

// StartLocal starts (initialising on first use) a PostgreSQL server whose
// files live in dir, or attaches to or adopts the one running there. It
// logs what it did to log (nil: nowhere).
func StartLocal(ctx context.Context, dir string, log *slog.Logger) (*Local, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Local{Dir: dir, log: log}
	if l.bin, err = findBinaries(); err != nil {
		return nil, err
	}
	if l.cred, err = dropRootCredential(); err != nil {
		return nil, err
	}
	if err := l.initOnce(ctx); err != nil {
		return nil, err
	}
	if port, ok := l.runningPort(); ok {
		l.Port = port
		return l, l.adoptIfOrphaned()
	}
	if err := l.start(ctx); err != nil {
		return nil, err
	}
	return l, l.claim()
}

// adoptIfOrphaned makes us the owner of a running server whose owner has
// exited.
func (l *Local) adoptIfOrphaned() error {
	previous, alive := l.ownerAlive()
	if alive {
		return nil // the owner stops it; we are a guest
	}
	if err := l.claim(); err != nil {
		return err
	}
	l.log.Info("adopted the private PostgreSQL left running by a process that exited; it stops with this one",
		"previous_owner_pid", previous, "dir", l.Dir)
	return nil
}

func (l *Local) ownerFile() string { return filepath.Join(l.Dir, "owner") }

// claim records this process as the server's owner.
func (l *Local) claim() error {
	l.owner = true
	return os.WriteFile(l.ownerFile(), []byte(processIdentity(os.Getpid())+"\n"), 0o600)
}

// ownerAlive reads the owner file: the owner's pid, and whether that very
// process (same pid and start time, so not a reused pid) still runs.
func (l *Local) ownerAlive() (pid int, alive bool) {
	b, err := os.ReadFile(l.ownerFile())
	if err != nil {
		return 0, false
	}
	recorded := strings.TrimSpace(string(b))
	pidText, _, _ := strings.Cut(recorded, " ")
	pid, err = strconv.Atoi(pidText)
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, processIdentity(pid) == recorded
}

// processIdentity is a process's pid and start time (from /proc), which
// together name it even after its pid is reused; "" when it does not run.
func processIdentity(pid int) string {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return ""
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return strconv.Itoa(pid) // no /proc: the pid alone
	}
	// Fields after the command name, which ends at the last ')': the
	// start time is field 22 of the line, the 20th after the name.
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(fields) < 20 {
		return strconv.Itoa(pid)
	}
	return strconv.Itoa(pid) + " " + fields[19]
}

// URL is a connection string for the superuser, who owns the schema.
func (l *Local) URL(database string) string {
	return fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/%s?sslmode=disable", l.password, l.Port, database)
}

// Stop stops the server if this process owns it (started or adopted it),
// and logs one line saying so.
func (l *Local) Stop() error {
	if !l.owner {
		return nil
	}
	if err := l.run(context.Background(), "pg_ctl", "stop", "-D", l.dataDir(), "-m", "fast", "-w"); err != nil {
		return err
	}
	l.owner = false
	os.Remove(l.ownerFile())
	l.log.Info("stopped the private PostgreSQL", "dir", l.Dir)
	return nil
}

func (l *Local) dataDir() string { return filepath.Join(l.Dir, "pgdata") }

// findBinaries picks the newest PostgreSQL under /usr/lib/postgresql, or
// the folder in PG_BIN, or one holding initdb on PATH.
func findBinaries() (string, error) {
	if dir := os.Getenv("PG_BIN"); dir != "" {
		return dir, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no PostgreSQL binaries found: install Debian's postgresql package, set PG_BIN, or set DATABASE_URL")
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// dropRootCredential returns the postgres user's credential when we run as
// root, since initdb and postgres refuse root.
func dropRootCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs the postgres system user to run PostgreSQL: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (l *Local) passwordFile() string { return filepath.Join(l.Dir, "superuser-password") }

// initOnce creates the cluster the first time, with a random superuser
// password: the server listens on loopback only, but other local users must
// not get in as superuser.
func (l *Local) initOnce(ctx context.Context) error {
	if pw, err := os.ReadFile(l.passwordFile()); err == nil {
		if _, err := os.Stat(filepath.Join(l.dataDir(), "PG_VERSION")); err == nil {
			l.password = strings.TrimSpace(string(pw))
			return nil
		}
	}
	// Parents we create are traversable (not listable) by others, so the
	// postgres user can reach its folder; the folder itself becomes its own.
	if err := os.MkdirAll(filepath.Dir(l.Dir), 0o711); err != nil {
		return err
	}
	if err := os.MkdirAll(l.Dir, 0o700); err != nil {
		return err
	}
	if err := l.checkReachable(); err != nil {
		return err
	}
	_ = os.RemoveAll(l.dataDir())
	l.password = randomHex(16)
	pwfile := filepath.Join(l.Dir, "initdb-pwfile")
	if err := os.WriteFile(pwfile, []byte(l.password+"\n"), 0o600); err != nil {
		return err
	}
	defer os.Remove(pwfile)
	if err := l.chown(l.Dir, pwfile); err != nil {
		return err
	}
	err := l.run(ctx, "initdb", "-D", l.dataDir(), "-U", "postgres", "--pwfile", pwfile,
		"--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8")
	if err != nil {
		return err
	}
	return os.WriteFile(l.passwordFile(), []byte(l.password+"\n"), 0o600)
}

// runningPort reports the port of a live server for our data folder, read
// from postmaster.pid (line 4), and whether one answers there.
func (l *Local) runningPort() (int, bool) {
	f, err := os.Open(filepath.Join(l.dataDir(), "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	var lines []string
	for s := bufio.NewScanner(f); s.Scan(); {
		lines = append(lines, s.Text())
	}
	if len(lines) < 4 {
		return 0, false
	}
	port, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	if err != nil {
		return 0, false
	}
	conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
	if err != nil {
		return 0, false
	}
	conn.Close()
	return port, true
}

func (l *Local) start(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	l.Port = port
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s -c max_connections=200 -c fsync=%s",
		port, l.Dir, fsyncSetting())
	err = l.run(ctx, "pg_ctl", "start", "-w", "-t", "60", "-D", l.dataDir(), "-o", opts,
		"-l", filepath.Join(l.Dir, "postgres.log"))
	if err != nil {
		return err
	}
	return nil
}

// fsyncSetting keeps fsync on for the service's data; PG_FSYNC=off speeds up
// throwaway test clusters.
func fsyncSetting() string {
	if os.Getenv("PG_FSYNC") == "off" {
		return "off"
	}
	return "on"
}

// checkReachable fails clearly when the postgres system user could not
// enter the folder because a parent folder is closed to others (a clone
// inside a private temporary folder, say).
func (l *Local) checkReachable() error {
	if l.cred == nil {
		return nil
	}
	for dir := filepath.Dir(l.Dir); ; dir = filepath.Dir(dir) {
		info, err := os.Stat(dir)
		if err != nil {
			return err
		}
		st, _ := info.Sys().(*syscall.Stat_t)
		if info.Mode().Perm()&0o001 == 0 && (st == nil || st.Uid != l.cred.Uid) {
			return fmt.Errorf("the postgres system user cannot enter %s (mode %v), so PostgreSQL cannot use %s: allow it (chmod o+x %s) or set SHUANGSUIJI_DATA to another folder", dir, info.Mode().Perm(), l.Dir, dir)
		}
		if dir == "/" {
			return nil
		}
	}
}

func (l *Local) chown(paths ...string) error {
	if l.cred == nil {
		return nil
	}
	for _, p := range paths {
		if err := os.Chown(p, int(l.cred.Uid), int(l.cred.Gid)); err != nil {
			return err
		}
	}
	return nil
}

func (l *Local) run(ctx context.Context, program string, args ...string) error {
	cmd := exec.CommandContext(ctx, filepath.Join(l.bin, program), args...)
	cmd.Dir = l.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
	if l.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: l.cred}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", program, err, out)
	}
	return nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
