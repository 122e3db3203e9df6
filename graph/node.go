package graph

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"shuangsuiji/graph/model"
	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
	"shuangsuiji/internal/page"
)

// Global object identification (Relay): every object a client refetches
// has an `id` that names it among all objects of all types, and
// `node(id:)` finds it again. A global id is the type's name and the
// object's key, "Draw:17" or "Plan:3:2026", in unpadded base64url, so that
// clients treat it as opaque. Keys of objects that are numbered per bureau
// (plans by year, items by code, members by username) carry the bureau's
// id, since the same key names another object in another bureau. The last
// part of a key may hold colons (codes and usernames are free text).
//
// A global id is resolved through the same service method as the type's
// own query, so permissions and tenancy are the service's: another
// bureau's object answers NOT_FOUND. An id that is malformed, or of
// another type than expected, names no object and answers NOT_FOUND too.

// Type names that global ids begin with.
const (
	nodeUser             = "User"
	nodeBureau           = "Bureau"
	nodeMember           = "Member"
	nodeMemberInvitation = "MemberInvitation"
	nodeDraw             = "Draw"
	nodeDrawTask         = "DrawTask"
	nodeJointVisit       = "JointVisit"
	nodePlan             = "Plan"
	nodeInspector        = "Inspector"
	nodeConflict         = "Conflict"
	nodeInspectionItem   = "InspectionItem"
	nodeEntity           = "Entity"
	nodeRecord           = "InspectionRecord"
	nodeTask             = "InspectionTask"
	nodeEvidence         = "Evidence"
)

// maxNodes bounds nodes(ids:), as page.MaxSize bounds a page.
const maxNodes = 100

// globalID writes the global id of the object of type typ with key parts.
func globalID(typ string, key ...any) string {
	var b strings.Builder
	b.WriteString(typ)
	for _, k := range key {
		b.WriteByte(':')
		fmt.Fprint(&b, k)
	}
	return base64.RawURLEncoding.EncodeToString([]byte(b.String()))
}

// decodeID returns the type and key parts of a global id; ok is false when
// id is not one.
func decodeID(id string) (typ string, key []string, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(id)
	if err != nil {
		return "", nil, false
	}
	typ, rest, found := strings.Cut(string(raw), ":")
	if !found || typ == "" {
		return "", nil, false
	}
	n, known := keyParts[typ]
	if !known {
		return "", nil, false
	}
	key = strings.SplitN(rest, ":", n)
	if len(key) != n {
		return "", nil, false
	}
	return typ, key, true
}

// keyParts is how many parts each type's key has.
var keyParts = map[string]int{
	nodeUser: 1, nodeBureau: 1, nodeMember: 2, nodeDraw: 1, nodeDrawTask: 2, nodeJointVisit: 3,
	nodePlan: 2, nodeInspector: 1, nodeConflict: 2, nodeInspectionItem: 3, nodeEntity: 3,
	nodeRecord: 1, nodeTask: 2, nodeEvidence: 1, nodeMemberInvitation: 1,
}

// keyOf returns the key parts of a global id of type typ, or ok false.
func keyOf(id, typ string) ([]string, bool) {
	got, key, ok := decodeID(id)
	if !ok || got != typ {
		return nil, false
	}
	return key, true
}

// numberOf reads the database id of a one-number key of type typ. An id
// that is not one reads as -1, which names no object: the service answers
// it, after its permission check, as it answers any unknown id.
func numberOf(id, typ string) int64 {
	key, ok := keyOf(id, typ)
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(key[0], 10, 64)
	if err != nil || n <= 0 {
		return -1
	}
	return n
}

// numbers reads key parts that are numbers.
func numbers(parts ...string) ([]int64, bool) {
	out := make([]int64, len(parts))
	for i, p := range parts {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return nil, false
		}
		out[i] = n
	}
	return out, true
}

func notFound(id string) error { return errs.NotFoundf("no object with id %q", id) }

// otherBureau reports whether a key's bureau is not the acting one: such
// an object does not exist for the caller. Without an actor the service
// call that follows answers UNAUTHENTICATED or FORBIDDEN.
func otherBureau(ctx context.Context, bureauID int64) bool {
	a, ok := authz.ActorFrom(ctx)
	return ok && a.BureauID != bureauID
}

// node finds the object a global id names.
func (r *queryResolver) node(ctx context.Context, id string) (model.Node, error) {
	typ, key, ok := decodeID(id)
	if !ok {
		return nil, notFound(id)
	}
	n, err := r.nodeOf(ctx, typ, key)
	if errs.KindOf(err) == errs.NotFound {
		return nil, notFound(id) // the same answer, whatever was missing
	}
	if err != nil {
		return nil, err
	}
	return n, nil
}

