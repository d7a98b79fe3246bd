package signintest_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/authos/authos"
	"github.com/authos/authos/store/memory"
)

// TestHomeRealmDiscovery: the sign-in page's POST asks SignInMethod.Discover
// before checking a password: an exclusive answer always sends the browser
// to the method, a plain one only when no password was typed; an email no
// method claims is checked as a password sign-in.
func TestHomeRealmDiscovery(t *testing.T) {
	h := newPagesHarness(t, memory.New())
	var asked []string
	authos.Extend(h.inst.Authos).AddSignInMethod(authos.SignInMethod{ID: "sso", Label: "SSO",
		Discover: func(_ context.Context, f authos.SignInFlow, email string) (string, bool) {
			asked = append(asked, email)
			switch {
			case strings.HasSuffix(email, "@only.example"):
				return "https://idp.example/only?flow=" + url.QueryEscape(f.ID), true
			case strings.HasSuffix(email, "@either.example"):
				return "https://idp.example/either?flow=" + url.QueryEscape(f.ID), false
			}
			return "", false
		}})
	b := (&signInHarness{t: t}).browser()
	for _, tc := range []struct {
		email, password, want string
	}{
		{"zoe@only.example", "a password", "https://idp.example/only"},
		{"zoe@only.example", "", "https://idp.example/only"},
		{"zoe@either.example", "", "https://idp.example/either"},
	} {
		_, to := h.start(b, h.client(h.web, webCallback))
		back := location(t, h.submit(b, h.open(b, to.String()), url.Values{"email": {tc.email}, "password": {tc.password}}))
		if back.Scheme+"://"+back.Host+back.Path != tc.want || back.Query().Get("flow") != to.Query().Get("flow") {
			t.Errorf("%s with password %q: redirect %s; want %s with the flow", tc.email, tc.password, back, tc.want)
		}
	}
	// With a password, a domain that allows passwords signs in as usual
	// (here: a wrong password shows the form again).
	_, to := h.start(b, h.client(h.web, webCallback))
	p := h.submit(b, h.open(b, to.String()), url.Values{"email": {"zoe@either.example"}, "password": {"wrong"}})
	if p.resp.StatusCode == 302 {
		t.Fatalf("a typed password was not checked: redirect to %s", p.resp.Header.Get("Location"))
	}
	// Ada's password sign-in is untouched.
	ar, to := h.start(b, h.client(h.web, webCallback))
	h.finish(ar, location(t, h.submit(b, h.open(b, to.String()), url.Values{"email": {pagesEmail}, "password": {pagesPassword}})))
	if len(asked) != 5 {
		t.Errorf("Discover asked %d times; want once per POST (5)", len(asked))
	}
}
