//go:build !unix

package sqltest

import "time"

// processCPU cannot say on this platform: cpuPerOp reports nothing.
func processCPU() (time.Duration, bool) { return 0, false }
