package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"
)

// logBuffer collects the log output of run, safe for concurrent use.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var listeningRE = regexp.MustCompile(`listening on (127\.0\.0\.1:\d+) `)

// serve runs the example until the returned stop is called, which
// returns run's error; base is the URL it listens on, read from its log.
func serve(t *testing.T) (base string, stop func() error) {
	t.Helper()
	logs := &logBuffer{}
	log.SetOutput(logs)
	t.Cleanup(func() { log.SetOutput(os.Stderr) })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	var stopped bool
	stop = func() error {
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			t.Fatal("run did not return after the context ended")
			return nil
		}
	}
	// A test that fails before it stops the example still ends it, before
	// its temporary directories are removed and the log output restored.
	t.Cleanup(func() {
		if !stopped {
			_ = stop()
		}
	})
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if m := listeningRE.FindStringSubmatch(logs.String()); m != nil {
			return "http://" + m[1], stop
		}
		select {
		case err := <-done:
			t.Fatalf("run returned before listening: %v\n%s", err, logs)
		default:
		}
	}
	_ = stop()
	t.Fatalf("no listening line in the log:\n%s", logs)
	return "", nil
}

// post sends a JSON body and returns the status and the decoded answer.
func post(t *testing.T, url string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }() // read to the end below
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out) // a bodiless answer leaves out nil
	return resp.StatusCode, out
}

// Without AUTHOS_ENCRYPTION_KEY, basic listens on AUTHOS_ADDR, keeps its
// database in a temporary directory while it runs, and removes it on
// exit; /hello needs an access token.
func TestThrowawayDatabaseRemoved(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // os.MkdirTemp("", ...) creates the directory here
	t.Setenv("AUTHOS_ENCRYPTION_KEY", "")
	t.Setenv("AUTHOS_ADDR", "127.0.0.1:0")
	t.Chdir(t.TempDir()) // a basic.db in the working directory would show there

	base, stop := serve(t)
	if code, body := post(t, base+"/api/auth/register", map[string]string{"email": "ada@example.com", "password": "analytical engine 1843"}); code != 201 {
		t.Fatalf("register: %d %v", code, body)
	}
	resp, err := http.Get(base + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close() // only the status matters
	if resp.StatusCode != 401 {
		t.Errorf("GET /hello without a token: %d; want 401", resp.StatusCode)
	}
	dbs, _ := filepath.Glob(filepath.Join(tmp, "authos-basic-*", "basic.db"))
	if len(dbs) != 1 {
		t.Fatalf("while running: databases %v under %s; want one authos-basic-*/basic.db", dbs, tmp)
	}
	if err := stop(); err != nil {
		t.Fatalf("run: %v", err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("after exit, %s still holds %v; want the temporary database removed", tmp, left)
	}
	if _, err := os.Stat("basic.db"); !os.IsNotExist(err) {
		t.Errorf("basic.db in the working directory: %v; want none without AUTHOS_ENCRYPTION_KEY", err)
	}
}

// With AUTHOS_ENCRYPTION_KEY, the database is basic.db in the working
// directory, kept across restarts: an account made in the first run is
// known in the second (its login answers EMAIL_NOT_VERIFIED, not
// INVALID_CREDENTIALS).
func TestKeptDatabaseWithKey(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	t.Setenv("AUTHOS_ENCRYPTION_KEY", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)))
	t.Setenv("AUTHOS_ADDR", "127.0.0.1:0")
	t.Chdir(t.TempDir())
	const email, password = "ada@example.com", "analytical engine 1843"

	base, stop := serve(t)
	if code, body := post(t, base+"/api/auth/register", map[string]string{"email": email, "password": password}); code != 201 {
		t.Fatalf("register: %d %v", code, body)
	}
	if err := stop(); err != nil {
		t.Fatalf("run: %v", err)
	}
	if _, err := os.Stat("basic.db"); err != nil {
		t.Fatalf("basic.db after exit: %v", err)
	}
	base, stop = serve(t)
	defer func() {
		if err := stop(); err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	code, body := post(t, base+"/api/auth/login", map[string]string{"email": email, "password": password})
	if code != 401 || body["error_code"] != "EMAIL_NOT_VERIFIED" {
		t.Errorf("login in the second run: %d %v; want 401 EMAIL_NOT_VERIFIED (the account was kept, unverified)", code, body)
	}
}
