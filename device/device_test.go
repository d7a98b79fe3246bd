package device_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/authos/authos"
	"github.com/authos/authos/device"
	"github.com/authos/authos/store"
)

func hashOf(code string) string {
	s := sha256.Sum256([]byte(code))
	return hex.EncodeToString(s[:])
}

func TestUserCodes(t *testing.T) {
	for in, want := range map[string]string{"wdjb mjht": "WDJBMJHT", "WDJB-MJHT": "WDJBMJHT", " wdjb-mjht ": "WDJBMJHT"} {
		if got, ok := device.NormalizeUserCode(in); !ok || got != want {
			t.Errorf("NormalizeUserCode(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "WDJBMJH", "WDJBMJHTX", "WDJAMJHT", "WDJB0JHT", "WDJB_MJHT"} {
		if _, ok := device.NormalizeUserCode(in); ok {
			t.Errorf("NormalizeUserCode(%q) accepted", in)
		}
	}
	if device.FormatUserCode("WDJBMJHT") != "WDJB-MJHT" {
		t.Error("FormatUserCode")
	}
	// DF-2: the code space over the guesses allowed keeps a guess at ≤ 2^-32.
	space := math.Pow(float64(len(device.UserCodeAlphabet)), device.UserCodeLength)
	if space/5 < math.Pow(2, 32) {
		t.Errorf("code space %g too small for 5 guesses", space)
	}
}

// TestOAuth2Client runs golang.org/x/oauth2's device flow against the real
// handlers; the user approves over HTTP, as a signed-in user, after two
// polls came back pending. The server's clock is stopped and moves exactly
// one interval at each new poll (pollPacer), so the pacing the server sees
// does not depend on how long the client's sleeps and requests really take.
func TestOAuth2Client(t *testing.T) {
	for _, style := range []struct {
		name     string
		style    oauth2.AuthStyle
		requests []string // auth of each token request: the polls' and their retries'
	}{
		// AutoDetect sends each failed request again with the other auth.
		{"AutoDetect", oauth2.AuthStyleAutoDetect, []string{"basic", "body", "basic", "body", "basic"}},
		{"InParams", oauth2.AuthStyleInParams, []string{"body", "body", "body"}},
		{"InHeader", oauth2.AuthStyleInHeader, []string{"basic", "basic", "basic"}},
	} {
		t.Run(style.name, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, st store.Storage) {
				h := newHarness(t, st, device.Config{Interval: time.Second})
				u := h.user("alice@example.com")
				access := h.accessToken(u.Email)
				h.clock.stop()
				conf := &oauth2.Config{ClientID: h.clientID, Scopes: []string{"openid"}, Endpoint: oauth2.Endpoint{
					DeviceAuthURL: h.srv.URL + "/auth/device/code", TokenURL: h.srv.URL + "/auth/token", AuthStyle: style.style}}
				var da *oauth2.DeviceAuthResponse
				pacer := &pollPacer{next: h.srv.Client().Transport, clock: h.clock, interval: time.Second,
					beforePoll: func(n int) {
						if n != 3 {
							return
						}
						r := h.do("POST", "/auth/device/verify", access, map[string]string{"user_code": strings.ToLower(da.UserCode)})
						if r.status != http.StatusOK {
							t.Errorf("verify: %d %s", r.status, r.raw)
						}
					}}
				ctx := context.WithValue(t.Context(), oauth2.HTTPClient, &http.Client{Transport: pacer})
				ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				defer cancel()
				da, err := conf.DeviceAuth(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if da.Interval != 1 || !strings.Contains(da.VerificationURIComplete, "user_code=") || len(da.UserCode) != 9 {
					t.Fatalf("device auth response: %+v", da)
				}
				tok, err := conf.DeviceAccessToken(ctx, da)
				if err != nil {
					t.Fatalf("DeviceAccessToken: %v", err)
				}
				if tok.RefreshToken == "" || tok.Expiry.IsZero() {
					t.Errorf("token without refresh token or expiry: %+v", tok)
				}
				// Two pending polls, then the token: each poll once, or as
				// AutoDetect's pair, and never slow_down.
				if !slices.Equal(pacer.requests, style.requests) || !slices.Equal(pacer.answers[:len(pacer.answers)-1], slices.Repeat([]string{"authorization_pending"}, len(pacer.answers)-1)) {
					t.Errorf("token requests %v answered %v; want %v, pending until the last", pacer.requests, pacer.answers, style.requests)
				}
				d, err := devices(st).GetDeviceByCodeHash(t.Context(), hashOf(da.DeviceCode))
				if err != nil || d.Interval != 1 || d.Status != store.DeviceStatusExchanged {
					t.Errorf("stored authorization: %+v, %v", d, err)
				}
				// The service's backend accepts the token; the management API does not.
				var got *authos.Principal
				protected := h.a.RequireAudience(h.clientID)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					got = authos.PrincipalFrom(r.Context())
				}))
				req := httptest.NewRequest("GET", "/", nil)
				tok.SetAuthHeader(req)
				rec := httptest.NewRecorder()
				protected.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || got == nil || got.UserID != u.ID || got.Audience != h.clientID {
					t.Fatalf("RequireAudience: %d %s, %+v", rec.Code, rec.Body, got)
				}
				if !slices.Equal(got.AMR, []string{"device", "pwd"}) || got.Org != "acme" || got.Service != "cli" {
					t.Errorf("principal: amr %v org %q service %q", got.AMR, got.Org, got.Service)
				}
				rec = httptest.NewRecorder()
				h.a.RequireAuth(http.NotFoundHandler()).ServeHTTP(rec, req)
				if rec.Code != http.StatusUnauthorized {
					t.Errorf("management API accepted a device token: %d", rec.Code)
				}
			})
		})
	}
}

