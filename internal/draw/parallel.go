package draw

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// inParallel splits [0, n) into contiguous chunks, a few per CPU, and calls work(lo, hi) for
// each, one goroutine per CPU claiming chunks in turn; it returns when all are done. A core slowed
// by other work (the machine is shared) then does fewer chunks instead of leaving the other idle
// at the end. Below minChunk items per CPU it runs inline, since a goroutine costs more than it
// saves. Callers give each chunk its own hashers and scratch, and each chunk writes only its own
// part of the results, so the outcome never depends on scheduling.
func inParallel(n, minChunk int, work func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), max(1, n/minChunk))
	if workers <= 1 {
		work(0, n)
		return
	}
	chunks := min(chunksPerWorker*workers, n/minChunk)
	var next atomic.Int64
	claim := func() {
		for c := int(next.Add(1) - 1); c < chunks; c = int(next.Add(1) - 1) {
			work(n*c/chunks, n*(c+1)/chunks)
		}
	}
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Go(claim)
	}
	claim()
	wg.Wait()
}

// chunksPerWorker is how many chunks inParallel makes per CPU: enough that one slowed core's
// share moves to the other, few enough that each chunk's set-up stays negligible.
const chunksPerWorker = 4

// inClaimedChunks runs one worker per CPU (one in all when n is under two chunks); each claims
// chunks [lo, hi) of [0, n) in turn until none is left, so that a core slowed by other work does
// fewer of them instead of holding the others up. Which worker gets which chunk depends on
// scheduling: callers combine the workers' results in a way that does not (a sort, a sum).
func inClaimedChunks(n, chunk int, worker func(claim func() (lo, hi int, ok bool))) {
	var next atomic.Int64
	claim := func() (lo, hi int, ok bool) {
		lo = int(next.Add(int64(chunk))) - chunk
		return lo, min(n, lo+chunk), lo < n
	}
	workers := min(runtime.GOMAXPROCS(0), max(1, n/chunk))
	if workers <= 1 {
		worker(claim)
		return
	}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() { worker(claim) })
	}
	wg.Wait()
}
