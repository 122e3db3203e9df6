package draw

import (
	"cmp"
	"encoding/binary"
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
	c, err := d.commit()
	if err != nil {
		return nil, err
	}
	m := &Manifest{Algorithm: d.alg, Form: FormFull, Inputs: d.in, Hashes: c.Hashes, commitment: c}
	m.Seed = seedOf(d.alg, d.in.Nonce, d.in.Ceremony, c.Hashes)
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
// a million tickets are compared with the lowest kept, and nearly every comparison ends there.
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
	perChunk := d.lowestTickets(seed, quotas)
	results := make(map[string]StratumResult, len(d.strata))
	seal := newSealer(d.alg, d.in.RowKey)
	var tasks []pick
	for h, label := range d.strata {
		var taken []pick
		for _, chunk := range perChunk {
			taken = append(taken, chunk[h].picks...)
		}
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

// lowestTickets computes the ticket of every eligible entity, in parallel chunks of the frame,
// and keeps per chunk and stratum the quota's worth of lowest ones. The n lowest of a stratum are
// among the union of each chunk's n lowest, so no ticket is stored for the rest of the frame.
func (d *draft) lowestTickets(seed Digest, quotas []int) [][]lowest {
	var (
		mu       sync.Mutex
		perChunk [][]lowest
	)
	inParallel(len(d.in.Frame), 4096, func(lo, hi int) {
		kept := make([]lowest, len(quotas))
		for h, n := range quotas {
			kept[h] = lowest{n: n, picks: make([]pick, 0, min(n, hi-lo))}
		}
		// Tickets are hashed two at a time (see sumPair): the last eligible row waits in pending
		// for the next one.
		h, g := newFramedHash("entity", seed.String()), newFramedHash("entity", seed.String())
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
			kept[d.stratumOf[pending]].offer(newPick(a, int32(pending)))
			kept[d.stratumOf[i]].offer(newPick(b, int32(i)))
			pending = -1
		}
		if pending >= 0 {
			h.field(d.in.Frame[pending].ID)
			kept[d.stratumOf[pending]].offer(newPick(h.sum(), int32(pending)))
		}
		mu.Lock()
		perChunk = append(perChunk, kept)
		mu.Unlock()
	})
	return perChunk
}

// lowest keeps the n lowest picks offered to it. It is a max-heap: the worst pick kept is at the
// root, so that most offers are turned down after one comparison.
type lowest struct {
	n     int
	picks []pick
}

func (l *lowest) offer(p pick) {
	switch {
	case len(l.picks) < l.n:
		l.picks = append(l.picks, p)
		l.up(len(l.picks) - 1)
	case l.n > 0 && p.compare(l.picks[0]) < 0:
		l.picks[0] = p
		l.down(0)
	}
}

func (l *lowest) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if l.picks[parent].compare(l.picks[i]) >= 0 {
			return
		}
		l.picks[parent], l.picks[i] = l.picks[i], l.picks[parent]
		i = parent
	}
}

func (l *lowest) down(i int) {
	for {
		worst := i
		for _, child := range [2]int{2*i + 1, 2*i + 2} {
			if child < len(l.picks) && l.picks[child].compare(l.picks[worst]) > 0 {
				worst = child
			}
		}
		if worst == i {
			return
		}
		l.picks[worst], l.picks[i] = l.picks[i], l.picks[worst]
		i = worst
	}
}