// pollPacer is the transport of the OAuth client in TestOAuth2Client. At
// each new poll of the token endpoint (any token request but the immediate
// retry, in the body, of one sent with HTTP Basic: AutoDetect's pair) it
// first runs beforePoll with the poll's number, then moves the stopped
// clock one interval on (from the second poll). It records how each token
// request authenticated and the error (or "token") it got.
type pollPacer struct {
	next       http.RoundTripper
	clock      *clock
	interval   time.Duration
	beforePoll func(n int)

	polls     int
	lastBasic bool
	requests  []string
	answers   []string
}

func (p *pollPacer) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Path != "/auth/token" {
		return p.next.RoundTrip(r)
	}
	_, _, basic := r.BasicAuth()
	if !p.lastBasic || basic {
		p.polls++
		p.beforePoll(p.polls)
		if p.polls > 1 {
			p.clock.Advance(p.interval)
		}
	}
	p.lastBasic = basic
	p.requests = append(p.requests, map[bool]string{true: "basic", false: "body"}[basic])
	resp, err := p.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close() // read to the end; closing only frees the connection
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var e struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(body, &e) // a token response has no error member: e.Error stays empty
	p.answers = append(p.answers, cmp.Or(e.Error, "token"))
	return resp, nil
}

func TestTokenErrors(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st, device.Config{})
		access := h.accessToken(h.owner.Email)
		other := h.service("other", authos.ServiceDesktop).ClientID

		r := h.form("/auth/token", url.Values{"grant_type": {"password"}, "client_id": {h.clientID}}, "")
		h.wantOAuth(r, 400, "unsupported_grant_type", authos.CodeInvalidGrantType)
		r = h.poll("no-such-code")
		h.wantOAuth(r, 400, "invalid_grant", authos.CodeInvalidDeviceCode)
		r = h.form("/auth/token", url.Values{"grant_type": {device.GrantType}, "device_code": {"x"}, "client_id": {"cl_nobody"}}, "")
		h.wantOAuth(r, 400, "invalid_client", authos.CodeUnauthorized)
		r = h.form("/auth/token", url.Values{"grant_type": {device.GrantType}, "device_code": {"x"}}, "cl_nobody")
		h.wantOAuth(r, 401, "invalid_client", authos.CodeUnauthorized)

		// Pending, then slow_down for a second poll right away; the
		// interval grows by 5 s.
		code := h.start().str("device_code")
		h.wantOAuth(h.poll(code), 400, "authorization_pending", authos.CodeDeviceCodePending)
		h.wantOAuth(h.poll(code), 400, "slow_down", authos.CodeDeviceCodePending)
		d, err := devices(st).GetDeviceByCodeHash(t.Context(), hashOf(code))
		if err != nil || d.Interval != 10 {
			t.Fatalf("interval after slow_down: %d, %v", d.Interval, err)
		}
		h.clock.Advance(6 * time.Second)
		h.wantOAuth(h.poll(code), 400, "slow_down", authos.CodeDeviceCodePending) // 6 s < 10 s
		h.clock.Advance(16 * time.Second)
		h.wantOAuth(h.poll(code), 400, "authorization_pending", authos.CodeDeviceCodePending)

		// x/oauth2's pair: Basic, then at once the body: the same poll.
		code2 := h.start().str("device_code")
		v := url.Values{"grant_type": {device.GrantType}, "device_code": {code2}, "client_id": {h.clientID}}
		h.wantOAuth(h.form("/auth/token", v, h.clientID), 400, "authorization_pending", authos.CodeDeviceCodePending)
		h.wantOAuth(h.form("/auth/token", v, ""), 400, "authorization_pending", authos.CodeDeviceCodePending)
		h.wantOAuth(h.form("/auth/token", v, h.clientID), 400, "slow_down", authos.CodeDeviceCodePending)

		// Another client cannot redeem the code.
		r = h.form("/auth/token", url.Values{"grant_type": {device.GrantType}, "device_code": {code}, "client_id": {other}}, "")
		h.wantOAuth(r, 400, "invalid_client", authos.CodeUnauthorized)

		// Approved: one exchange, then invalid_grant.
		start := h.start()
		r = h.do("POST", "/auth/device/verify", access, map[string]string{"user_code": start.str("user_code")})
		if r.status != 200 || r.str("status") != "approved" || r.str("service_name") != "Acme cli" {
			t.Fatalf("verify: %d %s", r.status, r.raw)
		}
		r = h.poll(start.str("device_code"))
		if r.status != 200 || r.str("access_token") == "" || r.str("refresh_token") == "" || r.str("token_type") != "Bearer" {
			t.Fatalf("exchange: %d %s", r.status, r.raw)
		}
		h.clock.Advance(11 * time.Second)
		h.wantOAuth(h.poll(start.str("device_code")), 400, "invalid_grant", authos.CodeInvalidDeviceCode)
		// Verifying a used code again fails.
		r = h.do("POST", "/auth/device/verify", access, map[string]string{"user_code": start.str("user_code")})
		h.wantError(r, 400, authos.CodeInvalidDeviceCode)

		// Denied.
		start = h.start()
		r = h.do("POST", "/auth/device/deny", access, map[string]string{"user_code": start.str("user_code")})
		if r.status != 200 || r.str("status") != "denied" {
			t.Fatalf("deny: %d %s", r.status, r.raw)
		}
		h.wantOAuth(h.poll(start.str("device_code")), 400, "access_denied", authos.CodeForbidden)

		// Expired.
		start = h.start()
		h.clock.Advance(15*time.Minute + time.Second)
		h.wantOAuth(h.poll(start.str("device_code")), 400, "expired_token", authos.CodeDeviceCodeExpired)
		r = h.do("POST", "/auth/device/verify", h.accessToken(h.owner.Email), map[string]string{"user_code": start.str("user_code")})
		h.wantError(r, 400, authos.CodeInvalidDeviceCode)
	})
}

