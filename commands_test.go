package main

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
)

// TestHelpListsEverything: the overview names every command with its line
// and every environment variable the binary's code reads.
func TestHelpListsEverything(t *testing.T) {
	vars := environmentVariablesRead(t)
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(args, &out, &errOut); code != 0 || errOut.Len() != 0 {
				t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, errOut.String())
			}
			for _, c := range commands {
				if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(c.name) + ` +` + regexp.QuoteMeta(c.summary) + `$`).MatchString(out.String()) {
					t.Errorf("help lacks the line of %s:\n%s", c.name, out.String())
				}
			}
			for _, v := range vars {
				if !strings.Contains(out.String(), v) {
					t.Errorf("help does not mention %s, which the code reads:\n%s", v, out.String())
				}
			}
		})
	}
}

// environmentVariablesRead finds the variables the binary's own code reads
// (tests and test helpers aside).
func environmentVariablesRead(t *testing.T) []string {
	t.Helper()
	files, err := exec.Command("git", "ls-files", "*.go").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	read := regexp.MustCompile(`(?i)(?:Getenv|LookupEnv)\("([A-Z_]+)"\)`)
	seen := map[string]bool{}
	var vars []string
	for _, f := range strings.Fields(string(files)) {
		if strings.HasSuffix(f, "_test.go") || strings.HasPrefix(f, "internal/browser/") || strings.HasPrefix(f, "internal/postgres/testdb/") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range read.FindAllStringSubmatch(string(src), -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				vars = append(vars, m[1])
			}
		}
	}
	for _, want := range []string{"DATABASE_URL", "ADDR", "SHUANGSUIJI_DATA", "PG_BIN", "PG_FSYNC", "XDG_DATA_HOME"} {
		if !seen[want] {
			t.Fatalf("found %v in the code, not %s: the search is broken", vars, want)
		}
	}
	return vars
}

// TestEveryCommandHelp: each command answers --help (and -h, and help
// NAME) with its usage on stdout and exit 0, touching no database and
// creating no file, wherever it is run.
func TestEveryCommandHelp(t *testing.T) {
	work := t.TempDir()
	t.Chdir(work)
	data := filepath.Join(work, "data")
	t.Setenv("SHUANGSUIJI_DATA", data)
	t.Setenv("XDG_DATA_HOME", filepath.Join(work, "xdg"))
	t.Setenv("HOME", filepath.Join(work, "home"))
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	for _, c := range commands {
		for _, args := range [][]string{{c.name, "--help"}, {c.name, "-h"}, {"help", c.name}, {c.name, "--bureau", "x", "--help"}} {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				var out, errOut bytes.Buffer
				if code := run(args, &out, &errOut); code != 0 || errOut.Len() != 0 {
					t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, errOut.String())
				}
				if want := "usage: shuangsuiji " + c.name; !strings.HasPrefix(out.String(), want) {
					t.Errorf("stdout = %q, want it to begin %q", out.String(), want)
				}
			})
		}
	}
	t.Run("FlagsListed", func(t *testing.T) {
		var out bytes.Buffer
		run([]string{"import", "--help"}, &out, &out)
		for _, flag := range []string{"-bureau", "-kind", "-dry-run"} {
			if !strings.Contains(out.String(), flag) {
				t.Errorf("import --help lacks %s:\n%s", flag, out.String())
			}
		}
	})
	err := filepath.WalkDir(work, func(path string, d fs.DirEntry, err error) error {
		if path != work {
			return errors.New(path)
		}
		return err
	})
	if err != nil {
		t.Errorf("--help created %v; want nothing", err)
	}
}

func TestCommandsRefuseStrayArguments(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	for _, args := range [][]string{{"migrate", "now"}, {"seed", "--yes"}, {"verify-audit", "all"}, {"version", "x"}, {"help", "frobnicate"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := run(args, &out, &errOut); code != 2 {
				t.Errorf("exit %d, want 2 (misused); stderr %q", code, errOut.String())
			}
			if out.Len() != 0 {
				t.Errorf("stdout = %q, want nothing", out.String())
			}
		})
	}
}

func TestDataDir(t *testing.T) {
	home := func() (string, error) { return "/home/li", nil }
	noHome := func() (string, error) { return "", errors.New("$HOME is not defined") }
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	tests := []struct {
		name    string
		getenv  func(string) string
		euid    int
		home    func() (string, error)
		want    string
		wantErr bool
	}{
		{"OKHome", env(), 1000, home, "/home/li/.local/share/shuangsuiji", false},
		{"OKXDG", env("XDG_DATA_HOME", "/srv/xdg"), 1000, home, "/srv/xdg/shuangsuiji", false},
		{"OKRelativeXDGIgnored", env("XDG_DATA_HOME", "xdg"), 1000, home, "/home/li/.local/share/shuangsuiji", false},
		{"OKOverride", env("SHUANGSUIJI_DATA", "/data/s", "XDG_DATA_HOME", "/srv/xdg"), 0, home, "/data/s", false},
		{"OKRoot", env("XDG_DATA_HOME", "/root/.local/share"), 0, home, "/var/lib/shuangsuiji", false},
		{"ErrNoHome", env(), 1000, noHome, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := dataDirFrom(tt.getenv, tt.euid, tt.home)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("dataDir = %q, %v; want %q (error %v)", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"version"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !strings.HasPrefix(out.String(), "shuangsuiji ") || !strings.Contains(out.String(), "go1.") {
		t.Errorf("version = %q, want the module path and the Go version", out.String())
	}
	info := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "shuangsuiji", Version: "v1.2.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "96ea254"}, {Key: "vcs.time", Value: "2026-12-01T10:40:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	if got, want := versionLine(info), "shuangsuiji v1.2.0 commit 96ea254 (2026-12-01T10:40:00Z, with uncommitted changes) go1.26.0"; got != want {
		t.Errorf("versionLine = %q, want %q", got, want)
	}
}
