package saml_test

import (
	"context"
	"encoding/base64"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/store"
)

const loginURI = "https://app.example.com/login"

// idpInitiated asks the IdP for an unsolicited response to our SP (sp:
// another entity id, "" for corp's) with relayState, and returns its
// auto-POST form.
func (h *harness) idpInitiated(b *http.Client, sp, relayState string) url.Values {
	h.t.Helper()
	q := url.Values{"RelayState": {relayState}}
	if sp != "" {
		q.Set("sp", sp)
	}
	a := get(h.t, b, h.idp.srv.URL+"/start?"+q.Encode())
	if a.resp.StatusCode != http.StatusOK {
		h.t.Fatalf("IdP-initiated: %d\n%s", a.resp.StatusCode, a.body)
	}
	form := url.Values{}
	for _, m := range inputRE.FindAllStringSubmatch(a.body, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	raw, err := base64.StdEncoding.DecodeString(form.Get("SAMLResponse"))
	if err != nil || len(raw) == 0 {
		h.t.Fatalf("IdP-initiated form lacks a SAMLResponse:\n%s", a.body)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		h.t.Fatal(err)
	}
	if v := doc.Root().SelectAttrValue("InResponseTo", ""); v != "" {
		h.t.Fatalf("the IdP-initiated response answers %q", v)
	}
	return form
}

// rp is the landing service acting on a third-party initiated login
// (OpenID Connect Core §4): it checks iss and starts an authorization
// request with PKCE in the browser b, and returns the login to finish.
func (h *harness) rp(b *http.Client, initiate *url.URL) (*login, answer) {
	h.t.Helper()
	if initiate.Scheme+"://"+initiate.Host+initiate.Path != loginURI || initiate.Query().Get("iss") != h.inst.Config().Issuer {
		h.t.Fatalf("landed at %s; want %s with iss=%s", initiate, loginURI, h.inst.Config().Issuer)
	}
	l := &login{b: b, verifier: oauth2.GenerateVerifier(), state: "st-" + randHex(h.t), nonce: "n-" + randHex(h.t)}
	return l, get(h.t, b, h.conf.AuthCodeURL(l.state, oauth2.S256ChallengeOption(l.verifier), oidc.Nonce(l.nonce)))
}

// signedInCookie reports whether a set a sign-in cookie.
func signedInCookie(a answer) bool {
	for _, c := range a.resp.Cookies() {
		if strings.Contains(c.Name, "signin") && c.MaxAge > 0 {
			return true
		}
	}
	return false
}

// TestIDPInitiated: with allow_idp_initiated, crewjam/saml's
// IdentityProvider signs zoe in unsolicited on every backend: the ACS
// gives the browser the sign-in session and sends it to the landing
// service's initiate_login_uri with iss; the service's authorization
// request then completes without a page. The same response again, one
// for another connection's audience and one naming a request are refused;
// a RelayState that is not a redirect URI of the service goes nowhere.
func TestIDPInitiated(t *testing.T) {
	backends.Each(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		r := h.connect(map[string]any{"allow_idp_initiated": true, "idp_initiated_service": "web", "idp_initiated_login_uri": loginURI})
		if r.Body["idp_initiated_service"] != "web" || r.Body["idp_initiated_login_uri"] != loginURI || r.Body["allow_idp_initiated"] != true {
			t.Fatalf("PUT answer %s", r.Raw)
		}
		h.client()

		b := browser(t)
		form := h.idpInitiated(b, "", callback)
		a := h.acs(b, form)
		to := location(t, a)
		if !signedInCookie(a) {
			t.Fatal("the ACS set no sign-in cookie")
		}
		if q := to.Query(); q.Get("target_link_uri") != callback || q.Has("login_hint") {
			t.Fatalf("landing %s; want target_link_uri=%s (a redirect URI of the service) and no login_hint", to, callback)
		}
		l, auth := h.rp(b, to)
		idt := h.finish(l, location(t, auth)) // straight back with a code: no sign-in page
		var claims struct {
			Email string   `json:"email"`
			AMR   []string `json:"amr"`
		}
		if err := idt.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		if claims.Email != zoe || !slices.Equal(claims.AMR, []string{"saml"}) {
			t.Fatalf("claims %+v; want zoe with amr [saml]", claims)
		}
		u, err := st.GetUserByEmail(t.Context(), zoe)
		if err != nil || u.ID != idt.Subject {
			t.Fatalf("account %+v, %v", u, err)
		}
		if m, err := st.GetMember(t.Context(), h.org.ID, u.ID); err != nil || m.Role != store.RoleMember {
			t.Fatalf("membership %+v, %v; want member", m, err)
		}

		// The same response again, from another browser: the assertion id
		// is in the replay cache.
		b2 := browser(t)
		a = h.acs(b2, form)
		refused(t, a, authos.CodeInvalidSAMLResponse)

		// A RelayState of the IdP's that is no redirect URI of the service
		// is not passed on.
		a = h.acs(browser(t), h.idpInitiated(browser(t), "", "https://evil.example/next"))
		if to := location(t, a); to.Query().Has("target_link_uri") || strings.Contains(to.String(), "evil") {
			t.Fatalf("landing %s carries the IdP's RelayState", to)
		}

		// A correctly signed unsolicited response for another connection's
		// audience, and one that names a request (InResponseTo), are
		// refused.
		f := h.forge(&login{})
		f.requestID, f.audience = "", h.srv.URL+"/saml/other/metadata"
		raw, _ := f.doc(t).WriteToBytes()
		refused(t, h.acs(browser(t), url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(raw)}}), authos.CodeInvalidSAMLResponse)
		f = h.forge(&login{})
		f.requestID = "_a-request-of-ours"
		raw, _ = f.doc(t).WriteToBytes()
		refused(t, h.acs(browser(t), url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(raw)}, "RelayState": {"deep-link"}}), authos.CodeInvalidSAMLResponse)
		// A correct one with a RelayState of the IdP's lands.
		f = h.forge(&login{})
		f.requestID = ""
		raw, _ = f.doc(t).WriteToBytes()
		to = location(t, h.acs(browser(t), url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(raw)}, "RelayState": {"deep-link"}}))
		if to.Scheme+"://"+to.Host+to.Path != loginURI {
			t.Fatalf("landing %s", to)
		}

		// SP-initiated sign-in works beside it.
		l = h.start(zoe)
		h.finish(l, location(t, h.acs(l.b, h.atIDP(l))))
	})
}

