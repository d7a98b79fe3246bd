// Command ratios reads `go test -bench` output (files named as arguments,
// or standard input), takes the median of each benchmark's ns/op and
// allocs/op over its runs, and prints the ratio of each benchmark of issue
// 15 to its raw primitive with the target and PASS or FAIL. A pair whose
// benchmark failed in a run ("--- FAIL: BenchmarkX", which bench/run.sh
// also writes for a run that panicked or exited non-zero) is reported as
// FAILED, one without results otherwise as MISSING (with the benchmarks
// that skipped). It exits 1 when a ratio fails or a pair FAILED.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// pair is one benchmark measured against its raw primitive.
type pair struct {
	Name, Raw string
	Max       float64 // the ratio Name/Raw must not exceed
	MaxAllocs int     // >= 0: allocs/op of Name must not exceed it; -1: not checked
}

// pairs are the acceptance ratios of issue 15.
var pairs = []pair{
	{"BenchmarkMiddleware", "BenchmarkRawJWTParse", 1.10, -1},
	{"BenchmarkMiddlewareCached", "BenchmarkRawJWTParse", 0.05, 0},
	{"BenchmarkLogin", "BenchmarkRawArgon2id", 1.05, -1},
	{"BenchmarkRefresh/sqlite", "BenchmarkRawRotationTx/sqlite", 1.5, -1},
	{"BenchmarkRefresh/postgres", "BenchmarkRawRotationTx/postgres", 1.3, -1},
	{"BenchmarkGetUserHTTP", "BenchmarkBareHandlerHTTP", 1.5, -1},
}

// runs are the measurements of one benchmark: wall time, allocations and,
// when the benchmark reports it, process CPU time per operation; and
// whether it failed or skipped in a run.
type runs struct {
	ns, allocs, cpu []float64
	failed, skipped bool
}