func (r *queryResolver) nodeOf(ctx context.Context, typ string, key []string) (model.Node, error) {
	if typ == nodeMember || typ == nodeInspectionItem || typ == nodeConflict || typ == nodeEntity {
		return r.keyedNode(ctx, typ, key)
	}
	nums, ok := numbers(key...)
	if !ok {
		return nil, errs.NotFoundf("malformed key")
	}
	switch typ {
	case nodeUser:
		return r.Bureaus.User(ctx, nums[0])
	case nodeBureau:
		return r.Bureaus.Bureau(ctx, nums[0])
	case nodeMemberInvitation:
		return r.Bureaus.Invitation(ctx, nums[0])
	case nodeDraw:
		return r.Resolver.Draws.Get(ctx, nums[0])
	case nodeDrawTask:
		return r.drawTask(ctx, nums[0], int(nums[1]))
	case nodeJointVisit:
		return r.jointVisit(ctx, nums[0], int(nums[1]), int(nums[2]))
	case nodePlan:
		if otherBureau(ctx, nums[0]) {
			return nil, errs.NotFoundf("another bureau's plan")
		}
		return r.Planning.Plan(ctx, int(nums[1]))
	case nodeInspector:
		return r.Roster.Inspector(ctx, nums[0])
	case nodeRecord:
		return r.Records.Record(ctx, nums[0])
	case nodeTask:
		return r.Records.Task(ctx, nums[0], int(nums[1]))
	case nodeEvidence:
		return r.Records.Evidence(ctx, nums[0])
	}
	return nil, errs.NotFoundf("no type %q", typ)
}

// keyedNode finds the objects whose keys hold text.
func (r *queryResolver) keyedNode(ctx context.Context, typ string, key []string) (model.Node, error) {
	switch typ {
	case nodeMember: // bureau, username
		bureauID, ok := numbers(key[0])
		if !ok || otherBureau(ctx, bureauID[0]) {
			return nil, errs.NotFoundf("another bureau's member")
		}
		return r.Bureaus.Member(ctx, key[1])
	case nodeInspectionItem: // bureau, version, code
		nums, ok := numbers(key[0], key[1])
		if !ok || otherBureau(ctx, nums[0]) {
			return nil, errs.NotFoundf("another bureau's item")
		}
		version := int(nums[1])
		return r.Roster.Item(ctx, key[2], &version)
	case nodeConflict: // id, inspector
		nums, ok := numbers(key...)
		if !ok {
			return nil, errs.NotFoundf("malformed key")
		}
		return r.conflict(ctx, nums[0], nums[1])
	case nodeEntity: // version, valid from (µs), code
		nums, ok := numbers(key[0], key[1])
		if !ok {
			return nil, errs.NotFoundf("malformed key")
		}
		return r.entityVersion(ctx, key[2], int(nums[0]), time.UnixMicro(nums[1]))
	}
	return nil, errs.NotFoundf("no type %q", typ)
}

// drawTask reads task seq of a draw: the page of one task that follows
// seq-1 (the tasks' cursor is their seq).
func (r *queryResolver) drawTask(ctx context.Context, drawID int64, seq int) (model.Node, error) {
	c, err := r.Resolver.Draws.Tasks(ctx, drawID, page.Request{First: 1, After: page.Cursor(strconv.Itoa(seq - 1))})
	if err != nil {
		return nil, err
	}
	if len(c.Edges) == 0 || c.Edges[0].Node.Seq != seq {
		return nil, errs.NotFoundf("no task %d in draw %d", seq, drawID)
	}
	return c.Edges[0].Node, nil
}

// jointVisit reads a proposal by its id; the year and quarter of its
// key must be its own.
func (r *queryResolver) jointVisit(ctx context.Context, id int64, year, quarter int) (model.Node, error) {
	v, err := r.Resolver.Draws.JointVisit(ctx, id)
	if err != nil {
		return nil, err
	}
	if v.Year != year || v.Quarter != quarter {
		return nil, errs.NotFoundf("no joint visit %d in %d Q%d", id, year, quarter)
	}
	return v, nil
}

// conflict reads a conflict by its id, withdrawn or not; the inspector of
// its key must be its own.
func (r *queryResolver) conflict(ctx context.Context, id, inspectorID int64) (model.Node, error) {
	c, err := r.Roster.Conflict(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.InspectorID != inspectorID {
		return nil, errs.NotFoundf("no conflict %d of inspector %d", id, inspectorID)
	}
	return c, nil
}

// entityVersion reads the version of an entity that took effect at
// validFrom, as the entity query reads it as of that instant.
func (r *queryResolver) entityVersion(ctx context.Context, code string, version int, validFrom time.Time) (model.Node, error) {
	e, err := r.Roster.Entity(ctx, code, &validFrom)
	if err != nil {
		return nil, err
	}
	if e.Version != version {
		return nil, errs.NotFoundf("no version %d of entity %s", version, code)
	}
	return e, nil
}

// nodes resolves each id; one not found is null in its place, with a
// NOT_FOUND error naming its position, and the others still answer.
func (r *queryResolver) nodes(ctx context.Context, ids []string) ([]model.Node, error) {
	if len(ids) > maxNodes {
		return nil, errs.InvalidField("ids", "at most %d ids at once", maxNodes)
	}
	out := make([]model.Node, len(ids))
	for i, id := range ids {
		n, err := r.node(ctx, id)
		if errs.KindOf(err) == errs.NotFound {
			addErrorAt(ctx, i, err)
			continue
		}
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

// addErrorAt reports err for element i of the list being resolved.
func addErrorAt(ctx context.Context, i int, err error) {
	path := append(graphql.GetPath(ctx), ast.PathIndex(i))
	graphql.AddError(ctx, &gqlerror.Error{Err: err, Message: err.Error(), Path: path})
}

// drawIDs writes draws' global ids.
func drawIDs(ids []int64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = globalID(nodeDraw, id)
	}
	return out
}
