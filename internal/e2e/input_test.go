package e2e_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/authos/authos"
	"github.com/authos/authos/device"
	"github.com/authos/authos/store"
)

// TestBadInputRefusedBeforeStore: a NUL byte (or another control
// character) in a string field, a form field or a path value, and lenient
// JSON (duplicate names, names in another case, invalid UTF-8, lone
// surrogate escapes), are refused with the same 400 BAD_REQUEST on every
// backend, before any store call (PostgreSQL answered 500 DATABASE_ERROR,
// SQLite and memory stored the value or logged in).
func TestBadInputRefusedBeforeStore(t *testing.T) {
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			h := newHarness(t, st, func(c *authos.Config) { c.RateLimits.Disabled = true; c.AutoApproveOrgs = true })
			if _, err := device.New(h.a, device.Config{}); err != nil {
				t.Fatal(err)
			}
			tok, pw := h.loginAs("owner@example.com"), passwordFor("owner@example.com")
			h.wantOK(h.do("POST", "/api/organizations", tok, map[string]string{"slug": "acme", "name": "Acme"}), 201)

			form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
			bearer := map[string]string{"Authorization": "Bearer " + tok}
			cases := []struct {
				name, method, path string
				hdr                map[string]string
				body               string
			}{
				{"login email with NUL", "POST", "/api/auth/login", nil, `{"email":"owner\u0000@example.com","password":"` + pw + `"}`},
				{"login email with SOH", "POST", "/api/auth/login", nil, `{"email":"owner\u0001@example.com","password":"x"}`},
				{"register name with NUL", "POST", "/api/auth/register", nil, `{"email":"nul@example.com","password":"a long enough pass phrase","name":"Bob\u0000"}`},
				{"register name with ESC", "POST", "/api/auth/register", nil, `{"email":"esc@example.com","password":"a long enough pass phrase","name":"Bob\u001b[31m"}`},
				{"register email with NUL", "POST", "/api/auth/register", nil, `{"email":"nul2\u0000@example.com","password":"a long enough pass phrase"}`},
				{"forgot email with NUL", "POST", "/api/auth/forgot-password", nil, `{"email":"owner@example.com\u0000"}`},
				{"token client_id with NUL", "POST", "/auth/token", form, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&client_id=cli%00x&device_code=abc"},
				{"token client_id repeated", "POST", "/auth/token", form, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&client_id=a&client_id=b&device_code=abc"},
				{"device code client_id with NUL (form)", "POST", "/auth/device/code", form, "client_id=cli%00x"},
				{"device code client_id with NUL (JSON)", "POST", "/auth/device/code", nil, `{"client_id":"cli\u0000x"}`},
				{"org path value with NUL", "GET", "/api/organizations/ac%00me", bearer, ""},
				{"session path value with NUL", "DELETE", "/api/user/sessions/x%00y", bearer, ""},
				{"query value with NUL", "GET", "/api/organizations?x=%00", bearer, ""},
				{"duplicate member", "POST", "/api/auth/login", nil, `{"email":"nobody@example.com","email":"owner@example.com","password":"` + pw + `"}`},
				{"member in upper case", "POST", "/api/auth/login", nil, `{"EMAIL":"owner@example.com","password":"` + pw + `"}`},
				{"member in mixed case", "POST", "/api/auth/login", nil, `{"email":"owner@example.com","Password":"` + pw + `"}`},
				{"invalid UTF-8", "POST", "/api/auth/register", nil, "{\"email\":\"u\xffx@example.com\",\"password\":\"a long enough pass phrase\"}"},
				{"lone surrogate escape", "POST", "/api/auth/register", nil, `{"email":"u\ud800x@example.com","password":"a long enough pass phrase"}`},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					var body any
					if c.body != "" {
						body = c.body
					}
					h := h.on(t)
					r := h.doWith(c.method, c.path, c.hdr, body)
					h.wantError(r, 400, authos.CodeBadRequest)
					if strings.Contains(string(r.raw), "\\u0000") {
						t.Errorf("answer echoes the NUL: %s", r.raw)
					}
				})
			}
			ctx := context.Background()
			for _, email := range []string{"nul@example.com", "esc@example.com", "u\ufffdx@example.com"} {
				if _, err := st.GetUserByEmail(ctx, email); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("account %q was stored (err %v)", email, err)
				}
			}
			// The well-formed requests still work.
			h.wantOK(h.login("owner@example.com", pw), 200)
			h.wantOK(h.do("GET", "/api/organizations/acme", tok, nil), 200)
		})
	}
}

// on returns a copy of h that reports to t (a subtest).
func (h *harness) on(t *testing.T) *harness {
	c := *h
	c.t = t
	return &c
}
