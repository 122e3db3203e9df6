package draw

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
)

// Staffing under v2 (the spec's "keyed shuffle of the pool, walked until the team is full"): for
// each task in order and each bureau that supervises its entity, a Fisher–Yates shuffle of the
// bureau's pool keyed by H("inspector", seed, entity, bureau, j) is walked step by step, and the
// first team[b] eligible candidates are taken. A task costs about team[b] × |pool| / |eligible|
// hashes.
//
// The candidates a shuffle reaches, step by step, depend only on the task and the bureau; only the
// cap makes one task depend on the tasks before it, as v1's ranking does (see teams.go). So
// staffing runs in two passes:
//
//  1. In parallel over tasks, walk each shuffle ignoring the cap and keep the first few candidates
//     that are otherwise eligible (team[b] without a cap; team[b]+capSlack with one).
//  2. In task order, take from each kept walk the first team[b] under the cap. That is the spec's
//     walk whenever enough kept candidates are under the cap; when they are not and the walk went
//     on past them, the shuffle is walked again from its first step with the cap, as the spec
//     states it.
//
// Without a cap the second pass only copies, and the result never depends on the number of CPUs.

// shufflePlan holds what the walk looks up, computed once per draw.
type shufflePlan struct {
	inspectors []Inspector
	bureaus    []string  // of params.team with a team size above 0, in byte order
	sizes      []int     // team size per bureau
	pools      [][]int32 // per bureau, its inspectors holding every required qualification
	conflicts  map[string][]int32
	crossUnit  bool
	cap        int32 // 0: no cap
}

// newShufflePlan indexes sorted inspectors and conflicts (none when only the public lists are
// known) under params.
func newShufflePlan(inspectors []Inspector, conflicts []Conflict, params Params) *shufflePlan {
	p := &shufflePlan{
		inspectors: inspectors,
		crossUnit:  params.CrossUnit,
		cap:        int32(min(params.MaxTasksPerInspector, 1<<31-1)),
		conflicts:  conflictsByEntity(inspectors, conflicts),
	}
	for _, bureau := range sortedKeys(params.Team) {
		size := params.Team[bureau]
		if size == 0 {
			continue
		}
		var pool []int32
		for i, in := range p.inspectors {
			if in.Bureau == bureau && holdsAll(in.Qualifications, params.RequiredQualifications[bureau]) {
				pool = append(pool, int32(i))
			}
		}
		p.bureaus = append(p.bureaus, bureau)
		p.sizes = append(p.sizes, size)
		p.pools = append(p.pools, pool)
	}
	return p
}

// depth is how many candidates the first pass keeps of bureau b's walk: never more than the pool.
func (p *shufflePlan) depth(b int) int {
	if p.cap > 0 {
		return min(p.sizes[b]+capSlack, len(p.pools[b]))
	}
	return min(p.sizes[b], len(p.pools[b]))
}

// walks are the first pass's results: per task and bureau, the first candidates of its walk
// that are eligible but for the cap, in a slot of depth(b) places.
type walks struct {
	kept    []taken // per task, a slot of stride candidates
	counts  []int32 // per task and bureau, how many were kept; -1: the bureau does not supervise
	offsets []int   // where each bureau's candidates start in a task's slot
	stride  int
}

// staffByShuffle assigns the teams of the picked entities, in task order.
func (d *draft) staffByShuffle(seed Digest, picks []pick) ([]Task, error) {
	p := newShufflePlan(d.in.Inspectors, d.in.Conflicts, d.in.Params)
	entities := make([]FrameRow, len(picks))
	for t, pk := range picks {
		entities[t] = d.in.Frame[pk.row]
	}
	return p.assign(seed, entities, picks, p.walkAll(seed, entities))
}

// walkAll is the first pass, in parallel chunks of tasks.
func (p *shufflePlan) walkAll(seed Digest, entities []FrameRow) *walks {
	nb := len(p.bureaus)
	wk := &walks{counts: make([]int32, len(entities)*nb)}
	for b := range p.bureaus {
		wk.offsets = append(wk.offsets, wk.stride)
		wk.stride += p.depth(b)
	}
	wk.kept = make([]taken, len(entities)*wk.stride)
	inParallel(len(entities), 64, func(lo, hi int) {
		w := newWalker(p, seed) // no loads: eligible but for the cap
		for t := lo; t < hi; t++ {
			w.startTask(entities[t])
			for b, bureau := range p.bureaus {
				unit, supervises := entities[t].Units.Of(bureau)
				if !supervises {
					wk.counts[t*nb+b] = -1
					continue
				}
				kept := w.collect(b, unit, p.depth(b))
				copy(wk.kept[t*wk.stride+wk.offsets[b]:], kept)
				wk.counts[t*nb+b] = int32(len(kept))
			}
		}
	})
	return wk
}

