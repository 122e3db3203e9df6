package draw

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// sharedVectorsDir is where the published vectors sit when the repository is
// checked out beside the project's shared folder.
var sharedVectorsDir = filepath.Join("..", "..", "..", "shared", "draw-vectors")

// TestVectorsCopyMatchesShared fails when the repository's copy of the test
// vectors differs from the published ones, file for file and byte for byte.
// A clone with nothing beside it has no published folder to compare with and
// says so; the copy itself is still tested by TestVectorsReproduced.
func TestVectorsCopyMatchesShared(t *testing.T) {
	if _, err := os.Stat(sharedVectorsDir); err != nil {
		t.Skipf("no published vectors at %s to compare the copy with", sharedVectorsDir)
	}
	shared, copied := vectorFiles(t, sharedVectorsDir), vectorFiles(t, vectorsDir(t))
	for name, want := range shared {
		got, ok := copied[name]
		switch {
		case !ok:
			t.Errorf("%s is published but missing from testdata/vectors", name)
		case !bytes.Equal(got, want):
			t.Errorf("testdata/vectors/%s differs from the published file: copy it again", name)
		}
	}
	for name := range copied {
		if _, ok := shared[name]; !ok {
			t.Errorf("testdata/vectors/%s is not a published vector", name)
		}
	}
}

// vectorFiles reads every file under dir, keyed by its slash-separated path.
func vectorFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		files[filepath.ToSlash(rel)], err = os.ReadFile(path)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}
