package authos

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authos/authos/internal/oapitest"
	"github.com/authos/authos/store"
	"github.com/authos/authos/store/memory"
)

// callMessage is call returning the envelope's message as well.
func callMessage(t *testing.T, a *Authos, audience, token string) (status int, code, message string) {
	t.Helper()
	r := httptest.NewRequest("GET", "/app", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	protected(a, a.RequireAudience(audience)).ServeHTTP(rec, r)
	var body struct {
		Code    string `json:"error_code"`
		Message string `json:"error"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &body) // a 200 has no body
	return rec.Code, body.Code, body.Message
}

// TestJWTErrorNamesTheAudience: a valid token of another audience is
// refused with JWT_ERROR saying that the audience is the reason; a token
// whose signature fails says nothing about its claims.
func TestJWTErrorNamesTheAudience(t *testing.T) {
	a, clk := newTestAuthos(t, nil)
	ctx := context.Background()
	u := verifiedUser(t, a, "aud@example.test", "audience password")
	mgmt, err := a.CompleteLogin(ctx, u, LoginContext{Method: AMRPassword})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := a.CompleteLogin(ctx, u, LoginContext{Method: AMRPassword, Audience: "client-svc"})
	if err != nil {
		t.Fatal(err)
	}
	a.keys.mu.RLock()
	kid := a.keys.signerKID
	a.keys.mu.RUnlock()
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	now := clk.Now()
	forged := forge(t, map[string]any{"alg": "EdDSA", "typ": "at+jwt", "kid": kid},
		map[string]any{"iss": a.cfg.Issuer, "sub": u.ID, "aud": "client-svc", "iat": now.Unix(),
			"exp": now.Add(time.Minute).Unix(), "sid": mgmt.Session.ID, "jti": "x"},
		func(b []byte) []byte { return ed25519.Sign(otherKey, b) })

	for _, c := range []struct {
		name, audience, token string
		aboutAudience         bool
	}{
		{"service token on a management route", "", svc.AccessToken, true},
		{"management token on a service route", "client-svc", mgmt.AccessToken, true},
		{"wrong audience and a bad signature", "", forged, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, code, msg := callMessage(t, a, c.audience, c.token)
			if status != 401 || code != string(CodeJWTError) {
				t.Fatalf("got %d %s; want 401 JWT_ERROR", status, code)
			}
			if got := strings.Contains(msg, "audience (aud)"); got != c.aboutAudience {
				t.Errorf("message %q; about the audience: %v, want %v", msg, got, c.aboutAudience)
			}
		})
	}
	if status, _, _ := callMessage(t, a, "client-svc", svc.AccessToken); status != 200 {
		t.Fatalf("service token on its service route: %d", status)
	}
}

// warnings records the messages of the warnings logged through it.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (w *warnings) WithAttrs([]slog.Attr) slog.Handler           { return w }
func (w *warnings) WithGroup(string) slog.Handler                { return w }
func (w *warnings) Handle(_ context.Context, r slog.Record) error {
	w.mu.Lock()
	w.msgs = append(w.msgs, r.Message)
	w.mu.Unlock()
	return nil
}

// count returns how many recorded warnings contain s.
func (w *warnings) count(s string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, m := range w.msgs {
		if strings.Contains(m, s) {
			n++
		}
	}
	return n
}

const notStarted = "Run has not been started"

// TestWarnsOnceWhenRunIsNotStarted: messages queued while nothing delivers
// the outbox produce one warning, not one per message.
func TestWarnsOnceWhenRunIsNotStarted(t *testing.T) {
	w := &warnings{}
	a, _ := newTestAuthos(t, func(c *Config) { c.Logger = slog.New(w) })
	a.outboxWatch.delivering.Store(false) // as after New
	a.outboxWatch.after = 20 * time.Millisecond
	ctx := context.Background()
	register := func(i int) {
		t.Helper()
		if _, err := a.Register(ctx, RegisterInput{Email: fmt.Sprintf("wait%d@example.test", i), Password: "a waiting password"}); err != nil {
			t.Fatal(err)
		}
	}
	register(1)
	register(2)
	deadline := time.Now().Add(10 * time.Second)
	for w.count(notStarted) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no warning 10 s after two emails were queued without Run")
		}
		time.Sleep(5 * time.Millisecond)
	}
	register(3)
	time.Sleep(200 * time.Millisecond) // ten times the delay: a second timer would have fired
	if n := w.count(notStarted); n != 1 {
		t.Fatalf("%d warnings; want exactly 1 (%q)", n, w.msgs)
	}
}

// TestNoWarningWhenTheOutboxIsDelivered: a host that started Run, or that
// delivers the outbox itself with ProcessOutbox, is never warned.
func TestNoWarningWhenTheOutboxIsDelivered(t *testing.T) {
	for _, how := range []string{"Run", "ProcessOutbox"} {
		t.Run(how, func(t *testing.T) {
			w := &warnings{}
			a, _ := newTestAuthos(t, func(c *Config) { c.Logger = slog.New(w) })
			a.outboxWatch.delivering.Store(false) // as after New
			a.outboxWatch.after = time.Millisecond
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			if how == "Run" {
				go func() { done <- a.Run(ctx) }()
				for !a.outboxWatch.delivering.Load() {
					time.Sleep(time.Millisecond)
				}
			} else {
				close(done)
				if _, err := a.ProcessOutbox(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := a.Register(ctx, RegisterInput{Email: "run@example.test", Password: "a delivered password"}); err != nil {
				t.Fatal(err)
			}
			if a.outboxWatch.armed.Load() {
				t.Error("the warning was armed although the outbox is delivered")
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if n := w.count(notStarted); n != 0 {
				t.Errorf("%d warnings about Run", n)
			}
		})
	}
}

// failingKeys is a store whose ListSigningKeys fails once down is set.
type failingKeys struct {
	store.Storage
	down atomic.Bool
}

func (f *failingKeys) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	if f.down.Load() {
		return nil, errors.New("dial tcp db.internal:5432: connection refused")
	}
	return f.Storage.ListSigningKeys(ctx)
}

// TestHealthAndReadiness: /healthz answers while the process runs; /readyz
// only while the store answers and a signing key is loaded, without
// showing the cause. Each answer is checked against openapi.yaml.
func TestHealthAndReadiness(t *testing.T) {
	st := &failingKeys{Storage: memory.New()}
	a, _ := newTestAuthos(t, func(c *Config) { c.Store = st; c.Logger = slog.New(slog.DiscardHandler) })
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", a.HealthHandler())
	mux.Handle("GET /readyz", a.ReadyHandler())
	srv := httptest.NewServer(oapitest.Handler(t, mux))
	t.Cleanup(srv.Close)
	get := func(path string) (int, http.Header, map[string]any) {
		t.Helper()
		res, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = res.Body.Close() }() // a read-only body
		var body map[string]any
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return res.StatusCode, res.Header, body
	}
	want := func(path string, status int, code string) {
		t.Helper()
		got, h, body := get(path)
		if got != status || h.Get("Cache-Control") != "no-store" {
			t.Fatalf("GET %s: %d, Cache-Control %q; want %d, no-store (%v)", path, got, h.Get("Cache-Control"), status, body)
		}
		if code == "" && body["status"] != "ok" || code != "" && body["error_code"] != code {
			t.Fatalf("GET %s: body %v; want %s", path, body, cmp.Or(code, `{"status":"ok"}`))
		}
		if s := fmt.Sprint(body); strings.Contains(s, "db.internal") || strings.Contains(s, "refused") {
			t.Fatalf("GET %s shows the cause: %v", path, body)
		}
	}
	want("/healthz", 200, "")
	want("/readyz", 200, "")
	if err := a.Ready(context.Background()); err != nil {
		t.Fatalf("Ready: %v", err)
	}

	st.down.Store(true) // the database is unreachable
	want("/healthz", 200, "")
	want("/readyz", 503, string(CodeServiceUnavailable))
	if err := a.Ready(context.Background()); !errors.Is(err, CodeServiceUnavailable) {
		t.Fatalf("Ready with the store down: %v; want SERVICE_UNAVAILABLE", err)
	}
	st.down.Store(false)
	want("/readyz", 200, "")

	a.keys.mu.Lock()
	signer := a.keys.signer
	a.keys.signer = nil // as before the keys are loaded
	a.keys.mu.Unlock()
	want("/readyz", 503, string(CodeServiceUnavailable))
	a.keys.mu.Lock()
	a.keys.signer = signer
	a.keys.mu.Unlock()
	want("/readyz", 200, "")
}
