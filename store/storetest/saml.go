package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/authos/authos/store"
)

// samlStorage is a backend that offers store.SAMLStore, and samlTx one of
// its transactions.
type (
	samlStorage interface {
		store.Storage
		store.SAMLStore
	}
	samlTx interface {
		store.Tx
		store.SAMLStore
	}
)

var samlTests = []capTest[samlStorage]{
	{"ConnectionCRUD", testSAMLConnectionCRUD},
	{"DomainsOwnedOnce", testSAMLDomains},
	{"RequestSingleUse", testSAMLRequestSingleUse},
	{"RequestConcurrent", testSAMLRequestConcurrent},
	{"AssertionReplay", testSAMLAssertionReplay},
	{"AssertionConcurrent", testSAMLAssertionConcurrent},
	{"InTx", testSAMLInTx},
	{"MetadataRefresh", testSAMLMetadataRefresh},
	{"MetadataClaimConcurrent", testSAMLMetadataClaimConcurrent},
}

func normSAMLConnection(c store.SAMLConnection) store.SAMLConnection {
	c.IDPMetadata, c.SPKey, c.SPCert, c.Domains = nb(c.IDPMetadata), nb(c.SPKey), nb(c.SPCert), ns(c.Domains)
	c.IDPCertNotAfter, c.CreatedAt, c.UpdatedAt = nt(c.IDPCertNotAfter), nt(c.CreatedAt), nt(c.UpdatedAt)
	c.MetadataRefreshedAt, c.MetadataRefreshAt = nt(c.MetadataRefreshedAt), nt(c.MetadataRefreshAt)
	if len(c.GroupRoles) == 0 {
		c.GroupRoles = nil
	}
	return c
}

func newSAMLConnection(id, orgID string, domains ...string) store.SAMLConnection {
	return store.SAMLConnection{ID: id, OrgID: orgID, IDPMetadata: []byte("<EntityDescriptor/>"), IDPMetadataURL: "https://idp.example.com/md",
		IDPEntityID: "https://idp.example.com", IDPCertNotAfter: at(365 * 24 * time.Hour), Domains: domains, DefaultRole: "member",
		EmailAttribute: "mail", NameAttribute: "displayName", GroupsAttribute: "groups", Enabled: true, PasswordSignInDisabled: true,
		GroupRoles: map[string]string{"Admins": "admin", "Owners": "owner"}, AllowIDPInitiated: true,
		IDPInitiatedServiceID: "svc-" + id, IDPInitiatedLoginURI: "https://app.example.com/login",
		MetadataRefreshedAt: base, MetadataRefreshAt: at(24 * time.Hour),
		SPKey: []byte("sealed-" + id), SPCert: []byte("der-" + id), CreatedAt: base, UpdatedAt: base}
}

func testSAMLConnectionCRUD(t *testing.T, s samlStorage) {
	ctx := t.Context()
	addOrg(t, s, newOrg("o1", "acme", base))
	wantErr(t, "Put for a missing org", s.PutSAMLConnection(ctx, newSAMLConnection("c0", "nope", "nope.example")), store.ErrNotFound)
	_, err := s.GetSAMLConnection(ctx, "o1")
	wantErr(t, "Get before Put", err, store.ErrNotFound)
	c := newSAMLConnection("c1", "o1", "a.example", "b.example")
	must(t, "Put", s.PutSAMLConnection(ctx, c))
	got, err := s.GetSAMLConnection(ctx, "o1")
	must(t, "Get", err)
	checkEqual(t, "Get", got, c, normSAMLConnection)
	got, err = s.FindSAMLConnectionByDomain(ctx, "b.example")
	must(t, "FindSAMLConnectionByDomain", err)
	checkEqual(t, "FindSAMLConnectionByDomain", got, c, normSAMLConnection)

	// Replacing keeps the id and creation time, and the new domain list.
	r := newSAMLConnection("other-id", "o1", "c.example")
	r.CreatedAt, r.UpdatedAt, r.Enabled, r.AllowIDPInitiated, r.IDPMetadataURL = at(time.Hour), at(time.Hour), false, false, ""
	r.GroupRoles, r.IDPInitiatedServiceID, r.IDPInitiatedLoginURI = nil, "", ""
	r.MetadataRefreshedAt, r.MetadataRefreshAt, r.MetadataError = time.Time{}, time.Time{}, "an earlier failure"
	must(t, "Put again", s.PutSAMLConnection(ctx, r))
	want := r
	want.ID, want.CreatedAt = "c1", base
	got, err = s.GetSAMLConnection(ctx, "o1")
	must(t, "Get after replace", err)
	checkEqual(t, "Get after replace", got, want, normSAMLConnection)
	_, err = s.FindSAMLConnectionByDomain(ctx, "a.example")
	wantErr(t, "Find a dropped domain", err, store.ErrNotFound)

	must(t, "Delete", s.DeleteSAMLConnection(ctx, "o1"))
	wantErr(t, "Delete again", s.DeleteSAMLConnection(ctx, "o1"), store.ErrNotFound)
	_, err = s.FindSAMLConnectionByDomain(ctx, "c.example")
	wantErr(t, "Find after delete", err, store.ErrNotFound)

	// Deleting the organization deletes its connection.
	must(t, "Put", s.PutSAMLConnection(ctx, newSAMLConnection("c2", "o1", "d.example")))
	must(t, "DeleteOrg", s.DeleteOrg(ctx, "o1"))
	_, err = s.GetSAMLConnection(ctx, "o1")
	wantErr(t, "Get after org deletion", err, store.ErrNotFound)
	_, err = s.FindSAMLConnectionByDomain(ctx, "d.example")
	wantErr(t, "Find after org deletion", err, store.ErrNotFound)
}

