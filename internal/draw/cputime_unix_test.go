//go:build unix

package draw

import (
	"syscall"
	"time"
)

// cpuTime is the process's CPU time so far, user and system, on every thread (the garbage
// collector's included). On a machine shared with other work, wall time swings with the load;
// the CPU a run costs much less.
func cpuTime() (time.Duration, bool) {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0, false
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano()), true
}
