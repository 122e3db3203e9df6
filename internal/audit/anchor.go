package audit

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// An anchor pins a bureau's chain from outside the database. The chain
// alone cannot tell that its newest entries were deleted and its head
// rewound to match: what is left is a valid chain. So the head of every
// bureau's chain is signed with an Ed25519 key kept outside the database
// and exported, on a schedule and on demand, to a file outside it too;
// verify-audit then checks that each chain still holds the anchored entry
// with the anchored hash.

// Head is the last link of a bureau's chain.
type Head struct {
	BureauID int64  `json:"bureau_id"`
	Bureau   string `json:"bureau"` // its code, for people reading the file
	Seq      int64  `json:"seq"`
	Hash     string `json:"hash"`
}

// Anchor is a head signed at a time.
type Anchor struct {
	Head
	At        time.Time `json:"at"`
	Signature string    `json:"signature"` // base64 Ed25519 over Message()
}

// Anchors is the exported file: every bureau's latest anchor and the
// public key that checks them.
type Anchors struct {
	PublicKey string   `json:"public_key"` // base64
	Anchors   []Anchor `json:"anchors"`
}

// Message is what an anchor's signature covers.
func (a Anchor) Message() []byte {
	return []byte(strings.Join([]string{"shuangsuiji-audit-anchor/v1", strconv.FormatInt(a.BureauID, 10),
		strconv.FormatInt(a.Seq, 10), a.Hash, a.At.UTC().Format(time.RFC3339Nano)}, "\n"))
}

// Sign anchors the heads at time at.
func Sign(key ed25519.PrivateKey, heads []Head, at time.Time) Anchors {
	out := Anchors{PublicKey: base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))}
	for _, h := range heads {
		a := Anchor{Head: h, At: at.UTC()}
		a.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(key, a.Message()))
		out.Anchors = append(out.Anchors, a)
	}
	return out
}

// Verify checks every anchor's signature under pub (the key's public
// half, known to the verifier; the file's own key is only a hint).
func (as Anchors) Verify(pub ed25519.PublicKey) error {
	if got := base64.StdEncoding.EncodeToString(pub); as.PublicKey != got {
		return fmt.Errorf("anchors were signed by key %s, not by the audit key %s", as.PublicKey, got)
	}
	for _, a := range as.Anchors {
		sig, err := base64.StdEncoding.DecodeString(a.Signature)
		if err != nil || !ed25519.Verify(pub, a.Message(), sig) {
			return fmt.Errorf("anchor of bureau %d (entry %d) has no valid signature", a.BureauID, a.Seq)
		}
	}
	return nil
}

// CheckHead checks a bureau's chain against its anchor, given the chain's
// verified head and the hash of the chain's entry at the anchored seq
// ("" when there is none): the chain must reach the anchored entry with
// the anchored hash.
func (a Anchor) CheckHead(head Head, hashAtSeq string) error {
	broken := func(format string, args ...any) error {
		return &BrokenError{BureauID: a.BureauID, Seq: a.Seq, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case head.Seq < a.Seq:
		return broken("the chain ends at entry %d but the head exported at %s reached %d: entries were deleted and the head rewound",
			head.Seq, a.At.Format(time.RFC3339), a.Seq)
	case hashAtSeq != a.Hash:
		return broken("entry does not match the head exported at %s (rewritten)", a.At.Format(time.RFC3339))
	}
	return nil
}

// LoadKey reads the Ed25519 signing key from path (its 32-byte seed,
// base64), creating it, readable by the owner only, when there is none.
func LoadKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKey(path)
	}
	if err != nil {
		return nil, err
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("audit key %s: want the base64 of a %d-byte Ed25519 seed", path, ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

func createKey(path string) (ed25519.PrivateKey, error) {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) { // another process made it first
		return LoadKey(path)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(seed) + "\n"); err != nil {
		return nil, err
	}
	return ed25519.NewKeyFromSeed(seed), f.Sync()
}

// WriteAnchors replaces the file at path with as, atomically (a reader
// sees the old file or the new one). A bureau anchored before but absent
// from as keeps its old anchor: an export never forgets a head.
func WriteAnchors(path string, as Anchors) error {
	if old, err := ReadAnchors(path); err == nil && old.PublicKey == as.PublicKey {
		for _, a := range old.Anchors {
			if !slices.ContainsFunc(as.Anchors, func(n Anchor) bool { return n.BureauID == a.BureauID }) {
				as.Anchors = append(as.Anchors, a)
			}
		}
	}
	slices.SortFunc(as.Anchors, func(a, b Anchor) int { return int(a.BureauID - b.BureauID) })
	b, err := json.MarshalIndent(as, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".anchors-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// ReadAnchors reads an exported anchors file.
func ReadAnchors(path string) (Anchors, error) {
	var as Anchors
	b, err := os.ReadFile(path)
	if err != nil {
		return as, err
	}
	if err := json.Unmarshal(b, &as); err != nil {
		return as, fmt.Errorf("anchors file %s: %w", path, err)
	}
	return as, nil
}