func testSAMLDomains(t *testing.T, s samlStorage) {
	ctx := t.Context()
	addOrg(t, s, newOrg("o1", "acme", base))
	addOrg(t, s, newOrg("o2", "globex", base))
	must(t, "Put o1", s.PutSAMLConnection(ctx, newSAMLConnection("c1", "o1", "a.example")))
	wantErr(t, "Put o2 with o1's domain", s.PutSAMLConnection(ctx, newSAMLConnection("c2", "o2", "b.example", "a.example")), store.ErrConflict)
	_, err := s.GetSAMLConnection(ctx, "o2")
	wantErr(t, "o2 after the refused Put", err, store.ErrNotFound)
	must(t, "Put o2", s.PutSAMLConnection(ctx, newSAMLConnection("c2", "o2", "b.example")))
	got, err := s.FindSAMLConnectionByDomain(ctx, "a.example")
	must(t, "Find", err)
	if got.OrgID != "o1" {
		t.Errorf("a.example belongs to %q; want o1", got.OrgID)
	}
	// Once o1 lets it go, o2 may take it.
	must(t, "Put o1 without it", s.PutSAMLConnection(ctx, newSAMLConnection("c1", "o1", "c.example")))
	must(t, "Put o2 with it", s.PutSAMLConnection(ctx, newSAMLConnection("c2", "o2", "a.example", "b.example")))
}

func testSAMLRequestSingleUse(t *testing.T, s samlStorage) {
	ctx := t.Context()
	r := store.SAMLRequest{Hash: "h1", RequestID: "id-1", ConnectionID: "c1", Flow: []byte("sealed"), CreatedAt: base, ExpiresAt: at(10 * time.Minute)}
	must(t, "Create", s.CreateSAMLRequest(ctx, r))
	wantErr(t, "Create same hash", s.CreateSAMLRequest(ctx, r), store.ErrConflict)
	_, err := s.ConsumeSAMLRequest(ctx, "nope", at(time.Minute))
	wantErr(t, "Consume unknown", err, store.ErrNotFound)
	got, err := s.ConsumeSAMLRequest(ctx, "h1", at(time.Minute))
	must(t, "Consume", err)
	want := r
	want.UsedAt = at(time.Minute)
	checkEqual(t, "Consume", got, want, func(r store.SAMLRequest) store.SAMLRequest {
		r.Flow, r.CreatedAt, r.ExpiresAt, r.UsedAt = nb(r.Flow), nt(r.CreatedAt), nt(r.ExpiresAt), nt(r.UsedAt)
		return r
	})
	_, err = s.ConsumeSAMLRequest(ctx, "h1", at(2*time.Minute))
	wantErr(t, "Consume again", err, store.ErrUsed)
	must(t, "Create h2", s.CreateSAMLRequest(ctx, store.SAMLRequest{Hash: "h2", RequestID: "id-2", ConnectionID: "c1", CreatedAt: base, ExpiresAt: at(time.Minute)}))
	_, err = s.ConsumeSAMLRequest(ctx, "h2", at(time.Minute))
	wantErr(t, "Consume at expiry", err, store.ErrExpired)
	n, err := s.DeleteExpiredSAML(ctx, at(10*time.Minute))
	must(t, "DeleteExpiredSAML", err)
	if n != 2 {
		t.Errorf("DeleteExpiredSAML removed %d; want 2", n)
	}
	_, err = s.ConsumeSAMLRequest(ctx, "h2", at(time.Minute))
	wantErr(t, "Consume after cleanup", err, store.ErrNotFound)
}

