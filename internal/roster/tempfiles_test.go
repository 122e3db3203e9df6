package roster

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestRemoveTempFiles: a workbook still open at shutdown, and what a
// killed process left, are removed; another running process's are not.
func TestRemoveTempFiles(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	var tmpl bytes.Buffer
	if err := WriteTemplate(&tmpl, KindEntities, FormatXLSX); err != nil {
		t.Fatal(err)
	}
	s, err := OpenSheet(bytes.NewReader(tmpl.Bytes()), "open.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	open := s.(*xlsxSheet).dir
	dead := filepath.Join(os.TempDir(), tempPrefix+"999999999") // no process has this id
	alive := filepath.Join(os.TempDir(), tempPrefix+strconv.Itoa(os.Getppid()))
	for _, d := range []string{dead, alive} {
		if err := os.MkdirAll(filepath.Join(d, "xlsx-1"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := RemoveTempFiles(); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{open, dead} {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s is still there (%v)", d, err)
		}
	}
	if _, err := os.Stat(alive); err != nil {
		t.Errorf("the folder of a running process was removed: %v", err)
	}
	s.Close()
	// Imports go on after a removal.
	s, err = OpenSheet(bytes.NewReader(tmpl.Bytes()), "again.xlsx")
	if err != nil {
		t.Fatalf("open after removal: %v", err)
	}
	s.Close()
}