func TestDeviceCodeEndpoint(t *testing.T) {
	h := newHarness(t, memoryStore(), device.Config{})
	r := h.start()
	uc := r.str("user_code")
	if len(uc) != 9 || uc[4] != '-' || strings.ContainsAny(uc, "AEIOUY0123456789") || len(r.str("device_code")) < 22 {
		t.Errorf("codes: %s", r.raw)
	}
	if r.str("verification_uri") != h.srv.URL+"/activate" || r.str("verification_uri_complete") != h.srv.URL+"/activate?user_code="+uc {
		t.Errorf("verification URIs: %s", r.raw)
	}
	if r.body["expires_in"] != float64(900) || r.body["interval"] != float64(5) {
		t.Errorf("expires_in/interval: %s", r.raw)
	}
	// JSON with the original's org/service naming.
	r = h.do("POST", "/auth/device/code", "", map[string]string{"org": "acme", "service": "cli"})
	if r.status != 200 || r.str("device_code") == "" {
		t.Errorf("org/service: %d %s", r.status, r.raw)
	}
	h.wantOAuth(h.form("/auth/device/code", url.Values{"client_id": {"cl_nobody"}}, ""), 400, "invalid_client", authos.CodeUnauthorized)
	// A confidential client needs its secret.
	web := h.service("web", authos.ServiceWeb)
	h.wantOAuth(h.form("/auth/device/code", url.Values{"client_id": {web.ClientID}}, ""), 400, "invalid_client", authos.CodeUnauthorized)
	r = h.form("/auth/device/code", url.Values{"client_id": {web.ClientID}, "client_secret": {web.ClientSecret}}, "")
	if r.status != 200 {
		t.Errorf("confidential client: %d %s", r.status, r.raw)
	}
	// Discovery lists the endpoints.
	disc := h.a.Discovery()
	if disc["device_authorization_endpoint"] != h.srv.URL+"/auth/device/code" || disc["token_endpoint"] != h.srv.URL+"/auth/token" {
		t.Errorf("discovery: %v", disc)
	}
}

