package main

import (
	"bytes"
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/authos/authos
BenchmarkLogin-2         	      20	  30000000 ns/op	  20000000 cpu-ns/op	19941822 B/op	     272 allocs/op
BenchmarkRawArgon2id-2   	      20	  29000000 ns/op	  10000000 cpu-ns/op	19925102 B/op	      23 allocs/op
BenchmarkLogin-2         	      20	  90000000 ns/op	19941822 B/op	     272 allocs/op
BenchmarkRawArgon2id-2   	      20	  28000000 ns/op	19925102 B/op	      23 allocs/op
BenchmarkLogin-2         	      20	  29500000 ns/op	19941822 B/op	     272 allocs/op
BenchmarkRawArgon2id-2   	      20	  40000000 ns/op	19925102 B/op	      23 allocs/op
BenchmarkMiddlewareCached-2   	 1000000	       2.5 ns/op	       0 B/op	       0 allocs/op
BenchmarkMiddlewareCached-2   	 1000000	       3.5 ns/op	       0 B/op	       1 allocs/op
BenchmarkMiddlewareCached-2   	 1000000	       3.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkRawJWTParse-2   	  20000	     50000 ns/op
BenchmarkMiddleware-2   	  20000	     60000 ns/op
BenchmarkRefresh/sqlite-2   	  2000	     500000 ns/op
BenchmarkRawRotationTx/sqlite-2   	  2000	     400000 ns/op
PASS
`

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}, {[]float64{90, 30, 29.5}, 30}} {
		if got := median(c.xs); got != c.want {
			t.Errorf("median(%v) = %v; want %v", c.xs, got, c.want)
		}
	}
}

func TestReport(t *testing.T) {
	got := map[string]*runs{}
	if err := parse(strings.NewReader(sample), got); err != nil {
		t.Fatal(err)
	}
	if n := len(got["BenchmarkLogin"].ns); n != 3 {
		t.Fatalf("BenchmarkLogin: %d runs; want 3 (the -2 suffix stripped)", n)
	}
	var out bytes.Buffer
	ok := report(&out, got)
	lines := map[string]string{}
	for _, l := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			lines[f[0]] = l
		}
	}
	for name, want := range map[string]string{
		// medians 30 ms / 29 ms: 1.034× (the 90 ms outlier ignored).
		"BenchmarkLogin": "1.034×",
		// 3 ns / 50 µs with 0 allocs (median of 0, 1, 0).
		"BenchmarkMiddlewareCached": "PASS",
		// 60/50 = 1.2 > 1.10.
		"BenchmarkMiddleware":       "FAIL",
		"BenchmarkRefresh/sqlite":   "1.250×",
		"BenchmarkGetUserHTTP":      "MISSING (no results for BenchmarkGetUserHTTP, BenchmarkBareHandlerHTTP)",
		"BenchmarkRefresh/postgres": "MISSING",
	} {
		if !strings.Contains(lines[name], want) {
			t.Errorf("%s line %q lacks %q\n%s", name, lines[name], want, out.String())
		}
	}
	if !strings.Contains(lines["BenchmarkLogin"], "PASS") || !strings.Contains(lines["BenchmarkRefresh/sqlite"], "PASS") {
		t.Errorf("passing pairs not marked PASS:\n%s", out.String())
	}
	if ok {
		t.Error("report passed with BenchmarkMiddleware over its target")
	}
	// The CPU-time row of the login pair: one run each, 20 ms / 10 ms.
	if !strings.Contains(out.String(), "(CPU time)") || !strings.Contains(out.String(), "2.000×") {
		t.Errorf("no CPU-time row 2.000× for the login pair:\n%s", out.String())
	}
	// The CPU-time row is information only: over its target (2.000× >
	// 1.05×) it says FAIL, yet the report passes on the wall time.
	onlyLogin := map[string]*runs{"BenchmarkLogin": got["BenchmarkLogin"], "BenchmarkRawArgon2id": got["BenchmarkRawArgon2id"]}
	out.Reset()
	if !report(&out, onlyLogin) {
		t.Errorf("report failed on the login pair's CPU-time row alone:\n%s", out.String())
	}
	var cpuRow string
	for l := range strings.SplitSeq(out.String(), "\n") {
		if strings.Contains(l, "(CPU time)") {
			cpuRow = l
		}
	}
	if !strings.Contains(cpuRow, "2.000×") || !strings.Contains(cpuRow, "FAIL") {
		t.Errorf("login CPU-time row %q; want 2.000× FAIL\n%s", cpuRow, out.String())
	}
	// An allocation on the cached path fails it whatever the time.
	got["BenchmarkMiddlewareCached"].allocs = []float64{1, 1, 0}
	if v := judge(pairs[1], got); v.status != "FAIL" {
		t.Errorf("cached middleware with 1 alloc/op: %s", v.status)
	}
}

// rowsOf reports got and returns its rows by benchmark name, and whether
// the report passed.
func rowsOf(t *testing.T, in string) (map[string]string, bool, string) {
	t.Helper()
	got := map[string]*runs{}
	if err := parse(strings.NewReader(in), got); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	ok := report(&out, got)
	rows := map[string]string{}
	for l := range strings.SplitSeq(out.String(), "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			rows[f[0]] = l
		}
	}
	return rows, ok, out.String()
}

// A benchmark that failed in a run makes its pair FAILED, not MISSING, and
// the report fail: a failed sub-benchmark (go test also marks its parent
// failed, which leaves the parent's other sub-benchmarks alone), a run
// that bench/run.sh marked failed after a panic or a non-zero exit (which
// covers the sub-benchmarks of the benchmark it ran), a failure in one
// round of several, a -N suffix. A skipped benchmark leaves its pair
// MISSING, saying so.
func TestReportFailed(t *testing.T) {
	const fine = `BenchmarkRawJWTParse-2   	  20000	     50000 ns/op
BenchmarkMiddleware-2   	  20000	     51000 ns/op
BenchmarkMiddlewareCached-2   	 1000000	       2.5 ns/op	       0 B/op	       0 allocs/op
BenchmarkBareHandlerHTTP-2   	  20000	     10000 ns/op
BenchmarkRawRotationTx/sqlite-2   	  2000	     400000 ns/op
BenchmarkRawRotationTx/postgres-2   	  2000	     400000 ns/op
`
	for _, c := range []struct {
		name, in string
		want     map[string]string
	}{
		{"sub-benchmark", fine + `BenchmarkRefresh/sqlite-2   	  2000	     500000 ns/op
--- FAIL: BenchmarkRefresh/postgres
    refresh_bench_test.go:40: dial tcp 127.0.0.1:5432: connect: connection refused
--- FAIL: BenchmarkRefresh
FAIL
`, map[string]string{
			"BenchmarkRefresh/postgres": "FAILED (BenchmarkRefresh/postgres failed in a run)",
			"BenchmarkRefresh/sqlite":   "PASS",
			"BenchmarkMiddleware":       "PASS",
		}},
		{"marked by run.sh", fine + `panic: runtime error: invalid memory address or nil pointer dereference
--- FAIL: BenchmarkGetUserHTTP (bench/run.sh: exit 2)
--- FAIL: BenchmarkRefresh (bench/run.sh: exit 1)
`, map[string]string{
			"BenchmarkGetUserHTTP":      "FAILED (BenchmarkGetUserHTTP failed in a run)",
			"BenchmarkRefresh/sqlite":   "FAILED (BenchmarkRefresh/sqlite failed in a run)",
			"BenchmarkRefresh/postgres": "FAILED (BenchmarkRefresh/postgres failed in a run)",
			"BenchmarkMiddleware":       "PASS",
		}},
		{"one round of two, with a suffix", fine + fine + `BenchmarkGetUserHTTP-2   	  20000	     11000 ns/op
--- FAIL: BenchmarkGetUserHTTP-2
`, map[string]string{
			"BenchmarkGetUserHTTP": "FAILED (BenchmarkGetUserHTTP failed in a run)",
			"BenchmarkMiddleware":  "PASS",
		}},
		{"the raw primitive", fine + `BenchmarkLogin-2   	  40	  30000000 ns/op
--- FAIL: BenchmarkRawArgon2id
`, map[string]string{
			"BenchmarkLogin": "FAILED (BenchmarkRawArgon2id failed in a run)",
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rows, ok, out := rowsOf(t, c.in)
			for name, want := range c.want {
				if !strings.Contains(rows[name], want) {
					t.Errorf("%s row %q lacks %q\n%s", name, rows[name], want, out)
				}
			}
			if ok {
				t.Errorf("the report passed with a FAILED pair\n%s", out)
			}
		})
	}

	rows, ok, out := rowsOf(t, fine+`BenchmarkRefresh/sqlite-2   	  2000	     500000 ns/op
BenchmarkGetUserHTTP-2   	  20000	     11000 ns/op
--- SKIP: BenchmarkRefresh/postgres
    refresh_bench_test.go:35: AUTHOS_TEST_POSTGRES_URL not set
BenchmarkLogin-2   	  40	  30000000 ns/op
BenchmarkRawArgon2id-2   	  40	  29000000 ns/op
PASS
`)
	if want := "MISSING (no results for BenchmarkRefresh/postgres; BenchmarkRefresh/postgres skipped)"; !strings.Contains(rows["BenchmarkRefresh/postgres"], want) {
		t.Errorf("skipped pair: row %q lacks %q\n%s", rows["BenchmarkRefresh/postgres"], want, out)
	}
	if !ok {
		t.Errorf("the report failed on a skipped pair alone\n%s", out)
	}
}
