package server_test

import (
	"syscall"
	"testing"
	"time"
)

// reportCPUPerOp adds the process's CPU time per operation (user and
// system, every goroutine: the handler, the group commit, the audit flush)
// to a benchmark's figures. On a shared machine the wall clock per
// operation measures the neighbours too; the CPU time says what the
// operation itself costs. Call it when the timed loop starts; the returned
// function reports at its end.
func reportCPUPerOp(b *testing.B) func() {
	start := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
	}
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
