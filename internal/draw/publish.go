package draw

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sync/singleflight"

	"shuangsuiji/internal/authz"
	"shuangsuiji/internal/errs"
)

// Publisher hands out the documents of draws. The public ones (the
// commitment from the moment of freezing, the public manifest once
// executed) are stored beside the draw when it is frozen and executed (in
// their stored forms since those exist, see publicform.go; rendered to
// canonical JSON here and kept), and read through a database function
// that returns nothing else: the sealed
// input (nonce, row key, risk classes) never leaves the database for
// anyone without a bureau. The full manifest is recomputed from the input
// the acting bureau may read, and cached: a draw's documents never change.
type Publisher struct {
	Store  Store
	mu     sync.Mutex
	cache  map[int64]*Manifest
	flight singleflight.Group // one computation per draw however many ask at once
	// kept holds participants' stored openings, decoded, by draw and
	// bureau: a notice or an entity's opening should not decode a large
	// draw's list again.
	kept map[keptKey][]Opening
	// documents holds the public documents rendered from their stored
	// forms, documentBytes their size.
	documents     map[docKey][]byte
	documentBytes int
}

type keptKey struct{ draw, bureau int64 }

// ParticipantOpenings returns the openings the lead of an executed draw
// stored for actor's bureau, which must not lead it: read once under the
// bureau's row-level security, then kept (they never change).
func (p *Publisher) ParticipantOpenings(ctx context.Context, actor *authz.Actor, drawID int64) ([]Opening, error) {
	key := keptKey{drawID, actor.BureauID}
	p.mu.Lock()
	openings, ok := p.kept[key]
	p.mu.Unlock()
	if ok {
		return openings, nil
	}
	v, err, _ := p.flight.Do(fmt.Sprintf("openings %d %d", drawID, actor.BureauID), func() (any, error) {
		return p.Store.ParticipantOpenings(ctx, actor, drawID)
	})
	if err != nil {
		return nil, err
	}
	openings = v.([]Opening)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.kept == nil || len(p.kept) >= 16 {
		p.kept = map[keptKey][]Opening{}
	}
	p.kept[key] = openings
	return openings, nil
}

// Commitment returns the canonical JSON of a frozen or executed draw's
// commitment.
func (p *Publisher) Commitment(ctx context.Context, drawID int64) ([]byte, error) {
	return p.rendered(ctx, docKey{drawID, FormCommitment}, func(docs PublicDocuments) ([]byte, error) {
		if !IsStoredForm(docs.Commitment) {
			return docs.Commitment, nil
		}
		c, err := UnmarshalBinaryCommitment(docs.Commitment)
		if err != nil {
			return nil, fmt.Errorf("draw %d: %w", drawID, err)
		}
		return CanonicalJSON(c)
	})
}

// Manifest returns the full manifest of an executed draw that actor's
// bureau may read (for auditors and openings: check permission before
// calling).
func (p *Publisher) Manifest(ctx context.Context, actor *authz.Actor, drawID int64) (*Manifest, error) {
	p.mu.Lock()
	m, ok := p.cache[drawID]
	p.mu.Unlock()
	if ok {
		return m, nil
	}
	v, err, _ := p.flight.Do(strconv.FormatInt(drawID, 10), func() (any, error) {
		in, status, err := p.Store.SealedInput(ctx, actor, drawID)
		if err != nil {
			return nil, err
		}
		if status != StatusExecuted {
			return nil, errs.NotFoundf("draw %d has no manifest: it is %s", drawID, status)
		}
		return Run(in)
	})
	if err != nil {
		return nil, err
	}
	m = v.(*Manifest)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cache == nil || len(p.cache) >= 16 {
		p.cache = map[int64]*Manifest{}
	}
	p.cache[drawID] = m
	return m, nil
}

