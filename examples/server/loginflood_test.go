package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLoginFloodIsBounded fires 200 concurrent logins at one server
// process (the built example server on SQLite, so that the memory
// measured is the whole server's and nothing of the test's): none fails
// with a server error, those the hash pool cannot take are refused with
// 503 and Retry-After, all others succeed, and the memory the process
// allocates (its peak anonymous resident memory, RssAnon, sampled every
// few milliseconds through the flood) stays within 32 MiB + 20 MiB per
// hash worker. Its whole peak resident memory (VmHWM, which adds the
// pages of the executable mapped from the file: code, pclntab, read-only
// data) is logged beside it. GOMAXPROCS=2 fixes the pool at two workers on
// any machine; the test asserts no timing.
func TestLoginFloodIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	if runtime.GOOS != "linux" { // on Linux, a missing /proc fails the test below rather than skipping it
		t.Skip("needs /proc/<pid>/status (Linux) to read the peak resident memory")
	}
	bin, err := buildServer()
	if err != nil {
		t.Fatal(err)
	}
	const workers, logins = 2, 200
	const email, password = "founder@example.com", "correct horse battery staple"
	p := startServer(t, bin, map[string]string{
		"GOMAXPROCS": strconv.Itoa(workers), "GOMEMLIMIT": "",
		envDatabaseURL: "sqlite:" + filepath.Join(t.TempDir(), "authos.db"), envNoRateLimits: "true",
		envOwnerEmail: email, envOwnerPassword: password,
	})
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	// One connection per login, all opened before the logins are sent.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: logins, DisableCompression: true}}
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	type result struct {
		status     int
		retryAfter string
		code       string
		err        error
	}
	results := make([]result, logins)
	for i := range logins {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			req, _ := http.NewRequest("POST", p.base+"/api/auth/login", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			ready.Done()
			<-start
			resp, err := client.Do(req)
			if err != nil {
				results[i].err = err
				return
			}
			defer func() { _ = resp.Body.Close() }() // the answer was read
			var env struct {
				Code   string `json:"error_code"`
				Access string `json:"access_token"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&env)
			results[i] = result{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), code: env.Code}
			if resp.StatusCode == http.StatusOK && env.Access == "" {
				results[i].err = fmt.Errorf("200 without an access token")
			}
		}()
	}
	ready.Wait()
	// The anonymous part of the peak is sampled: /proc reports the peak of
	// the total only (VmHWM), and RssFile at the end is not RssFile at the
	// peak.
	pid := p.cmd.Process.Pid
	sampled, stopSampling := make(chan int64), make(chan struct{})
	go func() {
		var peak int64
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			if st, err := readProcStatus(pid); err == nil && st["RssAnon"] > peak {
				peak = st["RssAnon"]
			}
			select {
			case <-stopSampling:
				sampled <- peak
				return
			case <-tick.C:
			}
		}
	}()
	close(start)
	done.Wait()
	close(stopSampling)
	anonPeak := <-sampled

	counts := map[int]int{}
	for i, r := range results {
		if r.err != nil {
			t.Errorf("login %d: %v", i, r.err)
			continue
		}
		counts[r.status]++
		switch r.status {
		case http.StatusOK:
		case http.StatusServiceUnavailable:
			if n, err := strconv.Atoi(r.retryAfter); err != nil || n < 1 || r.code != "SERVICE_UNAVAILABLE" {
				t.Errorf("login %d: 503 %s with Retry-After %q; want SERVICE_UNAVAILABLE and a delay in seconds", i, r.code, r.retryAfter)
			}
		default:
			t.Errorf("login %d: status %d %s; want 200 or 503", i, r.status, r.code)
		}
	}
	st := procStatus(t, pid)
	peak := st["VmHWM"]
	bound := int64(32+workers*20) << 20
	t.Logf("%d concurrent logins: %d × 200, %d × 503, %d × 500; server peak allocated memory (RssAnon, sampled) %.1f MiB "+
		"(bound 32 MiB + %d × 20 MiB = %d MiB); peak resident memory with the executable's pages (VmHWM) %.1f MiB, "+
		"of it mapped from files at the end %.1f MiB",
		logins, counts[200], counts[503], counts[500], mib(anonPeak), workers, bound>>20, mib(peak), mib(st["RssFile"]+st["RssShmem"]))
	if counts[http.StatusServiceUnavailable] == 0 {
		t.Errorf("no login was refused with 503: the hash pool queued all %d", logins)
	}
	if counts[http.StatusOK] == 0 {
		t.Errorf("no login succeeded")
	}
	if anonPeak == 0 || anonPeak > bound {
		t.Errorf("server peak allocated memory (RssAnon) %.1f MiB; want (0, 32 MiB + %d workers × 20 MiB = %d MiB]", mib(anonPeak), workers, bound>>20)
	}
	// The server still answers: the refused ones may simply retry.
	p.call(t, "POST", "/api/auth/login", "", map[string]string{"email": email, "password": password}, 200)
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// procStatus returns the memory lines (Vm*, Rss*) of /proc/<pid>/status,
// in bytes.
func procStatus(t *testing.T, pid int) map[string]int64 {
	t.Helper()
	out, err := readProcStatus(pid)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// readProcStatus is procStatus returning its error, for a goroutine that
// samples while the test waits.
func readProcStatus(pid int) (map[string]int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || !strings.HasPrefix(k, "Vm") && !strings.HasPrefix(k, "Rss") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s in /proc/%d/status: %q", k, pid, v)
		}
		out[k] = kb << 10
	}
	for _, k := range []string{"VmHWM", "RssAnon", "RssFile", "RssShmem"} {
		if _, ok := out[k]; !ok {
			return nil, fmt.Errorf("no %s in /proc/%d/status", k, pid)
		}
	}
	return out, nil
}
