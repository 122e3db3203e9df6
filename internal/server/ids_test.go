package server_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
)

// globalID writes the global id (graph/node.go) of an object from its
// database key, as the server does: for tests that start from the database.
func globalID(typ string, key ...any) string {
	s := typ
	for _, k := range key {
		s += fmt.Sprintf(":%v", k)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

// databaseID reads the first part of a global id's key (the database id of
// draws, inspectors and the like), for tests that go to the database or to
// public URLs.
func databaseID(t *testing.T, id string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil {
		t.Fatalf("id %q is no global id: %v", id, err)
	}
	_, key, ok := strings.Cut(string(raw), ":")
	if !ok {
		t.Fatalf("id %q decodes to %q, not Type:key", id, raw)
	}
	first, _, _ := strings.Cut(key, ":")
	return first
}