// PublicManifest returns the public manifest of an executed draw.
func (p *Publisher) PublicManifest(ctx context.Context, drawID int64) (*PublicManifest, error) {
	docs, err := p.executedDocuments(ctx, drawID)
	if err != nil {
		return nil, err
	}
	if IsStoredForm(docs.PublicManifest) {
		return publicManifestOf(drawID, docs)
	}
	var pm PublicManifest
	if err := decodeStrict(docs.PublicManifest, &pm); err != nil {
		return nil, fmt.Errorf("stored public manifest of draw %d: %w", drawID, err)
	}
	return &pm, nil
}

func (p *Publisher) publicManifestJSON(ctx context.Context, drawID int64) ([]byte, error) {
	return p.rendered(ctx, docKey{drawID, FormPublic}, func(docs PublicDocuments) ([]byte, error) {
		if docs.Status != StatusExecuted || docs.PublicManifest == nil {
			return nil, errs.NotFoundf("draw %d has no manifest: it is %s", drawID, docs.Status)
		}
		if !IsStoredForm(docs.PublicManifest) {
			return docs.PublicManifest, nil
		}
		pm, err := publicManifestOf(drawID, docs)
		if err != nil {
			return nil, err
		}
		return CanonicalJSON(pm)
	})
}

func (p *Publisher) executedDocuments(ctx context.Context, drawID int64) (PublicDocuments, error) {
	docs, err := p.Store.PublicDocuments(ctx, drawID)
	if err != nil {
		return docs, err
	}
	if docs.Status != StatusExecuted || docs.PublicManifest == nil {
		return docs, errs.NotFoundf("draw %d has no manifest: it is %s", drawID, docs.Status)
	}
	return docs, nil
}

// publicManifestOf decodes a public manifest kept in its stored form,
// with the public lists of the draw's commitment: in its stored form too,
// or canonical JSON for a draw frozen before the stored forms and
// executed after.
func publicManifestOf(drawID int64, docs PublicDocuments) (*PublicManifest, error) {
	c := &Commitment{}
	var err error
	if IsStoredForm(docs.Commitment) {
		c, err = UnmarshalBinaryCommitment(docs.Commitment)
	} else {
		err = decodeStrict(docs.Commitment, c)
	}
	if err != nil {
		return nil, fmt.Errorf("draw %d: commitment: %w", drawID, err)
	}
	pm, err := PublicManifestFrom(c, docs.PublicManifest)
	if err != nil {
		return nil, fmt.Errorf("draw %d: %w", drawID, err)
	}
	return pm, nil
}

// docKey names a public document of a draw: its form, FormCommitment or
// FormPublic.
type docKey struct {
	draw int64
	form string
}

// renderedBudget bounds the bytes of canonical JSON a Publisher keeps:
// a million-entity draw's two documents are 100 MB each.
const renderedBudget = 256 << 20

// rendered returns the canonical JSON of a public document, rendering it
// once from the stored documents and keeping it: a document never changes
// once it exists, and rendering a large draw's takes a second. Documents
// stored as canonical JSON are served as stored, and not kept twice.
func (p *Publisher) rendered(ctx context.Context, key docKey, render func(PublicDocuments) ([]byte, error)) ([]byte, error) {
	p.mu.Lock()
	doc, ok := p.documents[key]
	p.mu.Unlock()
	if ok {
		return doc, nil
	}
	var derived bool
	v, err, _ := p.flight.Do(fmt.Sprintf("%s %d", key.form, key.draw), func() (any, error) {
		docs, err := p.Store.PublicDocuments(ctx, key.draw)
		if err != nil {
			return nil, err
		}
		derived = IsStoredForm(docs.Commitment) || IsStoredForm(docs.PublicManifest)
		return render(docs)
	})
	if err != nil {
		return nil, err
	}
	doc = v.([]byte)
	if derived {
		p.keep(key, doc)
	}
	return doc, nil
}