// benchLine matches "BenchmarkX/sub-8  123  456.7 ns/op  ... 3 allocs/op".
var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([0-9.]+) ns/op(.*)$`)

// outcomeLine matches "--- FAIL: BenchmarkX/sub" and "--- SKIP: BenchmarkX"
// (with an optional -N suffix and a parenthesized remark).
var outcomeLine = regexp.MustCompile(`^--- (FAIL|SKIP): (Benchmark\S+?)(?:-\d+)?(?:\s|$)`)

var (
	allocsField = regexp.MustCompile(`([0-9.]+) allocs/op`)
	cpuField    = regexp.MustCompile(`([0-9.]+) cpu-ns/op`)
)

// of returns the runs of benchmark name in into, adding them if new.
func of(into map[string]*runs, name string) *runs {
	rs := into[name]
	if rs == nil {
		rs = &runs{}
		into[name] = rs
	}
	return rs
}

// parse collects the runs of every benchmark in r.
func parse(r io.Reader, into map[string]*runs) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if o := outcomeLine.FindStringSubmatch(line); o != nil {
			if o[1] == "FAIL" {
				of(into, o[2]).failed = true
			} else {
				of(into, o[2]).skipped = true
			}
			continue
		}
		m := benchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		ns, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			continue
		}
		rs := of(into, m[1])
		rs.ns = append(rs.ns, ns)
		if a := allocsField.FindStringSubmatch(m[3]); a != nil {
			if n, err := strconv.ParseFloat(a[1], 64); err == nil {
				rs.allocs = append(rs.allocs, n)
			}
		}
		if c := cpuField.FindStringSubmatch(m[3]); c != nil {
			if n, err := strconv.ParseFloat(c[1], 64); err == nil {
				rs.cpu = append(rs.cpu, n)
			}
		}
	}
	return sc.Err()
}

// median of xs (the mean of the middle two for an even count); 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// verdict is the outcome of one pair.
type verdict struct {
	pair
	ns, rawNS, ratio float64
	allocs           float64
	n, rawN          int
	status           string // PASS, FAIL, FAILED, MISSING
	note             string
}

// failed tells whether benchmark name failed in a run: it is marked
// failed, or a parent of it is whose failure no failed sub-benchmark
// explains (a run that panicked or exited names only the benchmark it ran;
// go test marks the parents of a failed sub-benchmark failed too).
func failed(name string, got map[string]*runs) bool {
	if r := got[name]; r != nil && r.failed {
		return true
	}
	for parent := name; strings.Contains(parent, "/"); {
		parent = parent[:strings.LastIndex(parent, "/")]
		if r := got[parent]; r == nil || !r.failed {
			continue
		}
		explained := false
		for n, r := range got {
			explained = explained || r.failed && strings.HasPrefix(n, parent+"/")
		}
		if !explained {
			return true
		}
	}
	return false
}

func judge(p pair, got map[string]*runs) verdict {
	v := verdict{pair: p, status: "PASS"}
	var broken, missing, skipped []string
	for _, name := range []string{p.Name, p.Raw} {
		if failed(name, got) {
			broken = append(broken, name)
		}
		if r := got[name]; r == nil || len(r.ns) == 0 {
			missing = append(missing, name)
			if r != nil && r.skipped {
				skipped = append(skipped, name)
			}
		}
	}
	if len(broken) > 0 {
		v.status, v.note = "FAILED", strings.Join(broken, ", ")+" failed in a run"
		return v
	}
	if len(missing) > 0 {
		v.status, v.note = "MISSING", "no results for "+strings.Join(missing, ", ")
		if len(skipped) > 0 {
			v.note += "; " + strings.Join(skipped, ", ") + " skipped"
		}
		return v
	}
	a, b := got[p.Name], got[p.Raw]
	v.ns, v.rawNS, v.n, v.rawN = median(a.ns), median(b.ns), len(a.ns), len(b.ns)
	v.ratio = v.ns / v.rawNS
	v.allocs = median(a.allocs)
	if v.ratio > p.Max {
		v.status = "FAIL"
	}
	if p.MaxAllocs >= 0 {
		if len(a.allocs) == 0 {
			v.status, v.note = "FAIL", "no allocs/op reported (b.ReportAllocs or -benchmem)"
		} else if v.allocs > float64(p.MaxAllocs) {
			v.status, v.note = "FAIL", fmt.Sprintf("%g allocs/op > %d", v.allocs, p.MaxAllocs)
		}
	}
	return v
}

// report prints the table of verdicts and tells whether no pair failed its
// target or FAILED.
func report(w io.Writer, got map[string]*runs) bool {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "benchmark\traw primitive\tmedian ns/op\traw ns/op\tratio\ttarget\truns\tresult")
	ok := true
	for _, p := range pairs {
		v := judge(p, got)
		target := fmt.Sprintf("<= %.2f×", p.Max)
		if p.MaxAllocs >= 0 {
			target += fmt.Sprintf(", <= %d allocs", p.MaxAllocs)
		}
		if v.status == "FAILED" {
			ok = false
		}
		if v.status == "MISSING" || v.status == "FAILED" {
			_, _ = fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t%s\t-\t%s (%s)\n", p.Name, p.Raw, target, v.status, v.note)
			continue
		}
		res := v.status
		if v.note != "" {
			res += " (" + v.note + ")"
		}
		if v.status == "FAIL" {
			ok = false
		}
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.3f×\t%s\t%d/%d\t%s\n", p.Name, p.Raw, fmtNS(v.ns), fmtNS(v.rawNS), v.ratio, target, v.n, v.rawN, res)
		// The same ratio in CPU time, when both report it (wall time
		// suffers from other processes on a loaded machine; CPU time
		// much less). Shown for information; the verdict is the wall time's.
		if a, b := got[p.Name].cpu, got[p.Raw].cpu; len(a) > 0 && len(b) > 0 {
			c, rc := median(a), median(b)
			cres := "PASS"
			if c/rc > p.Max {
				cres = "FAIL"
			}
			_, _ = fmt.Fprintf(tw, "  (CPU time)\t\t%s\t%s\t%.3f×\t<= %.2f×\t%d/%d\t%s\n", fmtNS(c), fmtNS(rc), c/rc, p.Max, len(a), len(b), cres)
		}
	}
	_ = tw.Flush() // w is the terminal
	return ok
}

// fmtNS shows a duration in ns with a readable unit.
func fmtNS(ns float64) string {
	switch {
	case ns >= 1e6:
		return strconv.FormatFloat(ns/1e6, 'f', 2, 64) + " ms"
	case ns >= 1e3:
		return strconv.FormatFloat(ns/1e3, 'f', 2, 64) + " µs"
	}
	return strconv.FormatFloat(ns, 'f', 1, 64) + " ns"
}

func main() {
	got := map[string]*runs{}
	if len(os.Args) == 1 {
		if err := parse(os.Stdin, got); err != nil {
			fmt.Fprintln(os.Stderr, "ratios:", err)
			os.Exit(2)
		}
	}
	for _, name := range os.Args[1:] {
		f, err := os.Open(name)
		if err == nil {
			err = parse(f, got)
			_ = f.Close() // read only
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "ratios:", err)
			os.Exit(2)
		}
	}
	if !report(os.Stdout, got) {
		os.Exit(1)
	}
}
