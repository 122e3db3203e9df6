package draw

import (
	"cmp"
	"encoding/binary"
	"math"
	"slices"
	"sync"
)

// The versions of the algorithm, the spec's ALG. Every new draw uses v2; a draw made under v1
// stays verifiable forever.
const (
	AlgorithmV1 = "dual-random-draw/v1"
	AlgorithmV2 = "dual-random-draw/v2"
	// Algorithm is the version of every new draw.
	Algorithm = AlgorithmV2
)

// Run performs the draw at the ceremony: it validates in, commits to its inputs, derives the seed,
// selects the entities stratum by stratum and staffs every task. It returns the full manifest, or
// an *Error (invalid_input, insufficient_inspectors) and nothing else: no partial draw is kept.
// in is not modified; the manifest holds sorted copies of its lists, except a frame that is
// already in id order, which it shares: do not modify in while the manifest is in use.
func Run(in Input) (*Manifest, error) {
	m, err := run(in)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// run draws in the spec's order. When a task cannot be staffed it returns, with the error, the
// manifest without its tasks, so that Verify can compare the hashes, seed and strata first.
func run(in Input) (*Manifest, error) {
	d, err := prepareToSeal(in, true)
	if err != nil {
		return nil, err
	}
	s, err := d.seal()
	if err != nil {
		return nil, err
	}
	hashes := s.withoutFrame.Hashes
	m := &Manifest{Algorithm: d.alg, Form: FormFull, Inputs: d.in, Hashes: hashes, sealed: s}
	m.Seed = seedOf(d.alg, d.in.Nonce, d.in.Ceremony, hashes)
	var picks []pick
	picks, m.Strata = d.selectEntities(m.Seed)
	if d.alg == AlgorithmV1 {
		m.Tasks, err = d.staff(m.Seed, picks)
	} else {
		m.Tasks, err = d.staffByShuffle(m.Seed, picks)
	}
	return m, err
}

// pick is a selected entity: its ticket and its row in the sorted frame. Rows are in id order, so
// (ticket, row) orders picks as the spec's (ticket, id) does. lead is the ticket's first 8 bytes:
// a million tickets are compared with a cutoff on it, and nearly every comparison of two picks
// ends there.
type pick struct {
	lead   uint64
	ticket Digest
	row    int32
}

func newPick(ticket Digest, row int32) pick {
	return pick{lead: binary.BigEndian.Uint64(ticket[:8]), ticket: ticket, row: row}
}

func (a pick) compare(b pick) int {
	if a.lead != b.lead {
		return cmp.Compare(a.lead, b.lead)
	}
	return cmp.Or(a.ticket.compare(b.ticket), cmp.Compare(a.row, b.row))
}

// selectEntities takes, in each stratum, the n eligible entities of lowest ticket
// H("entity", seed, id), and returns them all in task order with each stratum's counts.
func (d *draft) selectEntities(seed Digest) ([]pick, map[string]StratumResult) {
	quotas := make([]int, len(d.strata))
	for h, label := range d.strata {
		quotas[h] = quota(d.in.Params.Strata[label], d.frame[h], d.eligible[h])
	}
	candidates := d.lowestTickets(seed, quotas)
	results := make(map[string]StratumResult, len(d.strata))
	seal := newSealer(d.alg, d.in.RowKey)
	var tasks []pick
	for h, label := range d.strata {
		taken := candidates[h]
		slices.SortFunc(taken, pick.compare)
		taken = taken[:quotas[h]]
		r := StratumResult{Frame: d.frame[h], Eligible: d.eligible[h], Selected: quotas[h]}
		if len(taken) > 0 {
			threshold := taken[len(taken)-1].ticket
			r.Threshold = &threshold
		}
		if d.alg != AlgorithmV1 {
			_, c := seal.stratum(StratumRow{Stratum: label, Threshold: r.Threshold})
			r.ThresholdCommitment = &c
		}
		results[label] = r
		tasks = append(tasks, taken...)
	}
	slices.SortFunc(tasks, pick.compare)
	return tasks, results
}

// lowestTickets computes the ticket of every eligible entity and returns, per stratum, picks
// among which are its quota's worth of lowest tickets. Tickets are uniform, so the n lowest of a
// stratum of |E| eligible rows lie below about n/|E| of the range: every ticket whose first 8
// bytes are at most a cutoff somewhat above that is kept (one comparison a row, where keeping the
// n lowest in a heap cost a comparison and, often, a sift), and no ticket above it can be among
// the n lowest once n are kept. A stratum that keeps fewer than n (some eight standard deviations
// away) is drawn again keeping every ticket: the result never depends on the cutoff.
func (d *draft) lowestTickets(seed Digest, quotas []int) [][]pick {
	cutoffs := make([]uint64, len(quotas))
	for h, n := range quotas {
		cutoffs[h] = ticketCutoff(n, d.eligible[h])
	}
	return d.lowestTicketsBelow(seed, quotas, cutoffs)
}

// lowestTicketsBelow is lowestTickets with the cutoffs given; it may change them.
func (d *draft) lowestTicketsBelow(seed Digest, quotas []int, cutoffs []uint64) [][]pick {
	kept := d.ticketsUpTo(seed, cutoffs)
	short := false
	for h, n := range quotas {
		if len(kept[h]) < n {
			cutoffs[h], short = math.MaxUint64, true
		}
	}
	if short {
		kept = d.ticketsUpTo(seed, cutoffs)
	}
	return kept
}

// ticketCutoff is the first 8 bytes of a ticket below which n of eligible uniform tickets fall
// with near certainty: the expected n plus eight standard deviations and a margin for small n.
// Zero when n is zero (a ticket of lead 0 kept by chance does no harm).
func ticketCutoff(n, eligible int) uint64 {
	if n == 0 {
		return 0
	}
	cutoff := (float64(n) + 8*math.Sqrt(float64(n)) + 32) / float64(eligible) * 0x1p64
	if cutoff >= 0x1p64 {
		return math.MaxUint64
	}
	return uint64(cutoff)
}

// ticketsUpTo computes the ticket of every eligible entity and keeps, per stratum, those whose
// first 8 bytes are at most the stratum's cutoff. Workers claim chunks of the frame as they go,
// so a core slowed by other work takes fewer; the picks are sorted afterwards, so their order
// here does not matter.
func (d *draft) ticketsUpTo(seed Digest, cutoffs []uint64) [][]pick {
	kept := make([][]pick, len(cutoffs))
	var mu sync.Mutex
	inClaimedChunks(len(d.in.Frame), 16384, func(claim func() (lo, hi int, ok bool)) {
		mine := make([][]pick, len(cutoffs))
		h, g := newFramedHash("entity", seed.String()), newFramedHash("entity", seed.String())
		keep := func(ticket Digest, row int) {
			s := d.stratumOf[row]
			if p := newPick(ticket, int32(row)); p.lead <= cutoffs[s] {
				mine[s] = append(mine[s], p)
			}
		}
		for lo, hi, ok := claim(); ok; lo, hi, ok = claim() {
			d.ticketsOf(h, g, lo, hi, keep)
		}
		mu.Lock()
		defer mu.Unlock()
		for s := range kept {
			kept[s] = append(kept[s], mine[s]...)
		}
	})
	return kept
}

// ticketsOf gives keep the ticket of every eligible row in [lo, hi), hashed two at a time (see
// sumPair): the last eligible row waits in pending for the next one.
func (d *draft) ticketsOf(h, g *framedHash, lo, hi int, keep func(Digest, int)) {
	pending := -1
	for i := lo; i < hi; i++ {
		if d.excluded[i] {
			continue
		}
		if pending < 0 {
			pending = i
			continue
		}
		h.field(d.in.Frame[pending].ID)
		g.field(d.in.Frame[i].ID)
		a, b := sumPair(h, g)
		keep(a, pending)
		keep(b, i)
		pending = -1
	}
	if pending >= 0 {
		h.field(d.in.Frame[pending].ID)
		keep(h.sum(), pending)
	}
}