func (p *Publisher) keep(key docKey, doc []byte) {
	if len(doc) > renderedBudget {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.documents == nil || p.documentBytes+len(doc) > renderedBudget {
		p.documents, p.documentBytes = map[docKey][]byte{}, 0
	}
	p.documents[key] = doc
	p.documentBytes += len(doc)
}

// PublicDocuments are what anyone may read of a draw that is not a
// draft: its commitment, and its public manifest once executed (canonical
// JSON both).
type PublicDocuments struct {
	Status         Status
	Commitment     []byte
	PublicManifest []byte
}

// SealDocuments computes the public documents the store keeps beside a
// draw: the commitment of its frozen input, and the public manifest of
// its manifest when it has one.
func SealDocuments(in Input, m *Manifest) (commitment, public []byte, err error) {
	in.Ceremony = "" // the commitment is what was fixed before the ceremony
	c, err := Commit(in)
	if err != nil {
		return nil, nil, err
	}
	if commitment, err = CanonicalJSON(c); err != nil || m == nil {
		return commitment, nil, err
	}
	pm, err := m.Public()
	if err != nil {
		return nil, nil, err
	}
	public, err = CanonicalJSON(pm)
	return commitment, public, err
}

// PublicManifestOf returns an executed draw's public manifest, for anyone
// (the public draw page shows its counts).
func (s *Service) PublicManifestOf(ctx context.Context, drawID int64) (*PublicManifest, error) {
	return s.publisher().PublicManifest(ctx, drawID)
}

// Commitment returns the canonical JSON of a frozen draw's commitment, for
// anyone. NOT_FOUND for drafts and unknown draws.
func (s *Service) Commitment(ctx context.Context, drawID int64) ([]byte, error) {
	return s.publisher().Commitment(ctx, drawID)
}

// PublicManifest returns the canonical JSON of an executed draw's public
// manifest, for anyone.
func (s *Service) PublicManifest(ctx context.Context, drawID int64) ([]byte, error) {
	return s.publisher().publicManifestJSON(ctx, drawID)
}

// FullManifest returns the canonical JSON of an executed draw's full
// manifest, row key included, to auditors (draw:audit) of the lead and of
// the region's joint office. Another participant of a joint draw is
// FORBIDDEN: the full manifest holds every bureau's conflicts (回避) and
// strata; it gets the public manifest and the openings of its own rows.
func (s *Service) FullManifest(ctx context.Context, drawID int64) ([]byte, error) {
	actor, err := s.Authz.Require(ctx, "draw:audit")
	if err != nil {
		return nil, err
	}
	d, err := s.Get(ctx, drawID)
	if err != nil {
		return nil, err
	}
	if d.BureauID != actor.BureauID && actor.BureauKind != "joint_office" {
		return nil, errs.E(errs.Forbidden, "the full manifest of draw %d is for the lead's and the joint office's auditors: "+
			"a participant gets the public manifest and the openings of its own rows (drawOpenings)", drawID)
	}
	m, err := s.publisher().Manifest(ctx, actor, drawID)
	if err != nil {
		return nil, err
	}
	return CanonicalJSON(m)
}

func (s *Service) publisher() *Publisher {
	s.once.Do(func() { s.pub = &Publisher{Store: s.Store} })
	return s.pub
}

// Opening returns an entity's opening of an executed draw: its own frame
// row and salts (and its stratum's sealed threshold), so that it can check
// its fate against the public manifest without learning anything of any
// other entity. For the bureau to hand to the entity: needs draw:read and a
// draw the bureau may see; another participant than the lead (or the
// region's joint office) gets only entities it supervises.
func (s *Service) Opening(ctx context.Context, drawID int64, entity string) ([]byte, error) {
	code := strings.ToUpper(strings.TrimSpace(entity))
	openings, err := s.openings(ctx, drawID, []string{code})
	if err != nil {
		return nil, err
	}
	if len(openings) == 0 {
		return nil, errs.NotFoundf("entity %s is not in the frame of draw %d", entity, drawID)
	}
	return CanonicalJSON(openings[0])
}

// Openings returns the openings of every frame row of an executed draw
// that the acting bureau supervises (for the lead and the joint office:
// every row), as a JSON list in id order: what a participant of a joint
// draw gets instead of the full manifest.
func (s *Service) Openings(ctx context.Context, drawID int64) ([]byte, error) {
	openings, err := s.openings(ctx, drawID, nil)
	if err != nil {
		return nil, err
	}
	return CanonicalJSON(openings)
}

// openings returns the openings of the entities (nil: all) of an executed
// draw that the acting bureau may open. The lead and the region's joint
// office compute them from the sealed input, which only they may read;
// another participant reads those the lead stored for it at the ceremony
// (the rows it supervises), never the input.
func (s *Service) openings(ctx context.Context, drawID int64, entities []string) ([]Opening, error) {
	actor, err := s.Authz.Require(ctx, "draw:read")
	if err != nil {
		return nil, err
	}
	d, err := s.Get(ctx, drawID)
	if err != nil {
		return nil, err
	}
	if d.Status != StatusExecuted {
		return nil, errs.NotFoundf("draw %d has no openings: it is %s", drawID, d.Status)
	}
	if d.BureauID != actor.BureauID && actor.BureauKind != "joint_office" {
		stored, err := s.publisher().ParticipantOpenings(ctx, actor, drawID)
		if err != nil {
			return nil, err
		}
		return keepEntities(stored, entities), nil
	}
	m, err := s.publisher().Manifest(ctx, actor, drawID)
	if err != nil {
		return nil, err
	}
	if entities == nil {
		return m.OpeningsOf(func(FrameRow) bool { return true })
	}
	openings, err := m.Openings(entities)
	if err != nil {
		return nil, nil // an entity not in the frame: none to open
	}
	return openings, nil
}

// keepEntities keeps the openings of the entities (nil: all).
func keepEntities(openings []Opening, entities []string) []Opening {
	if entities == nil {
		return openings
	}
	var out []Opening
	for _, o := range openings {
		if slices.Contains(entities, o.Entity) {
			out = append(out, o)
		}
	}
	return out
}

// OpeningsOf returns the openings of the frame rows own admits, in id
// order, sealed on every CPU (a joint draw's ceremony computes them for
// each participant's rows, up to the whole frame).
func (m *Manifest) OpeningsOf(own func(FrameRow) bool) ([]Opening, error) {
	var rows []int
	for i, r := range m.Inputs.Frame {
		if own(r) {
			rows = append(rows, i)
		}
	}
	out := make([]Opening, len(rows))
	inParallel(len(rows), 4096, func(lo, hi int) {
		s := newSealer(m.Algorithm, m.Inputs.RowKey)
		for k := lo; k < hi; k++ {
			out[k] = m.openingAt(s, rows[k])
		}
	})
	return out, nil
}

// canonicalList is CanonicalJSON of a list, its elements encoded on every
// CPU.
func canonicalList[T any](items []T) ([]byte, error) {
	parts := make([][]byte, len(items))
	failed := make([]error, len(items))
	inParallel(len(items), 4096, func(lo, hi int) {
		for k := lo; k < hi; k++ {
			parts[k], failed[k] = CanonicalJSON(items[k])
		}
	})
	if err := errors.Join(failed...); err != nil {
		return nil, err
	}
	return append(append([]byte{'['}, bytes.Join(parts, []byte{','})...), ']'), nil
}

// ParticipantOpenings returns, for every participant of a draw other than
// its lead, the canonical JSON of the openings of the frame rows it
// supervises (a v1 row names no bureau: the lead's to hand out), for the
// store to keep beside the draw at the ceremony: a participant never reads
// the sealed input.
func ParticipantOpenings(m *Manifest, lead string, participants []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, b := range participants {
		if b == lead {
			continue
		}
		openings, err := m.OpeningsOf(func(r FrameRow) bool {
			_, supervises := r.Units.Of(b)
			return supervises
		})
		if err != nil {
			return nil, err
		}
		if out[b], err = canonicalList(openings); err != nil {
			return nil, err
		}
	}
	return out, nil
}
