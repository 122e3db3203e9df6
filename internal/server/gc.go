package server

import (
	"os"
	"runtime/debug"
	runtimemetrics "runtime/metrics"
)

// The serving process keeps a small live heap (about 5 MB between
// requests: the schema, the policy, the pools), while a request allocates
// from 0.35 MB (a small dashboard) to 2.5 MB (four draws of 50 tasks).
// Under Go's default GOGC=100 the collector runs whenever the heap has
// doubled, that is after every 15 small or 2 large requests, and took a
// fifth of the process's CPU in the read path's benchmark. Letting the
// heap grow to five times what is live before collecting cuts the
// collector's CPU by five to seven times (BENCHMARKS.md, "Go CPU per
// request") for a heap of about 25 MB instead of 10. The large heaps of
// an import or a draw of a million rows (up to ~170 MB live) would be
// let grow that far too; the soft memory limit makes the collector run
// earlier when the whole process nears it.
const (
	// GCPercent is the garbage collector's target (GOGC) when the
	// environment sets none.
	GCPercent = 400
	// GCMemoryLimit is the soft memory limit (GOMEMLIMIT) when the
	// environment sets none.
	GCMemoryLimit = 1 << 30
)

// TuneGC sets the collector's pace for serving: GCPercent and
// GCMemoryLimit, each unless the operator chose it with GOGC or GOMEMLIMIT
// (which the runtime has applied already). It returns what is in force.
func TuneGC() (percent int, memoryLimit int64) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(GCMemoryLimit)
	}
	in := []runtimemetrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/gomemlimit:bytes"}}
	runtimemetrics.Read(in)
	return int(in[0].Value.Uint64()), int64(in[1].Value.Uint64())
}
