package saml_test

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/event"
	"github.com/authos/authos/saml"
	"github.com/authos/authos/store"
)

// TestRoundTrip signs zoe@corp.example in to the organization's service
// with x/oauth2 and go-oidc on every backend: the hosted page's home-realm
// discovery sends her to crewjam/saml's IdentityProvider (metadata fetched
// by URL, a signed AuthnRequest, an encrypted assertion back), and she
// becomes a verified member with the default role.
func TestRoundTrip(t *testing.T) {
	backends.Each(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		r := h.connect(nil)
		if r.Body["idp_entity_id"] != h.idp.srv.URL+"/metadata" || r.Body["acs_url"] != h.srv.URL+"/saml/corp/acs" ||
			r.Body["sp_entity_id"] != h.srv.URL+"/saml/corp/metadata" || r.Body["idp_certificate_expires_at"] == "" {
			t.Fatalf("PUT answer %s", r.Raw)
		}
		h.client()
		l := h.start(zoe)
		form := h.atIDP(l)
		if raw, _ := base64.StdEncoding.DecodeString(form.Get("SAMLResponse")); !strings.Contains(string(raw), "EncryptedAssertion") {
			t.Fatal("the IdP did not encrypt the assertion to the SP metadata's key")
		}
		idt := h.finish(l, location(t, h.acs(l.b, form)))
		var claims struct {
			Email    string   `json:"email"`
			Verified bool     `json:"email_verified"`
			AMR      []string `json:"amr"`
		}
		if err := idt.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		if claims.Email != zoe || !claims.Verified || !slices.Equal(claims.AMR, []string{"saml"}) {
			t.Fatalf("ID token claims %+v; want zoe, verified, amr [saml]", claims)
		}
		u, err := st.GetUserByEmail(t.Context(), zoe)
		if err != nil || !u.EmailVerified || u.ID != idt.Subject {
			t.Fatalf("account %+v, %v", u, err)
		}
		m, err := st.GetMember(t.Context(), h.org.ID, u.ID)
		if err != nil || m.Role != store.RoleMember {
			t.Fatalf("membership %+v, %v; want member", m, err)
		}
		var added bool
		for _, ev := range h.inst.Events() {
			if ev.Type == event.MemberAdded && ev.TargetID == u.ID && ev.OrgID == h.org.ID {
				added = true
			}
		}
		if !added {
			t.Error("no member.added event")
		}

		// A second sign-in finds the account; the IdP says MFA.
		h.idp.mfa = true
		l = h.start(zoe)
		idt = h.finish(l, location(t, h.acs(l.b, h.atIDP(l))))
		if err := idt.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		if idt.Subject != u.ID || !slices.Equal(claims.AMR, []string{"saml", "mfa"}) {
			t.Fatalf("second sign-in: sub %s amr %v; want %s [saml mfa]", idt.Subject, claims.AMR, u.ID)
		}
	})
}

// TestConnectionAPI: GET before PUT is SAML_NOT_CONFIGURED; a domain
// belongs to one connection; DELETE; only admins.
func TestConnectionAPI(t *testing.T) {
	h := newHarness(t, backends.List(t, true)[0].Open(t))
	if r := h.api(http.MethodGet, "/api/organizations/corp/saml", nil); r.Status != 400 || r.Body["error_code"] != string(authos.CodeSAMLNotConfigured) {
		t.Fatalf("GET before PUT: %d %s", r.Status, r.Raw)
	}
	if r := h.api(http.MethodPut, "/api/organizations/corp/saml", map[string]any{"idp_metadata_xml": "<x/>", "domains": []string{"corp.example"}}); r.Status != 400 {
		t.Fatalf("PUT with bad metadata: %d %s", r.Status, r.Raw)
	}
	h.connect(map[string]any{"idp_metadata_url": nil, "idp_metadata_xml": h.idp.metadata(t), "password_sign_in": false})
	r := h.api(http.MethodGet, "/api/organizations/corp/saml", nil)
	if r.Status != 200 || r.Body["password_sign_in"] != false || r.Body["enabled"] != true {
		t.Fatalf("GET: %d %s", r.Status, r.Raw)
	}
	// The change is an event and an audit entry.
	var emitted bool
	for _, ev := range h.inst.Events() {
		emitted = emitted || ev.Type == saml.EventConnectionUpdated && ev.OrgID == h.org.ID && ev.TargetID == r.Body["id"]
	}
	if !emitted {
		t.Error("no saml.connection.updated event")
	}
	if es, _, err := h.inst.ListAudit(t.Context(), store.AuditFilter{Action: "put_saml_connection", TargetID: h.org.ID}); err != nil || len(es) != 1 ||
		!strings.Contains(string(es[0].After), `"password_sign_in":false`) {
		t.Fatalf("audit entries %+v, %v; want one put_saml_connection with the connection after", es, err)
	}
	// Another organization cannot take corp.example.
	ctx := t.Context()
	p, _ := h.inst.VerifyAccessToken(ctx, h.owner, "")
	if _, _, err := h.inst.CreateOrganization(ctx, p.UserID, authos.CreateOrgInput{Slug: "other", Name: "Other"}); err != nil {
		t.Fatal(err)
	}
	r = h.api(http.MethodPut, "/api/organizations/other/saml", map[string]any{"idp_metadata_xml": h.idp.metadata(t), "domains": []string{"CORP.example"}})
	if r.Status != 409 || r.Body["error_code"] != string(authos.CodeConflict) {
		t.Fatalf("PUT of a taken domain: %d %s", r.Status, r.Raw)
	}
	if r := h.api(http.MethodDelete, "/api/organizations/corp/saml", nil); r.Status != 204 {
		t.Fatalf("DELETE: %d %s", r.Status, r.Raw)
	}
	if r := h.api(http.MethodGet, "/saml/corp/metadata", nil); r.Status != 400 || r.Body["error_code"] != string(authos.CodeSAMLNotConfigured) {
		t.Fatalf("metadata after DELETE: %d %s", r.Status, r.Raw)
	}
}
