package authos

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/authos/authos/internal/hashx"
	"github.com/authos/authos/internal/page"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// FuzzHostedPageForms: whatever a browser posts to the hosted sign-in
// pages (with a valid CSRF token, so that the fuzzed fields reach the
// handlers), the answer is never a server error; a redirect goes only to
// the client's redirect URI or to the second step of the flow; any other
// answer is an HTML page with the page headers, and a field is never
// echoed unescaped.
func FuzzHostedPageForms(f *testing.F) {
	const pw = "correct horse battery"
	for _, s := range []struct {
		page             uint8
		flow, email, sec string
	}{
		{0, "fuzz-flow", "ada@example.com", pw},
		{0, "fuzz-flow", "ada@example.com", "wrong"},
		{0, "fuzz-flow", "<script>alert(1)</script>@x.com", "x"},
		{0, "other", "", ""},
		{1, "fuzz-flow", "", "123456"},
		{2, "fuzz-flow", "new@example.com", "a long enough password"},
		{2, "fuzz-flow", "not an email", "short"},
		{3, "fuzz-flow", "ada@example.com", ""},
		{3, "fuzz-flow\x00", "\"><img src=x>", ""},
	} {
		f.Add(s.page, s.flow, s.email, s.sec)
	}
	a, _ := newTestAuthos(f, func(c *Config) {
		c.AutoApproveOrgs, c.RateLimits.Disabled = true, true
	})
	ctx := context.Background()
	u := verifiedUser(f, a, "ada@example.com", pw)
	o, svc, ss := webSignInService(f, a, u)
	const callback = webCallback
	h := a.Handler()
	// What a page shows of its own: the layout, templates and stylesheet.
	static := page.DefaultLayout + page.DefaultStylesheet
	for _, t := range defaultPageTemplates {
		static += t
	}
	paths := []string{pathSignIn, pathSignInMFA, pathSignUp, pathForgot}
	names := []string{pageSignIn, pageSignInMFA, pageSignUp, pageForgot}
	f.Fuzz(func(t *testing.T, pageNo uint8, flow, email, secret string) {
		// "fuzz-flow" stands for a live request of its own.
		if flow == "fuzz-flow" {
			now := a.now()
			flow = randx.Token(32)
			err := ss.CreateAuthRequest(ctx, store.AuthRequest{IDHash: hashx.SHA256Hex(flow), ClientID: svc.ClientID,
				ServiceID: svc.ID, OrgID: o.ID, RedirectURI: callback, Scope: "openid", CodeChallenge: s256(strings.Repeat("v", 43)),
				MaxAge: -1, CreatedAt: now, ExpiresAt: now.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
		}
		i := int(pageNo) % len(paths)
		rec := httptest.NewRecorder()
		pre := httptest.NewRequest("GET", "/", nil)
		csrf, err := a.pages.csrf.Token(rec, pre, names[i])
		if err != nil {
			t.Fatal(err)
		}
		form := url.Values{"csrf": {csrf}, "flow": {flow}, "email": {email}, "name": {email},
			"password": {secret}, "confirm": {secret}, "code": {secret}}
		req := httptest.NewRequest("POST", paths[i], strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, ck := range rec.Result().Cookies() {
			req.AddCookie(ck)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		res := w.Result()
		if res.StatusCode >= 500 {
			t.Fatalf("POST %s: status %d\n%s", paths[i], res.StatusCode, w.Body.String())
		}
		if res.StatusCode == http.StatusFound {
			loc := res.Header.Get("Location")
			if !strings.HasPrefix(loc, callback+"?") && !strings.HasPrefix(loc, a.cfg.BaseURL+pathSignInMFA+"?") {
				t.Fatalf("POST %s: redirect to %q", paths[i], loc)
			}
			return
		}
		if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") || res.Header.Get("Cache-Control") != "no-store" ||
			!strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
			t.Fatalf("POST %s: status %d without the page headers: %v", paths[i], res.StatusCode, res.Header)
		}
		// A value long enough not to be found in the page by chance.
		for _, v := range []string{email, secret, flow} {
			if len(v) >= 8 && strings.ContainsAny(v, `<>"`) && strings.Contains(w.Body.String(), v) && !strings.Contains(static, v) {
				t.Fatalf("POST %s echoes %q unescaped", paths[i], v)
			}
		}
	})
}
