package draw

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
)

// Staffing under v1 follows the spec's "Teams": walk the tasks in order; for each bureau, rank its
// candidates by (H("inspector", seed, entity, inspector), id) and take the first team[b], adding
// one to each one's load. A candidate is qualified, not in conflict with the entity, not of its
// unit under cross_unit, and under the cap.
//
// Every candidate's hash must be computed to know the lowest: SHA-256 has no shortcut. That is
// tasks × candidates hashes (40,000 × 2,000 in a big draw), nearly all the cost of a draw. All
// but the cap are fixed before the walk, and only the cap makes one task depend on the tasks
// before it. So staffing runs in two passes:
//
//  1. In parallel over tasks, rank each task's candidates ignoring the cap and keep the best few
//     (team[b] without a cap; team[b]+capSlack with one).
//  2. In task order, take from each kept ranking the first team[b] under the cap. Skipping capped
//     inspectors in the true ranking is exactly what the spec does, so this is the spec's result
//     whenever enough kept candidates are under the cap; when they are not, and more candidates
//     exist, the task is re-ranked in full with the cap, as the spec states it.
//
// Without a cap the second pass only copies, and the draw's result never depends on the number
// of CPUs.

// capSlack is how many candidates beyond the team size the first pass keeps when there is a cap,
// so that a few capped inspectors do not force a full re-ranking.
const capSlack = 6

// candidate is an inspector ranked for a task; inspectors are indexed in id order, so
// (ticket, inspector) is the spec's (ticket, id).
type candidate struct {
	lead      uint64 // the ticket's first 8 bytes: most comparisons end here
	ticket    Digest
	inspector int32
}

func newCandidate(ticket Digest, inspector int32) candidate {
	return candidate{lead: binary.BigEndian.Uint64(ticket[:8]), ticket: ticket, inspector: inspector}
}

func (a candidate) compare(b candidate) int {
	if a.lead != b.lead {
		return cmp.Compare(a.lead, b.lead)
	}
	return cmp.Or(a.ticket.compare(b.ticket), cmp.Compare(a.inspector, b.inspector))
}

// teamPlan holds what staffing looks up, computed once per draw.
type teamPlan struct {
	inspectors []Inspector
	seed       string
	bureaus    []string  // of params.team with a team size above 0, in byte order
	sizes      []int     // team size per bureau
	depths     []int     // candidates kept per task and bureau by the first pass
	offsets    []int     // where each bureau's kept candidates start in a task's slot
	stride     int       // sum of depths: one task's slot
	pools      [][]int32 // per bureau, its inspectors holding every required qualification
	framedIDs  [][]byte  // per inspector, its id framed as a hash field
	conflicts  map[string][]int32
	crossUnit  bool
	cap        int32 // 0: no cap
}

func newTeamPlan(d *draft, seed Digest) *teamPlan {
	params := d.in.Params
	p := &teamPlan{
		inspectors: d.in.Inspectors,
		seed:       seed.String(),
		crossUnit:  params.CrossUnit,
		cap:        int32(min(params.MaxTasksPerInspector, 1<<31-1)),
		conflicts:  conflictsByEntity(d.in.Inspectors, d.in.Conflicts),
	}
	for _, in := range p.inspectors {
		p.framedIDs = append(p.framedIDs, frameField(in.ID))
	}
	for _, bureau := range sortedKeys(params.Team) {
		if size := params.Team[bureau]; size > 0 {
			p.addBureau(bureau, size, params.RequiredQualifications[bureau])
		}
	}
	return p
}

func (p *teamPlan) addBureau(bureau string, size int, required []string) {
	var pool []int32
	for i, in := range p.inspectors {
		if in.Bureau == bureau && holdsAll(in.Qualifications, required) {
			pool = append(pool, int32(i))
		}
	}
	// Never more than the pool: a team larger than it fails at the first task anyway, and
	// size+capSlack cannot overflow once size is below len(pool).
	depth := min(size, len(pool))
	if p.cap > 0 && size < len(pool) {
		depth = min(size+capSlack, len(pool))
	}
	p.bureaus = append(p.bureaus, bureau)
	p.sizes = append(p.sizes, size)
	p.pools = append(p.pools, pool)
	p.depths = append(p.depths, depth)
	p.offsets = append(p.offsets, p.stride)
	p.stride += depth
}

