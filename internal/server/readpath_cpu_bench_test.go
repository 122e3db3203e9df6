package server_test

import (
	"runtime/metrics"
	"strings"
	"syscall"
	"testing"
	"time"

	"shuangsuiji/internal/server"
)

// BenchmarkReadPathCPU measures what each of the read path's queries costs
// the Go process, one request at a time: allocations per request
// (-benchmem) and CPU per request (cpu-ms/op: the process's user and
// system time over the loop, from getrusage). The client is in the same
// process and counted too, the same before and after a change of the
// server; PostgreSQL is another process and is not. One request at a time,
// the process also spins looking for work while it waits on PostgreSQL, so
// cpu-ms/op is above what a request costs when 16 clients keep the process
// busy (BenchmarkReadPath's profile): compare it only before and after a
// change, run back to back. gc-cpu-ms/op is the part of it the garbage
// collector spent (the runtime's own estimate). Allocations do not depend on the machine's
// load, so a change of the server is judged on them first.
//
//	go test ./internal/server -run '^$' -bench ReadPathCPU -benchtime 400x -benchmem
func BenchmarkReadPathCPU(b *testing.B) {
	server.TuneGC() // as serve does
	e := newEnv(b)
	readPathData(b, e, 100_000, 1_500)
	rq := e.As("wl-leader")
	for _, q := range readQueries() {
		b.Run(strings.ReplaceAll(q.name, " ", ""), func(b *testing.B) {
			e.Do(rq, q.gql, q.vars).mustData(b, nil) // warm: the pool, the statements, the caches
			before, gcBefore := processCPU(b), gcCPU()
			b.ResetTimer()
			for range b.N {
				if r := e.Do(rq, q.gql, q.vars); len(r.Errors) > 0 || r.Status != 200 {
					b.Fatalf("status %d, errors %+v", r.Status, r.Errors)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64((processCPU(b)-before).Microseconds())/1000/float64(b.N), "cpu-ms/op")
			b.ReportMetric((gcCPU()-gcBefore)*1000/float64(b.N), "gc-cpu-ms/op")
		})
	}
}

// processCPU is the user and system time this process has used so far.
func processCPU(b *testing.B) time.Duration {
	b.Helper()
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// gcCPU is the CPU time the garbage collector has used so far, in seconds,
// as the runtime estimates it.
func gcCPU() float64 {
	sample := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(sample)
	return sample[0].Value.Float64()
}
