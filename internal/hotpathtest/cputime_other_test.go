//go:build !unix

package hotpathtest_test

import "time"

// processCPU is the CPU time the process has used so far; not available
// here (ok false).
func processCPU() (time.Duration, bool) { return 0, false }
