package sqltest

import "testing"

// cpuPerOp starts measuring the process's CPU time (user and system, every
// thread, as the operating system counts it) and returns the function that
// reports it per operation as "cpu-µs/op". On a machine of n cores a
// benchmark's ns/op cannot fall below cpu-µs/op ÷ n however its work is
// spread: the figure bounds what batching or more goroutines can win. It
// counts this process only (a PostgreSQL server's own CPU is not in it),
// and reports nothing where the platform cannot say (see processCPU).
func cpuPerOp(b *testing.B) (stop func()) {
	start, ok := processCPU()
	return func() {
		end, ok2 := processCPU()
		if ok && ok2 && b.N > 0 {
			b.ReportMetric(float64(end-start)/1e3/float64(b.N), "cpu-µs/op")
		}
	}
}
