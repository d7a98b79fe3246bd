package e2e_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/device"
	"github.com/authos/authos/mfa"
	"github.com/authos/authos/store"
)

// A backend that implements only the core, store.Storage, as a third-party
// backend may, serves the core flows over HTTP; mfa and device refuse it
// when they are built, with an error that names the missing capability.
func TestCoreOnlyBackend(t *testing.T) {
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			st := authostest.CoreOnly(b.Open(t))
			if _, ok := store.As[store.MFAStore](st); ok {
				t.Fatal("CoreOnly store offers store.MFAStore")
			}
			h := newHarness(t, st, nil)

			_, err := mfa.New(h.a, mfa.Config{})
			if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "store.MFAStore") {
				t.Errorf("mfa.New: got %v; want an error naming store.MFAStore that matches errors.ErrUnsupported", err)
			}
			_, err = device.New(h.a, device.Config{})
			if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "store.DeviceStore") {
				t.Errorf("device.New: got %v; want an error naming store.DeviceStore that matches errors.ErrUnsupported", err)
			}

			const email, pw = "carol@example.com", "correct horse battery"
			h.registerVerified(email, pw)
			l := h.wantOK(h.login(email, pw), 200) // no second factor was registered by the failed mfa.New
			r := h.wantOK(h.do("POST", "/api/auth/refresh", "", map[string]string{"refresh_token": l.str("refresh_token")}), 200)
			if r.str("refresh_token") == l.str("refresh_token") {
				t.Error("refresh token not rotated")
			}
			p := h.wantOK(h.do("GET", "/api/user", r.str("access_token"), nil), 200)
			if p.str("email") != email || p.body["email_verified"] != true || p.body["mfa_enabled"] != false {
				t.Errorf("profile: got %s", p.raw)
			}
			h.wantOK(h.do("POST", "/api/auth/logout", r.str("access_token"), nil), 204)
			h.wantError(h.do("POST", "/api/auth/refresh", "", map[string]string{"refresh_token": r.str("refresh_token")}), 401, authos.CodeSessionRevoked)
		})
	}
}