func testSAMLRequestConcurrent(t *testing.T, s samlStorage) {
	ctx := t.Context()
	must(t, "Create", s.CreateSAMLRequest(ctx, store.SAMLRequest{Hash: "h", RequestID: "id", ConnectionID: "c", CreatedAt: base, ExpiresAt: at(time.Hour)}))
	oneWins(t, "ConsumeSAMLRequest", 12, store.ErrUsed, func(int) error {
		_, err := s.ConsumeSAMLRequest(ctx, "h", at(time.Minute))
		return err
	})
}

func testSAMLAssertionReplay(t *testing.T, s samlStorage) {
	ctx := t.Context()
	must(t, "Use", s.UseSAMLAssertion(ctx, "c1", "a1", at(5*time.Minute), base))
	wantErr(t, "Use again", s.UseSAMLAssertion(ctx, "c1", "a1", at(5*time.Minute), at(time.Minute)), store.ErrUsed)
	must(t, "Use in another connection", s.UseSAMLAssertion(ctx, "c2", "a1", at(5*time.Minute), at(time.Minute)))
	// Once its record has expired, the id is accepted (the assertion
	// itself has expired by then).
	must(t, "Use after expiry", s.UseSAMLAssertion(ctx, "c1", "a1", at(20*time.Minute), at(5*time.Minute)))
	wantErr(t, "Use again after renewal", s.UseSAMLAssertion(ctx, "c1", "a1", at(20*time.Minute), at(6*time.Minute)), store.ErrUsed)
	n, err := s.DeleteExpiredSAML(ctx, at(10*time.Minute))
	must(t, "DeleteExpiredSAML", err)
	if n != 1 {
		t.Errorf("DeleteExpiredSAML removed %d; want 1 (c2's)", n)
	}
	wantErr(t, "Use after cleanup of others", s.UseSAMLAssertion(ctx, "c1", "a1", at(30*time.Minute), at(11*time.Minute)), store.ErrUsed)
}

func testSAMLAssertionConcurrent(t *testing.T, s samlStorage) {
	ctx := t.Context()
	oneWins(t, "UseSAMLAssertion", 12, store.ErrUsed, func(int) error {
		return s.UseSAMLAssertion(ctx, "c", "a", at(time.Hour), base)
	})
}