// holdsAll reports whether the sorted qualifications include every required code.
func holdsAll(qualifications, required []string) bool {
	for _, code := range required {
		if _, found := slices.BinarySearch(qualifications, code); !found {
			return false
		}
	}
	return true
}

// conflictsByEntity indexes the conflicts by entity; a conflict naming no listed inspector
// cannot matter and is dropped.
func conflictsByEntity(inspectors []Inspector, conflicts []Conflict) map[string][]int32 {
	index := make(map[string]int32, len(inspectors))
	for i, in := range inspectors {
		index[in.ID] = int32(i)
	}
	byEntity := make(map[string][]int32)
	for _, c := range conflicts {
		if i, ok := index[c.Inspector]; ok {
			byEntity[c.Entity] = append(byEntity[c.Entity], i)
		}
	}
	return byEntity
}

// staff assigns the teams of the picked entities, in task order.
func (d *draft) staff(seed Digest, picks []pick) ([]Task, error) {
	p := newTeamPlan(d, seed)
	entities := make([]FrameRow, len(picks))
	for t, pk := range picks {
		entities[t] = d.in.Frame[pk.row]
	}
	rankings := p.rankAll(entities)
	return p.assign(entities, picks, rankings)
}

// rankings are the first pass's results: per task and bureau, the best candidates ignoring the
// cap (depth of them at most) and how many candidates there were in all.
type rankings struct {
	kept  []candidate // per task, a slot of stride candidates
	total []int32     // per task and bureau
}

func (p *teamPlan) rankAll(entities []FrameRow) *rankings {
	nb := len(p.bureaus)
	rk := &rankings{kept: make([]candidate, len(entities)*p.stride), total: make([]int32, len(entities)*nb)}
	inParallel(len(entities), 8, func(lo, hi int) {
		r := p.newRanker()
		for t := lo; t < hi; t++ {
			r.startTask(entities[t])
			for b := range p.bureaus {
				slot := rk.kept[t*p.stride+p.offsets[b]:][:p.depths[b]]
				_, total := r.rank(b, slot, nil)
				rk.total[t*nb+b] = int32(total)
			}
		}
	})
	return rk
}

// assign walks the tasks in order and takes each team from the rankings under the cap.
func (p *teamPlan) assign(entities []FrameRow, picks []pick, rk *rankings) ([]Task, error) {
	a := &assignment{plan: p, rankings: rk}
	if p.cap > 0 {
		a.loads = make([]int32, len(p.inspectors))
	}
	// One array holds every member; each task's team is a full slice of it, never reallocated.
	// A team larger than its pool fails before it is stored, hence the min.
	membersPerTask := 0
	for b, size := range p.sizes {
		membersPerTask += min(size, len(p.pools[b]))
	}
	members := make([]TeamMember, 0, len(picks)*membersPerTask)
	tickets := make([]Digest, 0, cap(members))
	tasks := make([]Task, len(picks))
	for t, e := range entities {
		start := len(members)
		for b, bureau := range p.bureaus {
			chosen, err := a.choose(t, b, e)
			if err != nil {
				return nil, err
			}
			for _, c := range chosen {
				tickets = append(tickets, c.ticket)
				members = append(members, TeamMember{Bureau: bureau, Inspector: p.inspectors[c.inspector].ID, Ticket: &tickets[len(tickets)-1]})
				if a.loads != nil {
					a.loads[c.inspector]++
				}
			}
		}
		tasks[t] = Task{Entity: e.ID, Stratum: e.Stratum, Ticket: picks[t].ticket, Team: members[start:len(members):len(members)]}
	}
	return tasks, nil
}

// assignment is the state of the second pass.
type assignment struct {
	plan     *teamPlan
	rankings *rankings
	loads    []int32 // tasks per inspector so far; nil without a cap
	rescan   *ranker // made on the first full re-ranking, which is rare
}

