package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/authos/authos/webhook"
)

// buildServer compiles this example server once per test binary.
var buildServer = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "authos-server-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "authos-server")
	// Pure Go, as the project is and as a server is deployed (a static
	// binary): with cgo the process would also map the C library, and its
	// threads' stacks would come from it.
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// slowReceiver is a loopback webhook endpoint that takes delay to answer
// 204, verifying each signature; it records every request it started and
// every one it answered.
type slowReceiver struct {
	t      *testing.T
	srv    *httptest.Server
	delay  time.Duration
	secret string

	mu        sync.Mutex
	started   int
	ids       map[string]map[string]bool // event_id -> webhook-ids seen
	delivered map[string]int             // event_id -> 2xx answers completed
	bad       []string
}

func newSlowReceiver(t *testing.T, delay time.Duration) *slowReceiver {
	rc := &slowReceiver{t: t, delay: delay, ids: map[string]map[string]bool{}, delivered: map[string]int{}}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		var p webhook.Payload
		_ = json.Unmarshal(body, &p)
		ev, _ := p.Data["event_id"].(string)
		rc.mu.Lock()
		rc.started++
		if err := webhook.Verify(rc.secret, r.Header, body, time.Now(), 0); err != nil {
			rc.bad = append(rc.bad, err.Error())
		}
		if rc.ids[ev] == nil {
			rc.ids[ev] = map[string]bool{}
		}
		rc.ids[ev][r.Header.Get("webhook-id")] = true
		rc.mu.Unlock()
		select {
		case <-time.After(rc.delay):
		case <-r.Context().Done():
			return // the sender died mid-delivery
		}
		w.WriteHeader(http.StatusNoContent)
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		rc.mu.Lock()
		rc.delivered[ev]++
		rc.mu.Unlock()
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *slowReceiver) counts() (started, deliveredEvents int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.started, len(rc.delivered)
}

// serverProcess is the example server running as a child process.
type serverProcess struct {
	cmd  *exec.Cmd
	base string
	logs *bytes.Buffer
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func startServer(t *testing.T, bin string, vars map[string]string) *serverProcess {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), envAddr+"="+addr, envBaseURL+"=http://"+addr)
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logs := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serverProcess{cmd: cmd, base: "http://" + addr, logs: logs}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill() // the test ends; its answer no longer matters
			_ = p.cmd.Wait()
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(p.base + "/.well-known/jwks.json")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the server did not start:\n%s", logs)
	return nil
}

func (p *serverProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = p.cmd.Wait() // "signal: killed", as intended
}

// call sends a JSON request to the server process.
func (p *serverProcess) call(t *testing.T, method, path, bearer string, body any, want int) map[string]any {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }() // read to the end
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d %s; want %d", method, path, resp.StatusCode, raw, want)
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return m
}

// TestWebhookDeliverySurvivesSIGKILL runs the example server as a process
// delivering to a slow loopback endpoint, kills it with SIGKILL while
// deliveries are in flight, and starts it again on the same database:
// every event is delivered at least once and the duplicates carry the
// same webhook-id.
func TestWebhookDeliverySurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server; skipped with -short")
	}
	bin, err := buildServer()
	if err != nil {
		t.Fatal(err)
	}
	key := base64.StdEncoding.EncodeToString(randomKey())
	backends := map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "authos.db") },
	}
	if os.Getenv("AUTHOS_TEST_POSTGRES_URL") != "" {
		backends["postgres"] = postgresSchemaURL
	} else {
		t.Log("AUTHOS_TEST_POSTGRES_URL not set: PostgreSQL case skipped")
	}
	for name, dbURL := range backends {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			crashAndRecover(t, bin, map[string]string{
				envDatabaseURL: dbURL(t), envEncryptionKey: key, envAllowPrivate: "true", envAutoApprove: "true",
				envOwnerEmail: "founder@example.com", envOwnerPassword: "correct horse battery staple",
			})
		})
	}
}

func crashAndRecover(t *testing.T, bin string, vars map[string]string) {
	const events = 40
	rc := newSlowReceiver(t, 700*time.Millisecond)
	p := startServer(t, bin, vars)
	tok := p.call(t, "POST", "/api/auth/login", "", map[string]string{"email": "founder@example.com", "password": "correct horse battery staple"}, 200)["access_token"].(string)
	p.call(t, "POST", "/api/organizations", tok, map[string]string{"slug": "acme", "name": "Acme"}, 201)
	created := p.call(t, "POST", "/api/organizations/acme/webhooks", tok, map[string]any{"name": "slow", "url": rc.srv.URL + "/hook", "events": []string{"organization.updated"}}, 201)
	rc.mu.Lock()
	rc.secret = created["secret"].(string)
	rc.mu.Unlock()
	whID := created["webhook"].(map[string]any)["id"].(string)
	for i := range events {
		p.call(t, "PATCH", "/api/organizations/acme", tok, map[string]string{"name": "Acme " + strconv.Itoa(i)}, 200)
	}
	// Kill while deliveries are in flight: some answered, more started.
	deadline := time.Now().Add(60 * time.Second)
	for {
		started, done := rc.counts()
		if done >= 3 && started > done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no delivery in flight within a minute (started %d, delivered %d):\n%s", started, done, p.logs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.kill(t)
	startedAtKill, deliveredAtKill := rc.counts()
	t.Logf("killed with %d events delivered, %d requests started", deliveredAtKill, startedAtKill)
	if deliveredAtKill == events {
		t.Fatal("every event was delivered before the kill: nothing was in flight")
	}

	p = startServer(t, bin, vars)
	// Leases of the killed process run out after a minute at most; the
	// rest is 40 sequential deliveries of 700 ms each, slower on a loaded machine.
	deadline = time.Now().Add(300 * time.Second)
	for {
		if _, done := rc.counts(); done == events {
			break
		}
		if time.Now().After(deadline) {
			_, done := rc.counts()
			t.Fatalf("after the restart, %d of %d events delivered:\n%s", done, events, p.logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// A delivery the receiver answered just as the process died is recorded
	// as delivered only after its lease runs out and it is sent again: wait
	// for the log to agree that every delivery was delivered.
	tok = p.call(t, "POST", "/api/auth/login", "", map[string]string{"email": "founder@example.com", "password": "correct horse battery staple"}, 200)["access_token"].(string)
	var l []any
	for {
		l = p.call(t, "GET", "/api/organizations/acme/webhooks/"+whID+"/deliveries?limit=100", tok, nil, 200)["deliveries"].([]any)
		pending := 0
		for _, x := range l {
			if x.(map[string]any)["status"] != "delivered" {
				pending++
			}
		}
		if len(l) == events && pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the log holds %d deliveries, %d not delivered; want %d delivered:\n%s", len(l), pending, events, p.logs)
		}
		time.Sleep(500 * time.Millisecond)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.bad) > 0 {
		t.Errorf("signatures that do not verify: %q", rc.bad)
	}
	dups := 0
	for ev, ids := range rc.ids {
		if len(ids) != 1 {
			t.Errorf("event %s arrived with %d webhook-ids: %v", ev, len(ids), ids)
		}
		if rc.delivered[ev] == 0 {
			t.Errorf("event %s never answered 2xx", ev)
		}
		if rc.delivered[ev] > 1 {
			dups++
		}
	}
	t.Logf("%d events, %d requests in all, %d events delivered more than once", len(rc.delivered), rc.started, dups)
	if len(rc.ids) != events {
		t.Errorf("%d distinct events arrived; want %d", len(rc.ids), events)
	}
}
