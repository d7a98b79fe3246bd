package authos

import (
	"net/http"
	"strings"
	"time"
)

// The site's own cookies: the sign-in cookie (single sign-on at the
// authorization endpoint) and the cookies of the hosted pages' flow.
const (
	signInCookie = "authos_signin" // the secret of the browser's sign-in session
	mfaCookie    = "authos_mfa"    // the preauth token of the hosted MFA step
)

// cookieName is the name the cookie name has on this site: __Host-
// prefixed when BaseURL is https (the browser then insists on Secure,
// Path=/ and no Domain, so no other host can set or shadow it).
func (a *Authos) cookieName(name string) string {
	if strings.HasPrefix(a.cfg.BaseURL, "https://") {
		return "__Host-" + name
	}
	return name
}

// setCookie sets the site's cookie name (cookieName) to value for ttl,
// or clears it when ttl <= 0: Path=/, HttpOnly, SameSite=Lax (it must
// survive a top-level redirect back from a client or provider), Secure
// under https.
func (a *Authos) setCookie(w http.ResponseWriter, name, value string, ttl time.Duration) {
	ck := &http.Cookie{Name: a.cookieName(name), Value: value, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: strings.HasPrefix(a.cfg.BaseURL, "https://"), MaxAge: int(ttl / time.Second)}
	if ttl <= 0 {
		ck.Value, ck.MaxAge = "", -1
	}
	http.SetCookie(w, ck)
}