// secondFactor asks every login for a second factor.
type secondFactor struct{}

func (secondFactor) Required(context.Context, authos.User, authos.LoginContext) (bool, error) {
	return true, nil
}

func (secondFactor) VerifyCode(context.Context, string, string) (string, error) {
	return "", authos.NewError(authos.CodeInvalidMFACode, "Invalid code")
}

// TestIDPInitiatedRefusedOrSecondFactor: with allow_idp_initiated off
// (the default) crewjam/saml's unsolicited response is refused and nobody
// is signed up; with it on and a second factor due, no session is opened
// and the service is asked to start with login_hint, whose request then
// shows the sign-in page.
func TestIDPInitiatedRefusedOrSecondFactor(t *testing.T) {
	h := newHarness(t, backends.List(t, true)[0].Open(t))
	h.connect(nil)
	h.client()
	b := browser(t)
	refused(t, h.acs(b, h.idpInitiated(b, "", "")), authos.CodeInvalidSAMLResponse)
	noAccount(t, h, zoe)
	// Turning it on needs the landing service, one of the organization's.
	for _, body := range []map[string]any{
		{"allow_idp_initiated": true},
		{"allow_idp_initiated": true, "idp_initiated_service": "web"},
		{"allow_idp_initiated": true, "idp_initiated_service": "nope", "idp_initiated_login_uri": loginURI},
		{"allow_idp_initiated": true, "idp_initiated_service": "web", "idp_initiated_login_uri": "http://app.example.com/login"},
	} {
		body["idp_metadata_xml"], body["domains"] = h.idp.metadata(t), []string{"corp.example"}
		r := h.api(http.MethodPut, "/api/organizations/corp/saml", body)
		if r.Status != http.StatusBadRequest {
			t.Errorf("PUT %v: %d %s; want 400", body, r.Status, r.Raw)
		}
	}

	h.connect(map[string]any{"allow_idp_initiated": true, "idp_initiated_service": "web", "idp_initiated_login_uri": loginURI})
	authos.Extend(h.inst.Authos).SetSecondFactor(secondFactor{})
	b = browser(t)
	a := h.acs(b, h.idpInitiated(b, "", ""))
	to := location(t, a)
	if signedInCookie(a) || to.Query().Get("login_hint") != zoe {
		t.Fatalf("landing %s with a second factor due; want login_hint=%s and no sign-in cookie", to, zoe)
	}
	_, auth := h.rp(b, to)
	if page := location(t, auth); page.Path != "/auth/signin" {
		t.Fatalf("the service's request went to %s; want the sign-in page", page)
	}
}