func TestApprovalRules(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st, device.Config{})
		access := h.accessToken(h.owner.Email)
		start := h.start()

		// Five wrong codes per user per minute, then RATE_LIMIT_EXCEEDED,
		// even for the right code.
		for i := range 5 {
			r := h.do("POST", "/auth/device/verify", access, map[string]string{"user_code": fmt.Sprintf("BBBB-BBB%c", "CDFGH"[i])})
			if i < 4 {
				h.wantError(r, 400, authos.CodeInvalidDeviceCode)
			} else {
				h.wantError(r, 429, authos.CodeRateLimitExceeded)
			}
		}
		r := h.do("POST", "/auth/device/verify", access, map[string]string{"user_code": start.str("user_code")})
		h.wantError(r, 429, authos.CodeRateLimitExceeded)
		if r.header.Get("Retry-After") == "" {
			t.Error("no Retry-After")
		}
		// Another user is not affected; spaces and case are ignored.
		bob := h.user("bob@example.com")
		code := strings.ToLower(strings.ReplaceAll(start.str("user_code"), "-", " "))
		r = h.do("POST", "/auth/device/verify", h.accessToken(bob.Email), map[string]string{"user_code": code})
		if r.status != 200 {
			t.Fatalf("verify: %d %s", r.status, r.raw)
		}
		// No bearer: UNAUTHORIZED.
		h.wantError(h.do("POST", "/auth/device/verify", "", map[string]string{"user_code": code}), 401, authos.CodeUnauthorized)

		// A suspended organization: ORGANIZATION_NOT_ACTIVE.
		start = h.start()
		o := h.org
		o.Status = store.OrgSuspended
		if err := st.UpdateOrg(t.Context(), o); err != nil {
			t.Fatal(err)
		}
		r = h.do("POST", "/auth/device/verify", h.accessToken(bob.Email), map[string]string{"user_code": start.str("user_code")})
		h.wantError(r, 403, authos.CodeOrganizationNotActive)
	})
}

func TestConcurrentAuthorizations(t *testing.T) {
	eachBackend(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st, device.Config{})
		const n = 1000
		var mu sync.Mutex
		users, devices := map[string]bool{}, map[string]bool{}
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				da, err := h.dev.Authorize(context.Background(), h.clientID, "", "")
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				users[da.UserCode], devices[da.DeviceCode] = true, true
				mu.Unlock()
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if len(users) != n || len(devices) != n {
			t.Fatalf("%d distinct user codes, %d device codes; want %d", len(users), len(devices), n)
		}
		for uc := range users {
			norm, _ := device.NormalizeUserCode(uc)
			if _, err := st.(store.DeviceStore).GetDeviceByUserCode(t.Context(), norm, h.a.Now()); err != nil {
				t.Fatalf("user code %s lost: %v", uc, err)
			}
		}
	})
}