func testSAMLInTx(t *testing.T, s samlStorage) {
	ctx := t.Context()
	addOrg(t, s, newOrg("o1", "acme", base))
	boom := errors.New("boom")
	err := s.Tx(ctx, func(stx store.Tx) error {
		tx := within[samlTx](t, stx)
		if err := tx.PutSAMLConnection(ctx, newSAMLConnection("c1", "o1", "a.example")); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Tx: %v; want boom", err)
	}
	_, err = s.GetSAMLConnection(ctx, "o1")
	wantErr(t, "connection after rollback", err, store.ErrNotFound)
	must(t, "Tx", s.Tx(ctx, func(stx store.Tx) error {
		return within[samlTx](t, stx).PutSAMLConnection(ctx, newSAMLConnection("c1", "o1", "a.example"))
	}))
	if _, err := s.FindSAMLConnectionByDomain(ctx, "a.example"); err != nil {
		t.Fatalf("connection after commit: %v", err)
	}
}

func testSAMLMetadataRefresh(t *testing.T, s samlStorage) {
	ctx := t.Context()
	addOrg(t, s, newOrg("o1", "acme", base))
	addOrg(t, s, newOrg("o2", "globex", base))
	addOrg(t, s, newOrg("o3", "initech", base))
	c1 := newSAMLConnection("c1", "o1", "a.example", "a2.example") // due at +24h; two domains, listed with it
	c2 := newSAMLConnection("c2", "o2", "b.example")
	c2.MetadataRefreshAt = at(12 * time.Hour)
	c3 := newSAMLConnection("c3", "o3", "c.example") // metadata as XML: never due
	c3.IDPMetadataURL, c3.MetadataRefreshedAt, c3.MetadataRefreshAt = "", time.Time{}, time.Time{}
	addOrg(t, s, newOrg("o4", "umbrella", base))
	c4 := newSAMLConnection("c4", "o4", "d.example") // a URL, stored before refreshes were scheduled: due
	c4.MetadataRefreshedAt, c4.MetadataRefreshAt = time.Time{}, time.Time{}
	for _, c := range []store.SAMLConnection{c1, c2, c3, c4} {
		must(t, "Put", s.PutSAMLConnection(ctx, c))
	}
	ids := func(cs []store.SAMLConnection) []string {
		out := []string{}
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	due, err := s.ListSAMLMetadataDue(ctx, at(time.Hour), 10)
	must(t, "ListSAMLMetadataDue", err)
	if got := ids(due); len(got) != 1 || got[0] != "c4" {
		t.Fatalf("due at +1h: %v; want [c4] (a URL, never scheduled)", got)
	}
	must(t, "Claim c4", s.ClaimSAMLMetadataRefresh(ctx, "c4", time.Time{}, at(48*time.Hour)))
	due, err = s.ListSAMLMetadataDue(ctx, at(24*time.Hour), 10)
	must(t, "ListSAMLMetadataDue", err)
	if got := ids(due); len(got) != 2 || got[0] != "c2" || got[1] != "c1" {
		t.Fatalf("due at +24h: %v; want [c2 c1] (earliest first, never c3, c4 claimed until +48h)", got)
	}
	checkEqual(t, "listed connection", due[1], c1, normSAMLConnection)
	if due, err = s.ListSAMLMetadataDue(ctx, at(24*time.Hour), 1); err != nil || len(due) != 1 || due[0].ID != "c2" {
		t.Fatalf("limit 1: %v, %v; want [c2]", ids(due), err)
	}

	// Claiming moves the due time; a second claim of the same due time
	// finds nothing.
	must(t, "Claim", s.ClaimSAMLMetadataRefresh(ctx, "c2", at(12*time.Hour), at(25*time.Hour)))
	wantErr(t, "Claim again", s.ClaimSAMLMetadataRefresh(ctx, "c2", at(12*time.Hour), at(25*time.Hour)), store.ErrNotFound)
	wantErr(t, "Claim unknown", s.ClaimSAMLMetadataRefresh(ctx, "nope", at(12*time.Hour), at(25*time.Hour)), store.ErrNotFound)
	wantErr(t, "Claim a connection never due", s.ClaimSAMLMetadataRefresh(ctx, "c3", time.Time{}, at(25*time.Hour)), store.ErrNotFound)

	// A failure keeps the metadata and records the error.
	must(t, "Save failure", s.SaveSAMLMetadataRefresh(ctx, store.SAMLMetadataRefresh{ConnectionID: "c2", URL: c2.IDPMetadataURL,
		Error: "status 500", NextRefreshAt: at(13 * time.Hour)}))
	got, err := s.GetSAMLConnection(ctx, "o2")
	must(t, "Get after failure", err)
	want := c2
	want.MetadataError, want.MetadataRefreshAt = "status 500", at(13*time.Hour)
	checkEqual(t, "after a failed refresh", got, want, normSAMLConnection)

	// A success replaces the metadata and clears the error; UpdatedAt
	// stays.
	must(t, "Save success", s.SaveSAMLMetadataRefresh(ctx, store.SAMLMetadataRefresh{ConnectionID: "c2", URL: c2.IDPMetadataURL,
		Metadata: []byte("<new/>"), IDPEntityID: "https://idp2.example.com", IDPCertNotAfter: at(2 * 365 * 24 * time.Hour),
		RefreshedAt: at(13 * time.Hour), NextRefreshAt: at(37 * time.Hour)}))
	got, err = s.GetSAMLConnection(ctx, "o2")
	must(t, "Get after success", err)
	want.IDPMetadata, want.IDPEntityID, want.IDPCertNotAfter = []byte("<new/>"), "https://idp2.example.com", at(2*365*24*time.Hour)
	want.MetadataRefreshedAt, want.MetadataError, want.MetadataRefreshAt = at(13*time.Hour), "", at(37*time.Hour)
	checkEqual(t, "after a refresh", got, want, normSAMLConnection)

	// An admin changed the URL meanwhile: the outcome of the old one is
	// not recorded.
	wantErr(t, "Save for another URL", s.SaveSAMLMetadataRefresh(ctx, store.SAMLMetadataRefresh{ConnectionID: "c2",
		URL: "https://old.example.com/md", Error: "late", NextRefreshAt: at(40 * time.Hour)}), store.ErrNotFound)
	wantErr(t, "Save for an unknown connection", s.SaveSAMLMetadataRefresh(ctx, store.SAMLMetadataRefresh{ConnectionID: "nope",
		URL: c2.IDPMetadataURL, Error: "x"}), store.ErrNotFound)
	got, err = s.GetSAMLConnection(ctx, "o2")
	must(t, "Get after refused saves", err)
	checkEqual(t, "after refused saves", got, want, normSAMLConnection)
}

func testSAMLMetadataClaimConcurrent(t *testing.T, s samlStorage) {
	ctx := t.Context()
	addOrg(t, s, newOrg("o1", "acme", base))
	must(t, "Put", s.PutSAMLConnection(ctx, newSAMLConnection("c1", "o1", "a.example")))
	oneWins(t, "ClaimSAMLMetadataRefresh", 12, store.ErrNotFound, func(int) error {
		return s.ClaimSAMLMetadataRefresh(ctx, "c1", at(24*time.Hour), at(48*time.Hour))
	})
}
