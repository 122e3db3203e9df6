package server_test

import (
	"runtime/debug"
	"testing"

	"shuangsuiji/internal/server"
)

func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	t.Run("Defaults", func(t *testing.T) {
		t.Setenv("GOGC", "")
		t.Setenv("GOMEMLIMIT", "")
		percent, limit := server.TuneGC()
		if percent != server.GCPercent || limit != server.GCMemoryLimit {
			t.Errorf("TuneGC() = %d, %d; want %d, %d", percent, limit, server.GCPercent, server.GCMemoryLimit)
		}
	})
	t.Run("OperatorsChoiceKept", func(t *testing.T) {
		// The runtime applied GOGC and GOMEMLIMIT at start; these stand
		// for them.
		debug.SetGCPercent(150)
		debug.SetMemoryLimit(256 << 20)
		t.Setenv("GOGC", "150")
		t.Setenv("GOMEMLIMIT", "256MiB")
		percent, limit := server.TuneGC()
		if percent != 150 || limit != 256<<20 {
			t.Errorf("TuneGC() = %d, %d; want the operator's 150, %d", percent, limit, 256<<20)
		}
	})
}
