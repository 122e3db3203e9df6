package roster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Workbooks are unpacked to temporary files (excelize writes large parts
// to disk). Each process keeps them under one folder of its own, named
// for its process id, so that they can be removed whatever happens: by
// Sheet.Close after each import, by RemoveTempFiles when the process shuts
// down with imports still running, and, for a process that was killed, by
// the next one's RemoveTempFiles at start.

// tempPrefix starts the name of each process's folder in os.TempDir.
const tempPrefix = "shuangsuiji-roster-"

// tempMu keeps RemoveTempFiles from removing this process's folder
// between newTempDir's making it and making a workbook's folder in it.
var tempMu sync.Mutex

// newTempDir makes a folder for one workbook's temporary files.
func newTempDir() (string, error) {
	tempMu.Lock()
	defer tempMu.Unlock()
	root := filepath.Join(os.TempDir(), tempPrefix+strconv.Itoa(os.Getpid()))
	if err := os.MkdirAll(root, 0o700); err != nil {
		return "", err
	}
	return os.MkdirTemp(root, "xlsx-")
}

// RemoveTempFiles removes the temporary files of this process's imports,
// including those still being read (which then fail), and those left
// behind by processes that no longer run. Call it at start and at
// shutdown.
func RemoveTempFiles() error {
	tempMu.Lock()
	defer tempMu.Unlock()
	dirs, err := filepath.Glob(filepath.Join(os.TempDir(), tempPrefix+"*"))
	if err != nil {
		return err
	}
	var errs []error
	for _, dir := range dirs {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(dir), tempPrefix))
		if err != nil || (pid != os.Getpid() && running(pid)) {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", dir, err))
		}
	}
	return errors.Join(errs...)
}

// running reports whether a process with the id exists (EPERM: it does,
// as another user's).
func running(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
