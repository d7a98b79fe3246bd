package saml_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/store"
)

// TestMetadataRefresh on every backend: the IdP (a loopback server)
// rotates its signing key; a day later (the instance's clock) the
// housekeeping fetches its metadata again and responses signed with the
// new key are accepted, the old key's refused. A failing fetch keeps the
// metadata in use, shows metadata_error and is retried an hour later.
func TestMetadataRefresh(t *testing.T) {
	backends.Each(t, func(t *testing.T, st store.Storage) {
		h := newHarness(t, st)
		ctx := t.Context()
		h.connect(nil)
		h.client()
		// A second organization's connection to the same IdP, refreshed in
		// the same run.
		op, err := h.inst.VerifyAccessToken(ctx, h.owner, "")
		if err != nil {
			t.Fatal(err)
		}
		other, _, err := h.inst.CreateOrganization(ctx, op.UserID, authos.CreateOrgInput{Slug: "other", Name: "Other"})
		if err != nil {
			t.Fatal(err)
		}
		if r := h.api(http.MethodPut, "/api/organizations/other/saml", map[string]any{"idp_metadata_url": h.idp.srv.URL + "/metadata",
			"domains": []string{"other.example"}}); r.Status != http.StatusOK {
			t.Fatalf("PUT other: %d %s", r.Status, r.Raw)
		}
		get := func() map[string]any {
			t.Helper()
			h.owner = authostest.Token(t, h.inst, ownerMail) // a token of the instance's current time
			r := h.api(http.MethodGet, "/api/organizations/corp/saml", nil)
			if r.Status != http.StatusOK {
				t.Fatalf("GET: %d %s", r.Status, r.Raw)
			}
			return r.Body
		}
		stamp := func(tm time.Time) string { return tm.UTC().Format(time.RFC3339Nano) }
		parse := func(v any) time.Time {
			s, _ := v.(string)
			tm, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				t.Fatalf("time %q: %v", s, err)
			}
			return tm
		}
		c := get()
		if !parse(c["metadata_refreshed_at"]).Equal(h.inst.Clock.Now()) || c["metadata_error"] != nil {
			t.Fatalf("after PUT: %v; want metadata_refreshed_at now (%s), no metadata_error", c, stamp(h.inst.Clock.Now()))
		}
		signInWith := func(s signer, code authos.ErrorCode) {
			t.Helper()
			l := h.start(zoe)
			f := h.forge(l)
			f.by = s
			a := h.postDoc(l, f.doc(t))
			if code == "" {
				h.finish(l, location(t, a))
				return
			}
			refused(t, a, code)
		}
		oldSigner := newSigner(h.idp.key, h.idp.cert)
		key2, cert2 := newKeyPair(t, "idp.example 2")
		h.idp.key, h.idp.cert = key2, cert2
		h.idp.idp.Key, h.idp.idp.Signer, h.idp.idp.Certificate = key2, key2, cert2
		newSigner := newSigner(key2, cert2)

		// Before the refresh the new key is unknown.
		if err := h.inst.Cleanup(ctx); err != nil {
			t.Fatal(err)
		}
		signInWith(newSigner, authos.CodeSAMLSignatureInvalid)
		signInWith(oldSigner, "")

		h.inst.Clock.Advance(24*time.Hour + time.Minute)
		if err := h.inst.Cleanup(ctx); err != nil {
			t.Fatal(err)
		}
		refreshed := h.inst.Clock.Now()
		c = get()
		if !parse(c["metadata_refreshed_at"]).Equal(refreshed) || !parse(c["idp_certificate_expires_at"]).Equal(cert2.NotAfter.UTC()) {
			t.Fatalf("after the refresh: %v; want metadata_refreshed_at %s and the new certificate's expiry %s", c, stamp(refreshed), stamp(cert2.NotAfter))
		}
		signInWith(newSigner, "")
		signInWith(oldSigner, authos.CodeSAMLSignatureInvalid)
		if oc, err := h.saml.Get(ctx, other); err != nil || !oc.IDPCertExpiresAt.Equal(cert2.NotAfter.UTC()) || oc.MetadataRefreshedAt == nil ||
			!oc.MetadataRefreshedAt.Equal(refreshed) {
			t.Fatalf("the other connection after the refresh: %+v, %v; want the new certificate", oc, err)
		}

		// The IdP's metadata URL fails: the metadata stays, the error shows.
		h.idp.down.Store(true)
		h.inst.Clock.Advance(24*time.Hour + time.Minute)
		if err := h.inst.Cleanup(ctx); err != nil {
			t.Fatalf("Cleanup with the metadata URL down: %v; want the failure recorded, not returned", err)
		}
		c = get()
		if c["metadata_error"] != "The identity provider metadata could not be fetched" || !parse(c["metadata_refreshed_at"]).Equal(refreshed) {
			t.Fatalf("after a failed refresh: %v; want metadata_error and metadata_refreshed_at %s", c, stamp(refreshed))
		}
		signInWith(newSigner, "")

		// Retried an hour later, not before.
		h.idp.down.Store(false)
		h.inst.Clock.Advance(30 * time.Minute)
		if err := h.inst.Cleanup(ctx); err != nil {
			t.Fatal(err)
		}
		if c = get(); c["metadata_error"] == nil {
			t.Fatalf("30 minutes after the failure: %v; want no retry yet", c)
		}
		h.inst.Clock.Advance(31 * time.Minute)
		if err := h.inst.Cleanup(ctx); err != nil {
			t.Fatal(err)
		}
		if c = get(); c["metadata_error"] != nil || !parse(c["metadata_refreshed_at"]).Equal(h.inst.Clock.Now()) {
			t.Fatalf("an hour after the failure: %v; want a successful refresh", c)
		}
		signInWith(newSigner, "")
	})
}
