package draw

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// BenchmarkRun draws a big county's frame at three sizes: the cost must grow linearly with the
// frame (the tasks, and so the team rankings, grow with it). The sorted variants are explained at
// BenchmarkCommit. The stored variants draw the input as a store hands it to Run, decoded from
// its binary form: the frame in id order, its ids in one buffer, and every stratum, bureau and
// unit one string of a dictionary (the sorted variants' bureau and unit strings are one per row,
// scattered in memory). A stored variant runs first, with no other input of its size alive, as in
// the store's process: the collector marks all the heap holds at each cycle, and the unordered and
// sorted inputs of a million rows, held beside the stored one, were most of it.
func BenchmarkRun(b *testing.B) {
	for _, rows := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("rows=%d/stored", rows), func(b *testing.B) { benchmarkRun(b, storedInput(b, rows)) })
		in := syntheticInput(rand.New(rand.NewPCG(1, 2)), bigCounty(rows))
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) { benchmarkRun(b, in) })
		in.Frame = sortedFrame(in.Frame)
		b.Run(fmt.Sprintf("rows=%d/sorted", rows), func(b *testing.B) { benchmarkRun(b, in) })
	}
}

// storedInput is the stored variant's input of a big county of the given rows: the sorted
// variant's, through its binary form; nothing else of it stays alive. The collector runs once
// before the runs, so that its pace is set by what stays alive, not by what was built.
func storedInput(b *testing.B, rows int) Input {
	in := syntheticInput(rand.New(rand.NewPCG(1, 2)), bigCounty(rows))
	in.Frame = sortedFrame(in.Frame)
	stored := storedForm(b, in)
	runtime.GC()
	return stored
}

// storedForm returns in as a store reads it back: through its binary form.
func storedForm(b *testing.B, in Input) Input {
	data, err := in.MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	stored, err := UnmarshalBinaryInput(data)
	if err != nil {
		b.Fatal(err)
	}
	return stored
}

func benchmarkRun(b *testing.B, in Input) {
	b.ReportAllocs()
	var tasks int
	cpu, measured := cpuTime()
	for b.Loop() {
		m, err := Run(in)
		if err != nil {
			b.Fatal(err)
		}
		tasks = len(m.Tasks)
	}
	if after, ok := cpuTime(); measured && ok {
		b.ReportMetric((after-cpu).Seconds()/float64(b.N), "cpu-s/op")
	}
	b.ReportMetric(float64(tasks), "tasks")
}

// BenchmarkCommit is the freeze-time part of a draw (validation, sorting, salts, commitments and
// hashes): Run costs this plus the entity tickets and the team rankings. The sorted variants give
// a frame that arrives in id order with its strings allocated in that order, as a frame read with
// ORDER BY id COLLATE "C" does: no sort, and every pass reads memory in order.
func BenchmarkCommit(b *testing.B) {
	for _, rows := range []int{10_000, 100_000, 1_000_000} {
		in := syntheticInput(rand.New(rand.NewPCG(1, 2)), bigCounty(rows))
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) { benchmarkCommit(b, in) })
		in.Frame = sortedFrame(in.Frame)
		b.Run(fmt.Sprintf("rows=%d/sorted", rows), func(b *testing.B) { benchmarkCommit(b, in) })
	}
}

func benchmarkCommit(b *testing.B, in Input) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Commit(in); err != nil {
			b.Fatal(err)
		}
	}
}

// sortedFrame returns the frame in id order with its strings copied in that order.
func sortedFrame(frame []FrameRow) []FrameRow {
	sorted := slices.SortedFunc(slices.Values(frame), compareFrameRows)
	for i, r := range sorted {
		sorted[i] = FrameRow{ID: strings.Clone(r.ID), Stratum: strings.Clone(r.Stratum), Unit: strings.Clone(r.Unit), Units: slices.Clone(r.Units)}
	}
	return sorted
}

// BenchmarkBinaryForm encodes and decodes a frozen input of a million rows, as a store keeps it
// between freezing and the ceremony.
func BenchmarkBinaryForm(b *testing.B) {
	in := syntheticInput(rand.New(rand.NewPCG(1, 2)), bigCounty(1_000_000))
	in.Frame = sortedFrame(in.Frame)
	data, _ := in.MarshalBinary()
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := in.MarshalBinary(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(data))/1e6, "MB")
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := UnmarshalBinaryInput(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkParticipantOpenings is what the ceremony of a joint draw adds so that no participant
// reads the sealed input: the openings of the rows each participant but the lead supervises, as
// canonical JSON (the store gzips and keeps them).
func BenchmarkParticipantOpenings(b *testing.B) {
	for _, rows := range []int{100_000, 1_000_000} {
		s := bigCounty(rows)
		s.bureaus = 2 // a joint draw of two bureaus, each entity supervised by one or both
		in := syntheticInput(rand.New(rand.NewPCG(1, 2)), s)
		m, err := Run(in)
		if err != nil {
			b.Fatal(err)
		}
		var bureaus []string
		for i := range s.bureaus {
			bureaus = append(bureaus, bureauName(i))
		}
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			b.ReportAllocs()
			var size int
			for b.Loop() {
				out, err := ParticipantOpenings(m, bureaus[0], bureaus)
				if err != nil {
					b.Fatal(err)
				}
				size = 0
				for _, o := range out {
					size += len(o)
				}
			}
			b.ReportMetric(float64(size)/1e6, "MB")
		})
	}
}
