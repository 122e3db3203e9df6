// Package audit is the audit trail: every mutation writes, in the same
// transaction as its change, one Entry naming who did what to which object
// in which bureau, with the object's state before and after.
//
// Entries of a bureau form a hash chain: each entry's Hash covers its own
// fields and the previous entry's hash, so changing or removing a row
// behind the server's back breaks the chain at that row, and VerifyChain
// names it.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/page"
)

// Genesis is the previous hash of a bureau's first entry.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Change is what a mutation tells the trail: the action ("member.add"),
// the object, and its state before and after (nil when it did not exist).
type Change struct {
	Action     string
	ObjectType string
	ObjectID   string
	Before     any
	After      any
}

// Entry is one row of a bureau's trail.
type Entry struct {
	BureauID      int64           `db:"bureau_id"`
	Seq           int64           `db:"seq"`
	ActorID       *int64          `db:"actor_id"`
	ActorUsername string          `db:"actor_username"`
	Action        string          `db:"action"`
	ObjectType    string          `db:"object_type"`
	ObjectID      string          `db:"object_id"`
	Before        json.RawMessage `db:"-"`
	After         json.RawMessage `db:"-"`
	At            time.Time       `db:"at"`
	PrevHash      string          `db:"prev_hash"`
	Hash          string          `db:"hash"`
}

// NewEntry turns a change by the actor into the next entry of the chain
// whose last link is (seq, prevHash). At is truncated to microseconds, the
// precision PostgreSQL keeps, so the hash survives the round trip.
func NewEntry(actorID int64, actorUsername string, bureauID, seq int64, prevHash string, c Change, at time.Time) (Entry, error) {
	before, err := marshalState(c.Before)
	if err != nil {
		return Entry{}, err
	}
	after, err := marshalState(c.After)
	if err != nil {
		return Entry{}, err
	}
	e := Entry{
		BureauID: bureauID, Seq: seq, ActorUsername: actorUsername,
		Action: c.Action, ObjectType: c.ObjectType, ObjectID: c.ObjectID,
		Before: before, After: after, At: at.UTC().Truncate(time.Microsecond), PrevHash: prevHash,
	}
	if actorID != 0 {
		e.ActorID = &actorID
	}
	e.Hash = e.ComputeHash()
	return e, nil
}

func marshalState(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("audit state: %w", err)
	}
	return b, nil
}

// ComputeHash is SHA-256 over the length-prefixed fields of the entry and
// the previous hash, in lowercase hex.
func (e Entry) ComputeHash() string {
	actor := ""
	if e.ActorID != nil {
		actor = strconv.FormatInt(*e.ActorID, 10)
	}
	h := sha256.New()
	for _, f := range []string{
		"shuangsuiji-audit/v1", e.PrevHash, strconv.FormatInt(e.BureauID, 10), strconv.FormatInt(e.Seq, 10),
		actor, e.ActorUsername, e.Action, e.ObjectType, e.ObjectID,
		string(e.Before), string(e.After), strconv.FormatInt(e.At.UnixMicro(), 10),
	} {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// BrokenError names the first entry at which a chain does not hold.
type BrokenError struct {
	BureauID int64
	Seq      int64
	Reason   string
}

func (e *BrokenError) Error() string {
	return fmt.Sprintf("audit chain of bureau %d broken at entry %d: %s", e.BureauID, e.Seq, e.Reason)
}

// Chain checks one bureau's entries, given in seq order, as they are fed
// to Next; Close checks the chain ends at the recorded head.
type Chain struct {
	bureauID int64
	seq      int64
	hash     string
}

// NewChain starts checking the chain of a bureau.
func NewChain(bureauID int64) *Chain { return &Chain{bureauID: bureauID, hash: Genesis} }

// Next checks the entry that should follow the ones seen so far.
func (c *Chain) Next(e Entry) error {
	broken := func(seq int64, format string, args ...any) error {
		return &BrokenError{BureauID: c.bureauID, Seq: seq, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case e.Seq != c.seq+1:
		return broken(c.seq+1, "entry is missing (next present is %d)", e.Seq)
	case e.PrevHash != c.hash:
		return broken(e.Seq, "previous hash does not match entry %d", c.seq)
	case e.ComputeHash() != e.Hash:
		return broken(e.Seq, "contents were changed (hash does not match)")
	}
	c.seq, c.hash = e.Seq, e.Hash
	return nil
}

// Close checks that the chain ends where the bureau's head says it ends,
// so removing or rewriting the last entries is noticed too.
func (c *Chain) Close(headSeq int64, headHash string) error {
	broken := func(seq int64, format string, args ...any) error {
		return &BrokenError{BureauID: c.bureauID, Seq: seq, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case c.seq < headSeq:
		return broken(c.seq+1, "entries %d to %d are missing (the head records %d)", c.seq+1, headSeq, headSeq)
	case c.seq > headSeq:
		return broken(headSeq+1, "entries after %d are not recorded by the head", headSeq)
	case c.hash != headHash:
		return broken(c.seq, "entry does not match the head's hash (rewritten)")
	}
	return nil
}

// Filter narrows the trail; empty fields match everything.
type Filter struct {
	Action     string
	ObjectType string
	ObjectID   string
	Actor      string // username
	From, To   *time.Time
}

// Store reads a bureau's trail, newest first.
type Store interface {
	ListAudit(ctx context.Context, actor *authz.Actor, f Filter, p page.Request) ([]Entry, error)
	// CountAudit counts every page of ListAudit.
	CountAudit(ctx context.Context, actor *authz.Actor, f Filter) (int, error)
}

// Service answers questions about the trail.
type Service struct {
	Store Store
	Authz *authz.Enforcer
}

// List returns the acting bureau's entries matching f, newest first.
// Leaders and admins only (audit:read): FORBIDDEN otherwise.
func (s *Service) List(ctx context.Context, f Filter, p page.Request) (*page.Connection[Entry], error) {
	actor, err := s.Authz.Require(ctx, "audit:read")
	if err != nil {
		return nil, err
	}
	if err := p.CheckKeys(page.IsID); err != nil {
		return nil, err
	}
	rows, err := s.Store.ListAudit(ctx, actor, f, p)
	if err != nil {
		return nil, err
	}
	return page.New(rows, p, func(e Entry) string { return strconv.FormatInt(e.Seq, 10) }).Counted(func(ctx context.Context) (int, error) {
		return s.Store.CountAudit(ctx, actor, f)
	}), nil
}