// assign is the second pass: it walks the tasks in order and takes each team from the kept walks
// under the cap.
func (p *shufflePlan) assign(seed Digest, entities []FrameRow, picks []pick, wk *walks) ([]Task, error) {
	nb := len(p.bureaus)
	var rewalk *walker // made on the first walk that the kept candidates do not cover, which is rare
	var loads []int32  // tasks per inspector so far; nil without a cap
	if p.cap > 0 {
		loads = make([]int32, len(p.inspectors))
	}
	// One array holds every member and one every step; each task's team is a full slice of the
	// first, never reallocated, and members point into the second.
	most := 0
	for b := range p.bureaus {
		most += p.depth(b)
	}
	members := make([]TeamMember, 0, len(picks)*most)
	steps := make([]int, 0, len(picks)*most)
	tasks := make([]Task, len(picks))
	var chosen []taken
	for t, e := range entities {
		start := len(members)
		for b, bureau := range p.bureaus {
			count := int(wk.counts[t*nb+b])
			if count < 0 {
				continue
			}
			kept := wk.kept[t*wk.stride+wk.offsets[b]:][:count]
			chosen = underCapOf(chosen[:0], kept, p.sizes[b], loads, p.cap)
			if len(chosen) < p.sizes[b] && count == p.depth(b) && count < len(p.pools[b]) {
				// Too many kept candidates are at the cap and the walk goes on: walk it again.
				if rewalk == nil {
					rewalk = newWalker(p, seed)
					rewalk.loads = loads
				}
				rewalk.startTask(e)
				unit, _ := e.Units.Of(bureau)
				chosen = append(chosen[:0], rewalk.collect(b, unit, p.sizes[b])...)
			} else if loads != nil {
				for _, c := range chosen {
					loads[c.inspector]++
				}
			}
			if len(chosen) < p.sizes[b] {
				return nil, insufficient(t, e.ID, bureau, len(chosen), p.sizes[b])
			}
			for _, c := range chosen {
				steps = append(steps, c.step)
				members = append(members, TeamMember{Bureau: bureau, Inspector: p.inspectors[c.inspector].ID, Step: &steps[len(steps)-1]})
			}
		}
		tasks[t] = Task{Entity: e.ID, Stratum: e.Stratum, Ticket: picks[t].ticket, Team: members[start:len(members):len(members)]}
	}
	return tasks, nil
}

// underCapOf appends to chosen the first size candidates of kept whose load is under the cap.
func underCapOf(chosen, kept []taken, size int, loads []int32, limit int32) []taken {
	for _, c := range kept {
		if len(chosen) == size {
			break
		}
		if loads == nil || loads[c.inspector] < limit {
			chosen = append(chosen, c)
		}
	}
	return chosen
}

// taken is a candidate taken onto a team at a step of the shuffle.
type taken struct {
	step      int
	inspector int32
}

// walker walks the shuffles of one task after another.
type walker struct {
	plan  *shufflePlan
	h     *framedHash // shares ("inspector", seed)
	loads []int32     // tasks per inspector so far; nil: the cap is not looked at
	// conflicted[i] == stamp marks inspector i as in conflict with the current task's entity.
	conflicted []uint32
	stamp      uint32
	entity     FrameRow
	// The shuffled array A is kept sparse: moved[j] holds A[j] when movedAt[j] == walkStamp,
	// else A[j] == j. A walk touches a few places of a pool of thousands, and a fresh array per
	// task and bureau would cost the pool's size each time.
	moved     []int32
	movedAt   []uint32
	walkStamp uint32
	taken     []taken
	decimal   []byte
}

func newWalker(p *shufflePlan, seed Digest) *walker {
	largest := 0
	for _, pool := range p.pools {
		largest = max(largest, len(pool))
	}
	return &walker{
		plan:       p,
		h:          newFramedHash("inspector", seed.String()),
		conflicted: make([]uint32, len(p.inspectors)),
		moved:      make([]int32, largest),
		movedAt:    make([]uint32, largest),
	}
}

func (w *walker) startTask(e FrameRow) {
	w.entity = e
	w.stamp++
	for _, i := range w.plan.conflicts[e.ID] {
		w.conflicted[i] = w.stamp
	}
}

// collect shuffles bureau b's pool for the current task until want eligible candidates are taken
// or the pool is walked through; unit is the entity's unit in that bureau. With loads, it adds
// each one taken to its load at once, before the next candidate is looked at, as the spec says.
// The result is valid until the next call.
func (w *walker) collect(b int, unit string, want int) []taken {
	w.walkStamp++
	w.taken = w.taken[:0]
	m := len(w.plan.pools[b])
	for j := 0; j < m && len(w.taken) < want; j++ {
		candidate := w.next(b, j)
		if w.eligible(candidate, unit) {
			w.taken = append(w.taken, taken{step: j, inspector: candidate})
			if w.loads != nil {
				w.loads[candidate]++
			}
		}
	}
	return w.taken
}

