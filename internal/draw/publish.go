package draw

import (
	"context"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sync/singleflight"

	"shuangsuiji/internal/errs"
)

// Publisher derives the public documents of draws from their frozen
// inputs, for anyone and without sign-in: the commitment from the moment of
// freezing, the public manifest once executed. Results are cached: a
// draw's documents never change.
type Publisher struct {
	Store  Store
	mu     sync.Mutex
	cache  map[int64]*Manifest
	flight singleflight.Group // one computation per draw however many ask at once
}

// Commitment returns the commitment of a frozen or executed draw.
func (p *Publisher) Commitment(ctx context.Context, drawID int64) (*Commitment, error) {
	in, _, err := p.Store.FrozenInput(ctx, drawID)
	if err != nil {
		return nil, err
	}
	in.Ceremony = "" // the commitment is what was fixed before the ceremony
	return Commit(in)
}

// Manifest returns the full manifest of an executed draw (for auditors:
// check permission before calling).
func (p *Publisher) Manifest(ctx context.Context, drawID int64) (*Manifest, error) {
	p.mu.Lock()
	m, ok := p.cache[drawID]
	p.mu.Unlock()
	if ok {
		return m, nil
	}
	v, err, _ := p.flight.Do(strconv.FormatInt(drawID, 10), func() (any, error) {
		in, status, err := p.Store.FrozenInput(ctx, drawID)
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
	m, err := p.Manifest(ctx, drawID)
	if err != nil {
		return nil, err
	}
	return m.Public()
}

// Commitment returns the canonical JSON of a frozen draw's commitment, for
// anyone. NOT_FOUND for drafts and unknown draws.
func (s *Service) Commitment(ctx context.Context, drawID int64) ([]byte, error) {
	c, err := s.publisher().Commitment(ctx, drawID)
	if err != nil {
		return nil, err
	}
	return CanonicalJSON(c)
}

// PublicManifest returns the canonical JSON of an executed draw's public
// manifest, for anyone.
func (s *Service) PublicManifest(ctx context.Context, drawID int64) ([]byte, error) {
	m, err := s.publisher().PublicManifest(ctx, drawID)
	if err != nil {
		return nil, err
	}
	return CanonicalJSON(m)
}

// FullManifest returns the canonical JSON of an executed draw's full
// manifest, row key included, to auditors (draw:audit) who may see the
// draw: the lead's or a participant's leaders, the region's joint office.
func (s *Service) FullManifest(ctx context.Context, drawID int64) ([]byte, error) {
	if _, err := s.Authz.Require(ctx, "draw:audit"); err != nil {
		return nil, err
	}
	if _, err := s.Get(ctx, drawID); err != nil {
		return nil, err
	}
	m, err := s.publisher().Manifest(ctx, drawID)
	if err != nil {
		return nil, err
	}
	return CanonicalJSON(m)
}

func (s *Service) publisher() *Publisher {
	s.once.Do(func() { s.pub = &Publisher{Store: s.Store} })
	return s.pub
}

// Opening returns an entity's opening of an executed or frozen draw: its
// own frame row and salts, so that it can check its fate against the public
// manifest without learning anything of any other entity. For the bureau
// to hand to the entity: needs draw:read and a draw the bureau may see.
func (s *Service) Opening(ctx context.Context, drawID int64, entity string) ([]byte, error) {
	if _, err := s.Get(ctx, drawID); err != nil {
		return nil, err
	}
	in, _, err := s.Store.FrozenInput(ctx, drawID)
	if err != nil {
		return nil, err
	}
	o, err := OpeningFor(in, strings.ToUpper(strings.TrimSpace(entity)))
	if err != nil {
		return nil, errs.NotFoundf("entity %s is not in the frame of draw %d", entity, drawID)
	}
	return CanonicalJSON(o)
}
