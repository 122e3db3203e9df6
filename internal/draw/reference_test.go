package draw

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

// referenceRun is draw-spec.md read literally, sharing no code with Run but CanonicalJSON's
// reflection path: lists sorted anew, every hash from scratch, tickets as hex strings, full sorts,
// and each team ranked over every inspector with the loads so far. It assumes a valid input. Run
// must agree with it on every input.
func referenceRun(in Input) (*Manifest, error) {
	in = referenceSorted(in)
	alg := in.Params.Algorithm
	hashes := referenceHashes(in)
	seed := refH(alg+" seed", in.Nonce, in.Ceremony, hashes.FrameSHA256.String(), hashes.ExclusionsSHA256.String(),
		hashes.InspectorsSHA256.String(), hashes.ConflictsSHA256.String(), hashes.ParamsSHA256.String())
	strata, tasks := referenceEntities(in, seed.String())
	teams := referenceTeams
	if alg == AlgorithmV2 {
		teams = referenceShuffledTeams
	}
	if err := teams(in, seed.String(), tasks); err != nil {
		return nil, err
	}
	return &Manifest{Algorithm: alg, Form: FormFull, Inputs: in, Hashes: hashes, Seed: seed, Strata: strata, Tasks: tasks}, nil
}

func refH(fields ...string) Digest {
	var b []byte
	for _, f := range fields {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return sha256.Sum256(b)
}

func refCanonical(v any) string {
	b, err := CanonicalJSON(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func refLines[T any](rows []T) Digest {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(refCanonical(r) + "\n")
	}
	return sha256.Sum256([]byte(b.String()))
}

func referenceSorted(in Input) Input {
	in.Frame = slices.SortedFunc(slices.Values(in.Frame), func(a, b FrameRow) int { return strings.Compare(a.ID, b.ID) })
	in.Exclusions = slices.SortedFunc(slices.Values(in.Exclusions), func(a, b Exclusion) int { return strings.Compare(a.ID, b.ID) })
	in.Conflicts = slices.SortedFunc(slices.Values(in.Conflicts), func(a, b Conflict) int {
		return strings.Compare(a.Inspector+"\x00"+a.Entity, b.Inspector+"\x00"+b.Entity)
	})
	inspectors := make([]Inspector, 0, len(in.Inspectors))
	for _, i := range in.Inspectors {
		i.Qualifications = slices.Compact(slices.Sorted(slices.Values(i.Qualifications)))
		if i.Qualifications == nil {
			i.Qualifications = []string{}
		}
		inspectors = append(inspectors, i)
	}
	in.Inspectors = slices.SortedFunc(slices.Values(inspectors), func(a, b Inspector) int { return strings.Compare(a.ID, b.ID) })
	return in
}

// refCommitment is H(ALG+" row", hex(H(ALG+" salt", row_key, list, keys…)), canonical(row)).
func refCommitment(alg, rowKey, list string, row any, keys ...string) Digest {
	salt := refH(append([]string{alg + " salt", rowKey, list}, keys...)...).String()
	return refH(alg+" row", salt, refCanonical(row))
}

func referenceHashes(in Input) Hashes {
	salted := func(list string, row any, keys ...string) RowCommitment {
		return RowCommitment{refCommitment(in.Params.Algorithm, in.RowKey, list, row, keys...)}
	}
	var frame []FrameCommitment
	for _, r := range in.Frame {
		frame = append(frame, FrameCommitment{ID: r.ID, Commitment: salted("frame", genericFrameRow(r), r.ID).Commitment})
	}
	var exclusions, conflicts []RowCommitment
	for _, x := range in.Exclusions {
		exclusions = append(exclusions, salted("exclusions", x, x.ID))
	}
	for _, c := range in.Conflicts {
		conflicts = append(conflicts, salted("conflicts", c, c.Inspector, c.Entity))
	}
	byHex := func(a, b RowCommitment) int { return strings.Compare(a.Commitment.String(), b.Commitment.String()) }
	slices.SortFunc(exclusions, byHex)
	slices.SortFunc(conflicts, byHex)
	return Hashes{
		NonceCommitment:  refH(in.Params.Algorithm+" nonce", in.Nonce),
		FrameSHA256:      refLines(frame),
		ExclusionsSHA256: refLines(exclusions),
		InspectorsSHA256: refLines(in.Inspectors),
		ConflictsSHA256:  refLines(conflicts),
		ParamsSHA256:     sha256.Sum256([]byte(refCanonical(in.Params))),
	}
}

// referenceQuota computes n with big integers.
func referenceQuota(s Stratum, frame, eligible int) int {
	p, q, _ := strings.Cut(s.Ratio, "/")
	pn, _ := new(big.Int).SetString(p, 10)
	qn, _ := new(big.Int).SetString(q, 10)
	num := new(big.Int).Mul(pn, big.NewInt(int64(frame)))
	ceil := new(big.Int).Div(num.Add(num, new(big.Int).Sub(qn, big.NewInt(1))), qn)
	floor := 0
	if eligible > 0 {
		floor = s.Min
	}
	return min(eligible, max(floor, int(ceil.Int64())))
}

func referenceEntities(in Input, seed string) (map[string]StratumResult, []Task) {
	excluded := map[string]bool{}
	for _, x := range in.Exclusions {
		excluded[x.ID] = true
	}
	strata := map[string]StratumResult{}
	var tasks []Task
	for _, label := range slices.Sorted(func(yield func(string) bool) {
		for k := range in.Params.Strata {
			yield(k)
		}
	}) {
		var frame int
		var eligible []Task
		for _, r := range in.Frame {
			if r.Stratum != label {
				continue
			}
			frame++
			if !excluded[r.ID] {
				eligible = append(eligible, Task{Entity: r.ID, Stratum: label, Ticket: refH("entity", seed, r.ID), Team: []TeamMember{}})
			}
		}
		slices.SortFunc(eligible, func(a, b Task) int {
			return cmp.Or(strings.Compare(a.Ticket.String(), b.Ticket.String()), strings.Compare(a.Entity, b.Entity))
		})
		n := referenceQuota(in.Params.Strata[label], frame, len(eligible))
		result := StratumResult{Frame: frame, Eligible: len(eligible), Selected: n}
		if n > 0 {
			threshold := eligible[n-1].Ticket
			result.Threshold = &threshold
		}
		if in.Params.Algorithm == AlgorithmV2 {
			row := map[string]any{"stratum": label, "threshold": nil}
			if result.Threshold != nil {
				row["threshold"] = result.Threshold.String()
			}
			c := refCommitment(AlgorithmV2, in.RowKey, "strata", row, label)
			result.ThresholdCommitment = &c
		}
		strata[label] = result
		tasks = append(tasks, eligible[:n]...)
	}
	slices.SortFunc(tasks, func(a, b Task) int {
		return cmp.Or(strings.Compare(a.Ticket.String(), b.Ticket.String()), strings.Compare(a.Entity, b.Entity))
	})
	return strata, tasks
}

func referenceTeams(in Input, seed string, tasks []Task) error {
	conflicted := map[Conflict]bool{}
	for _, c := range in.Conflicts {
		conflicted[c] = true
	}
	unit := map[string]string{}
	for _, r := range in.Frame {
		unit[r.ID] = r.Unit
	}
	loads := map[string]int{}
	p := in.Params
	for t := range tasks {
		e := tasks[t].Entity
		for _, bureau := range slices.Sorted(func(yield func(string) bool) {
			for k := range p.Team {
				yield(k)
			}
		}) {
			var ranked []TeamMember
			for _, i := range in.Inspectors {
				eligible := i.Bureau == bureau && !conflicted[Conflict{i.ID, e}] &&
					!(p.CrossUnit && i.Unit != "" && unit[e] != "" && i.Unit == unit[e]) &&
					(p.MaxTasksPerInspector == 0 || loads[i.ID] < p.MaxTasksPerInspector)
				for _, q := range p.RequiredQualifications[bureau] {
					eligible = eligible && slices.Contains(i.Qualifications, q)
				}
				if eligible {
					ticket := refH("inspector", seed, e, i.ID)
					ranked = append(ranked, TeamMember{Bureau: bureau, Inspector: i.ID, Ticket: &ticket})
				}
			}
			slices.SortFunc(ranked, func(a, b TeamMember) int {
				return cmp.Or(strings.Compare(hex.EncodeToString(a.Ticket[:]), hex.EncodeToString(b.Ticket[:])), strings.Compare(a.Inspector, b.Inspector))
			})
			if len(ranked) < p.Team[bureau] {
				return &Error{Code: CodeInsufficientInspectors, Entity: e, Bureau: bureau}
			}
			for _, m := range ranked[:p.Team[bureau]] {
				loads[m.Inspector]++
				tasks[t].Team = append(tasks[t].Team, m)
			}
		}
	}
	return nil
}

// referenceShuffledTeams is v2's "keyed shuffle of the pool, walked until the team is full", as
// written: the whole array A, r as a big integer, eligibility checked from scratch.
func referenceShuffledTeams(in Input, seed string, tasks []Task) error {
	conflicted := map[Conflict]bool{}
	for _, c := range in.Conflicts {
		conflicted[c] = true
	}
	rows := map[string]FrameRow{}
	for _, r := range in.Frame {
		rows[r.ID] = r
	}
	loads := map[string]int{}
	p := in.Params
	bureaus := slices.Sorted(func(yield func(string) bool) {
		for k := range p.Team {
			yield(k)
		}
	})
	for t := range tasks {
		e := rows[tasks[t].Entity]
		for _, bureau := range bureaus {
			unit, supervises := e.Units.Of(bureau)
			if !supervises {
				continue
			}
			var pool []Inspector
			for _, i := range in.Inspectors {
				qualified := i.Bureau == bureau
				for _, q := range p.RequiredQualifications[bureau] {
					qualified = qualified && slices.Contains(i.Qualifications, q)
				}
				if qualified {
					pool = append(pool, i)
				}
			}
			m := len(pool)
			a := make([]int, m)
			for j := range a {
				a[j] = j
			}
			taken := 0
			for j := 0; j < m && taken < p.Team[bureau]; j++ {
				h := refH("inspector", seed, e.ID, bureau, strconv.Itoa(j))
				r := new(big.Int).SetBytes(h[:8])
				x := j + int(new(big.Int).Mod(r, big.NewInt(int64(m-j))).Int64())
				a[j], a[x] = a[x], a[j]
				c := pool[a[j]]
				eligible := !conflicted[Conflict{c.ID, e.ID}] &&
					!(p.CrossUnit && c.Unit != "" && unit != "" && c.Unit == unit) &&
					(p.MaxTasksPerInspector == 0 || loads[c.ID] < p.MaxTasksPerInspector)
				if eligible {
					step := j
					tasks[t].Team = append(tasks[t].Team, TeamMember{Bureau: bureau, Inspector: c.ID, Step: &step})
					loads[c.ID]++
					taken++
				}
			}
			if taken < p.Team[bureau] {
				return &Error{Code: CodeInsufficientInspectors, Entity: e.ID, Bureau: bureau}
			}
		}
	}
	return nil
}
