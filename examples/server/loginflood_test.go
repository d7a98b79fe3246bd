package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestLoginFloodIsBounded fires 200 concurrent logins at one server
// process (the built example server on SQLite, so that the memory
// measured is the whole server's and nothing of the test's): none fails
// with a server error, those the hash pool cannot take are refused with
// 503 and Retry-After, all others succeed, and the process's peak resident
// memory (VmHWM: all its resident pages, its executable's mapped code and
// read-only data included) stays within 32 MiB + 20 MiB per hash worker.
// GOMAXPROCS=2 fixes the pool at two workers on any machine; the test
// asserts no timing.
func TestLoginFloodIsBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
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
	close(start)
	done.Wait()

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
	st := procStatus(t, p.cmd.Process.Pid)
	// VmHWM is the peak of all the process's resident pages: what it
	// allocated (anonymous memory) and the pages of its executable (code and
	// read-only data) mapped from the file, about 13 MiB of a 62 MB binary
	// here. The bound holds for the total. The split is only logged:
	// RssFile is read at the end, not at the peak, so VmHWM - RssFile -
	// RssShmem merely approximates the anonymous part of the peak.
	peak := st["VmHWM"]
	files := st["RssFile"] + st["RssShmem"]
	bound := int64(32+workers*20) << 20
	t.Logf("%d concurrent logins: %d × 200, %d × 503, %d × 500; server peak resident memory (VmHWM) %.1f MiB "+
		"(bound 32 MiB + %d × 20 MiB = %d MiB); at the end %.1f MiB of it mapped from files, so about %.1f MiB allocated",
		logins, counts[200], counts[503], counts[500], mib(peak), workers, bound>>20, mib(files), mib(peak-files))
	if counts[http.StatusServiceUnavailable] == 0 {
		t.Errorf("no login was refused with 503: the hash pool queued all %d", logins)
	}
	if counts[http.StatusOK] == 0 {
		t.Errorf("no login succeeded")
	}
	if peak > bound {
		t.Errorf("server peak resident memory %.1f MiB exceeds 32 MiB + %d workers × 20 MiB = %d MiB", mib(peak), workers, bound>>20)
	}
	// The server still answers: the refused ones may simply retry.
	p.call(t, "POST", "/api/auth/login", "", map[string]string{"email": email, "password": password}, 200)
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// procStatus returns the memory lines (Vm*, Rss*) of /proc/<pid>/status,
// in bytes.
func procStatus(t *testing.T, pid int) map[string]int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || !strings.HasPrefix(k, "Vm") && !strings.HasPrefix(k, "Rss") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			t.Fatalf("%s in /proc/%d/status: %q", k, pid, v)
		}
		out[k] = kb << 10
	}
	for _, k := range []string{"VmHWM", "RssFile", "RssShmem"} {
		if _, ok := out[k]; !ok {
			t.Fatalf("no %s in /proc/%d/status", k, pid)
		}
	}
	return out
}