// draw is the first 8 bytes of H("inspector", seed, entity, bureau, decimal(j)).
func (w *walker) draw(b, j int) uint64 {
	w.h.field(w.entity.ID)
	w.h.field(w.plan.bureaus[b])
	w.decimal = strconv.AppendInt(w.decimal[:0], int64(j), 10)
	start := w.h.openField()
	w.h.buf = append(w.h.buf, w.decimal...)
	w.h.closeField(start)
	d := w.h.sum()
	return binary.BigEndian.Uint64(d[:8])
}

func (w *walker) at(j int) int32 {
	if w.movedAt[j] == w.walkStamp {
		return w.moved[j]
	}
	return int32(j)
}

func (w *walker) set(j int, v int32) {
	w.moved[j], w.movedAt[j] = v, w.walkStamp
}

func (w *walker) eligible(i int32, unit string) bool {
	if w.conflicted[i] == w.stamp {
		return false
	}
	if w.plan.crossUnit && unit != "" && w.plan.inspectors[i].Unit == unit {
		return false
	}
	return w.loads == nil || w.loads[i] < w.plan.cap
}

// next takes one more step of bureau b's shuffle for the current task (step j follows step j-1)
// and returns the candidate it reaches. walk and the public check share it.
func (w *walker) next(b, j int) int32 {
	pool := w.plan.pools[b]
	x := j + int(w.draw(b, j)%uint64(len(pool)-j))
	aj, ax := w.at(j), w.at(x)
	w.set(j, ax)
	w.set(x, aj)
	return pool[ax]
}

// checkShuffledTeams checks every v2 team against the public lists: members come bureau by
// bureau in byte order, team[b] of each bureau that sends one, each the candidate its step of the
// task's shuffle reaches, steps rising, everyone within the cap. Which bureaus supervise the
// entity, and whether a skipped candidate was in conflict or of the entity's unit, are
// confidential: the entity's opening checks the first, auditors the rest.
func checkShuffledTeams(p *PublicManifest) error {
	plan := newShufflePlan(p.Inputs.Inspectors, nil, p.Inputs.Params)
	w := newWalker(plan, p.Seed)
	loads := make([]int, len(plan.inspectors))
	for i, t := range p.Tasks {
		w.startTask(FrameRow{ID: t.Entity})
		b := -1
		for k := 0; k < len(t.Team); {
			path := fmt.Sprintf("tasks[%d].team[%d]", i, k)
			next, err := bureauAfter(plan, b, t.Team[k].Bureau)
			if err != nil {
				return fmt.Errorf("%s.bureau: %w", path, err)
			}
			b = next
			size := plan.sizes[b]
			if k+size > len(t.Team) {
				return fmt.Errorf("tasks[%d].team: %d members of bureau %q, params.team asks for %d", i, len(t.Team)-k, plan.bureaus[b], size)
			}
			if err := w.replay(fmt.Sprintf("tasks[%d].team", i), k, b, t.Team[k:k+size], loads); err != nil {
				return err
			}
			k += size
		}
	}
	return nil
}

// bureauAfter finds bureau among those sending teams, after the previous one (index prev).
func bureauAfter(plan *shufflePlan, prev int, bureau string) (int, error) {
	b, found := slices.BinarySearch(plan.bureaus, bureau)
	switch {
	case !found:
		return 0, fmt.Errorf("%q sends no team under params.team", bureau)
	case b <= prev:
		return 0, fmt.Errorf("%q comes after %q: bureaus must be in byte order, each once", bureau, plan.bureaus[prev])
	}
	return b, nil
}

// replay walks bureau b's shuffle of the current task and checks that each member is the
// candidate reached at its step, with steps rising and loads within the cap.
func (w *walker) replay(path string, first, b int, members []TeamMember, loads []int) error {
	w.walkStamp++
	j := 0
	limit := w.plan.cap
	for k, m := range members {
		at := fmt.Sprintf("%s[%d]", path, first+k)
		if m.Bureau != w.plan.bureaus[b] {
			return mismatch(at+".bureau", m.Bureau, w.plan.bureaus[b])
		}
		if m.Step == nil || m.Ticket != nil {
			return fmt.Errorf("%s: a %s member carries a step and no ticket", at, AlgorithmV2)
		}
		step := *m.Step
		if step < j || step >= len(w.plan.pools[b]) {
			return fmt.Errorf("%s.step: %d is not after the previous step and within the pool of %d", at, step, len(w.plan.pools[b]))
		}
		var candidate int32
		for ; j <= step; j++ {
			candidate = w.next(b, j)
		}
		if want := w.plan.inspectors[candidate].ID; m.Inspector != want {
			return fmt.Errorf("%s.inspector: got %q, want %q, whom step %d of the shuffle reaches", at, m.Inspector, want, step)
		}
		if loads[candidate]++; limit > 0 && loads[candidate] > int(limit) {
			return fmt.Errorf("%s.inspector: %q is sent on more than %d tasks", at, m.Inspector, limit)
		}
	}
	return nil
}
