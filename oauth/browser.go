package oauth

import (
	"context"
	"net/http"

	"github.com/authos/authos"
	"github.com/authos/authos/internal/httpx"
	"github.com/authos/authos/internal/randx"
)

// browserCookie binds a provider login to the browser that started it
// (the site's cookie: __Host- prefixed and Secure under https).
const browserCookie = "authos_social"

func (s *Service) readBrowser(r *http.Request) string {
	c, err := r.Cookie(authos.Extend(s.a).CookieName(browserCookie))
	if err != nil || len(c.Value) > 64 {
		return ""
	}
	return c.Value
}

// setBrowser sends the binding cookie: HttpOnly, SameSite=Lax (the
// provider's redirect back is a top-level GET), for the state's lifetime.
func (s *Service) setBrowser(w http.ResponseWriter, v string) {
	authos.Extend(s.a).SetCookie(w, browserCookie, v, stateTTL)
}

// handleStart serves GET /auth/social/{provider}: ?flow= (the hosted
// sign-in page's button) or ?link= (a URL from Link).
func (s *Service) handleStart(w http.ResponseWriter, r *http.Request) {
	provider := r.PathValue("provider")
	q := r.URL.Query()
	in := StartInput{Flow: q.Get("flow"), Browser: s.readBrowser(r)}
	if v := q.Get("link"); v != "" {
		t, err := s.openLink(r.Context(), provider, v, in.Browser)
		if err != nil {
			s.errorPage(w, r, err)
			return
		}
		in = StartInput{LinkUserID: t.User, OrgID: t.Org, Browser: in.Browser}
	}
	res, err := s.Start(r.Context(), provider, in)
	if err != nil {
		s.errorPage(w, r, err)
		return
	}
	s.setBrowser(w, res.Browser)
	httpx.Redirect(w, r, res.URL)
}

// handleCallback serves GET /auth/social/{provider}/callback: the
// provider's redirect back. A sign-in continues the flow (the MFA step
// when on); the person cancelling, and provider failures, go back to the
// client with error=access_denied (the catalog code leads the
// description); a state that fails, or an account that must be linked
// from a session first, is shown on the error page.
func (s *Service) handleCallback(w http.ResponseWriter, r *http.Request) {
	provider := r.PathValue("provider")
	res, err := s.Callback(r.Context(), provider, r.URL.Query(), s.readBrowser(r))
	if err == nil && res.Flow != "" {
		authos.Extend(s.a).ContinueSignIn(w, r, res.Flow, res.User, []string{AMRSocial, AMRSocial + ":" + provider})
		return
	}
	if err == nil {
		d := s.pageData(r)
		d.Title = d.T("page.social.done")
		d.Message = d.T("page.social.linked", label(provider))
		s.render(w, http.StatusOK, d)
		return
	}
	e := authos.AsError(err)
	if res != nil && res.Flow != "" {
		switch {
		case res.Cancelled:
			authos.Extend(s.a).FailSignIn(w, r, res.Flow, "access_denied", "", "The sign-in was cancelled at the provider")
			return
		case e.Code == authos.CodeOAuthError || e.Code == authos.CodeOAuthCodeExpired || e.Code == authos.CodeProviderNotConfigured:
			if e.Code == authos.CodeOAuthError {
				s.a.Logger().Warn("oauth: provider login failed", "cause", errText(e))
			}
			authos.Extend(s.a).FailSignIn(w, r, res.Flow, "access_denied", e.Code, e.PublicMessage())
			return
		}
	}
	s.errorPage(w, r, err)
}

type browserKey struct{}

// browserFrom is the binding cookie's value bindBrowser put in ctx.
func browserFrom(ctx context.Context) string {
	v, _ := ctx.Value(browserKey{}).(string)
	return v
}

// bindBrowser gives the request a browser-binding cookie (the one it
// carried, or a new one) and sends it back, so that the link URL the
// handler makes opens only in this browser.
func (s *Service) bindBrowser(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := s.readBrowser(r)
		if len(b) != 43 {
			b = randx.Token(32)
		}
		s.setBrowser(w, b)
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), browserKey{}, b)))
	})
}