// choose returns the team of bureau b for task t: the first team[b] candidates under the cap.
func (a *assignment) choose(t, b int, e FrameRow) ([]candidate, error) {
	p := a.plan
	total := int(a.rankings.total[t*len(p.bureaus)+b])
	kept := a.rankings.kept[t*p.stride+p.offsets[b]:][:min(p.depths[b], total)]
	chosen, available := underCap(kept, p.sizes[b], a.loads, p.cap)
	if len(chosen) < p.sizes[b] && total > len(kept) {
		// Too many of the kept candidates are at the cap: rank them all again, with it.
		if a.rescan == nil {
			a.rescan = p.newRanker()
		}
		a.rescan.startTask(e)
		best := make([]candidate, p.sizes[b])
		n, all := a.rescan.rank(b, best, a.loads)
		chosen, available = best[:n], all
	}
	if len(chosen) < p.sizes[b] {
		return nil, insufficient(t, e.ID, p.bureaus[b], available, p.sizes[b])
	}
	return chosen, nil
}

// underCap returns the first size candidates of the ranking kept whose load is under the cap,
// and how many of kept are.
func underCap(kept []candidate, size int, loads []int32, limit int32) (chosen []candidate, available int) {
	if loads == nil {
		return kept[:min(size, len(kept))], len(kept)
	}
	for _, c := range kept {
		if loads[c.inspector] < limit {
			if available++; len(chosen) < size {
				chosen = append(chosen, c)
			}
		}
	}
	return chosen, available
}

func insufficient(task int, entity, bureau string, available, needed int) *Error {
	reason := fmt.Sprintf("tasks[%d], entity %q: bureau %q has %d eligible inspectors (qualified, without conflict, "+
		"not of the entity's unit under cross_unit, under the cap), %d needed", task, entity, bureau, available, needed)
	return &Error{Code: CodeInsufficientInspectors, Reason: reason, Entity: entity, Bureau: bureau}
}

// ranker ranks the candidates of one task at a time. Each goroutine has its own.
type ranker struct {
	plan *teamPlan
	h    *framedHash
	// conflicted[i] == stamp marks inspector i as in conflict with the current task's entity:
	// stamping avoids clearing a set per task.
	conflicted []uint32
	stamp      uint32
	entity     FrameRow
}

func (p *teamPlan) newRanker() *ranker {
	return &ranker{plan: p, h: newFramedHash(), conflicted: make([]uint32, len(p.inspectors))}
}

// startTask makes every following hash start with ("inspector", seed, entity), so that each
// candidate costs only the SHA-256 blocks holding its own id.
func (r *ranker) startTask(e FrameRow) {
	r.entity = e
	r.h.share("inspector", r.plan.seed, e.ID)
	r.stamp++
	for _, i := range r.plan.conflicts[e.ID] {
		r.conflicted[i] = r.stamp
	}
}

// rank fills best with the lowest-ranked candidates of bureau b for the current task, in order,
// and returns how many it kept and how many candidates there were in all. Candidates must be
// under the cap only when loads is given.
func (r *ranker) rank(b int, best []candidate, loads []int32) (kept, total int) {
	for _, i := range r.plan.pools[b] {
		if !r.eligible(i, loads) {
			continue
		}
		total++
		r.h.framed(r.plan.framedIDs[i])
		kept = insertRanked(best, kept, newCandidate(r.h.sum(), i))
	}
	return kept, total
}

func (r *ranker) eligible(i int32, loads []int32) bool {
	if r.conflicted[i] == r.stamp {
		return false
	}
	if r.plan.crossUnit && r.entity.Unit != "" && r.plan.inspectors[i].Unit == r.entity.Unit {
		return false
	}
	return loads == nil || loads[i] < r.plan.cap
}

// insertRanked inserts c into best[:kept], sorted, keeping at most len(best) candidates, and
// returns the new count. Most candidates rank below the ones kept and cost one comparison.
func insertRanked(best []candidate, kept int, c candidate) int {
	if kept == len(best) {
		if kept == 0 || c.compare(best[kept-1]) >= 0 {
			return kept
		}
		kept-- // the worst kept candidate makes room
	}
	j := kept
	for j > 0 && c.compare(best[j-1]) < 0 {
		best[j] = best[j-1]
		j--
	}
	best[j] = c
	return kept + 1
}
