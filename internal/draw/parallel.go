package draw

import (
	"runtime"
	"sync"
)

// inParallel splits [0, n) into one contiguous chunk per CPU and calls work(lo, hi) for each,
// concurrently; it returns when all are done. Below minChunk items per CPU it runs inline, since
// a goroutine costs more than it saves. Callers give each chunk its own hashers and scratch, and
// each chunk writes only its own part of the results, so the outcome never depends on scheduling.
func inParallel(n, minChunk int, work func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), max(1, n/minChunk))
	if workers <= 1 {
		work(0, n)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := n*w/workers, n*(w+1)/workers
		wg.Go(func() { work(lo, hi) })
	}
	wg.Wait()
}
