package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/authos/authos/store"
)

// oauthStorage is a backend that offers store.OAuthStore, and oauthTx one
// of its transactions.
type (
	oauthStorage interface {
		store.Storage
		store.OAuthStore
	}
	oauthTx interface {
		store.Tx
		store.OAuthStore
	}
)

var oauthTests = []capTest[oauthStorage]{
	{"ProviderCRUD", testOAuthProviderCRUD},
	{"StateSingleUse", testOAuthStateSingleUse},
	{"StateConcurrent", testOAuthStateConcurrent},
	{"IdentityCRUD", testOAuthIdentityCRUD},
	{"TokensAndLease", testOAuthTokensLease},
	{"SignInEndsLease", testOAuthSignInEndsLease},
	{"LeaseConcurrent", testOAuthLeaseConcurrent},
	{"Confirm", testOAuthConfirm},
	{"RefreshList", testOAuthRefreshList},
	{"Cascades", testOAuthCascades},
	{"InTx", testOAuthInTx},
}

func normOAuthProvider(p store.OAuthProvider) store.OAuthProvider {
	p.Secret, p.Scopes, p.CreatedAt, p.UpdatedAt = nb(p.Secret), ns(p.Scopes), nt(p.CreatedAt), nt(p.UpdatedAt)
	return p
}

func normOAuthIdentity(i store.OAuthIdentity) store.OAuthIdentity {
	i.AccessToken, i.RefreshToken, i.Scopes = nb(i.AccessToken), nb(i.RefreshToken), ns(i.Scopes)
	i.ExpiresAt, i.RetryAt, i.LeaseUntil, i.CreatedAt, i.UpdatedAt = nt(i.ExpiresAt), nt(i.RetryAt), nt(i.LeaseUntil), nt(i.CreatedAt), nt(i.UpdatedAt)
	return i
}

func newOAuthIdentity(id, userID, provider, orgID, subject string, created time.Time) store.OAuthIdentity {
	return store.OAuthIdentity{ID: id, UserID: userID, Provider: provider, OrgID: orgID, Subject: subject, Email: subject + "@example.com",
		OAuthTokens: store.OAuthTokens{AccessToken: []byte("sealed-at-" + id), RefreshToken: []byte("sealed-rt-" + id), TokenType: "Bearer",
			ExpiresAt: created.Add(time.Hour), Scopes: []string{"openid", "email"}},
		CreatedAt: created, UpdatedAt: created}
}

func testOAuthProviderCRUD(t *testing.T, s oauthStorage) {
	ctx := t.Context()
	addOrg(t, s, newOrg("o1", "acme", base))
	addOrg(t, s, newOrg("o2", "globex", base))
	p := store.OAuthProvider{OrgID: "o1", Provider: "github", ClientID: "cid", Secret: []byte("sealed"), Scopes: []string{"read:user"},
		Enabled: true, CreatedAt: base, UpdatedAt: base}
	must(t, "PutOAuthProvider", s.PutOAuthProvider(ctx, p))
	wantErr(t, "Put for a missing org", s.PutOAuthProvider(ctx, store.OAuthProvider{OrgID: "nope", Provider: "github", ClientID: "x"}), store.ErrNotFound)
	got, err := s.GetOAuthProvider(ctx, "o1", "github")
	must(t, "GetOAuthProvider", err)
	checkEqual(t, "GetOAuthProvider", got, p, normOAuthProvider)
	_, err = s.GetOAuthProvider(ctx, "o2", "github")
	wantErr(t, "Get in another org", err, store.ErrNotFound)

	upd := p
	upd.ClientID, upd.Secret, upd.Issuer, upd.Scopes, upd.Enabled = "cid2", []byte("sealed2"), "https://idp.example.com", nil, false
	upd.CreatedAt, upd.UpdatedAt = at(time.Hour), at(time.Hour)
	must(t, "Put again", s.PutOAuthProvider(ctx, upd))
	got, err = s.GetOAuthProvider(ctx, "o1", "github")
	must(t, "Get after replace", err)
	upd.CreatedAt = base // kept
	checkEqual(t, "after replace", got, upd, normOAuthProvider)

	must(t, "Put google", s.PutOAuthProvider(ctx, store.OAuthProvider{OrgID: "o1", Provider: "acme-sso", ClientID: "c", Enabled: true, CreatedAt: base, UpdatedAt: base}))
	list, err := s.ListOAuthProviders(ctx, "o1")
	must(t, "ListOAuthProviders", err)
	if len(list) != 2 || list[0].Provider != "acme-sso" || list[1].Provider != "github" {
		t.Fatalf("ListOAuthProviders = %+v; want acme-sso, github", list)
	}
	if l, err := s.ListOAuthProviders(ctx, "o2"); err != nil || len(l) != 0 {
		t.Fatalf("ListOAuthProviders(o2) = %+v, %v", l, err)
	}
	wantErr(t, "Delete in another org", s.DeleteOAuthProvider(ctx, "o2", "github"), store.ErrNotFound)
	must(t, "DeleteOAuthProvider", s.DeleteOAuthProvider(ctx, "o1", "github"))
	_, err = s.GetOAuthProvider(ctx, "o1", "github")
	wantErr(t, "Get after delete", err, store.ErrNotFound)
	wantErr(t, "Delete again", s.DeleteOAuthProvider(ctx, "o1", "github"), store.ErrNotFound)
}

func testOAuthStateSingleUse(t *testing.T, s oauthStorage) {
	ctx := t.Context()
	st := store.OAuthState{Hash: "h1", Provider: "github", OrgID: "o1", BrowserHash: "b1", Data: []byte("sealed"),
		CreatedAt: base, ExpiresAt: at(10 * time.Minute)}
	must(t, "CreateOAuthState", s.CreateOAuthState(ctx, st))
	wantErr(t, "Create same hash", s.CreateOAuthState(ctx, st), store.ErrConflict)
	got, err := s.ConsumeOAuthState(ctx, "h1", at(time.Minute))
	must(t, "ConsumeOAuthState", err)
	if got.Provider != "github" || got.OrgID != "o1" || got.BrowserHash != "b1" || string(got.Data) != "sealed" ||
		!sameTime(got.UsedAt, at(time.Minute)) || !sameTime(got.ExpiresAt, at(10*time.Minute)) {
		t.Errorf("ConsumeOAuthState = %+v", got)
	}
	_, err = s.ConsumeOAuthState(ctx, "h1", at(2*time.Minute))
	wantErr(t, "Consume again", err, store.ErrUsed)
	_, err = s.ConsumeOAuthState(ctx, "nope", at(time.Minute))
	wantErr(t, "Consume unknown", err, store.ErrNotFound)
	must(t, "Create h2", s.CreateOAuthState(ctx, store.OAuthState{Hash: "h2", Provider: "google", BrowserHash: "b", CreatedAt: base, ExpiresAt: at(10 * time.Minute)}))
	_, err = s.ConsumeOAuthState(ctx, "h2", at(10*time.Minute))
	wantErr(t, "Consume at expiry", err, store.ErrExpired)
	must(t, "Create h3", s.CreateOAuthState(ctx, store.OAuthState{Hash: "h3", Provider: "google", BrowserHash: "b", CreatedAt: base, ExpiresAt: at(time.Hour)}))
	n, err := s.DeleteExpiredOAuthStates(ctx, at(10*time.Minute))
	must(t, "DeleteExpiredOAuthStates", err)
	if n != 2 {
		t.Errorf("DeleteExpiredOAuthStates = %d; want 2 (h1, h2)", n)
	}
	_, err = s.ConsumeOAuthState(ctx, "h3", at(11*time.Minute))
	must(t, "Consume the live h3", err)
}

func testOAuthStateConcurrent(t *testing.T, s oauthStorage) {
	ctx := t.Context()
	must(t, "CreateOAuthState", s.CreateOAuthState(ctx, store.OAuthState{Hash: "h", Provider: "github", BrowserHash: "b", CreatedAt: base, ExpiresAt: at(time.Hour)}))
	oneWins(t, "ConsumeOAuthState", 12, store.ErrUsed, func(int) error {
		_, err := s.ConsumeOAuthState(ctx, "h", at(time.Minute))
		return err
	})
}

func testOAuthIdentityCRUD(t *testing.T, s oauthStorage) {
	ctx := t.Context()
	addUser(t, s, "u1", "a@example.com")
	addUser(t, s, "u2", "b@example.com")
	i1 := newOAuthIdentity("i1", "u1", "github", "", "100", base)
	must(t, "CreateOAuthIdentity", s.CreateOAuthIdentity(ctx, i1))
	wantErr(t, "Create for a missing user", s.CreateOAuthIdentity(ctx, newOAuthIdentity("ix", "nope", "github", "", "999", base)), store.ErrNotFound)
	wantErr(t, "Create same id", s.CreateOAuthIdentity(ctx, newOAuthIdentity("i1", "u2", "google", "", "1", base)), store.ErrConflict)
	wantErr(t, "Create same subject for another user", s.CreateOAuthIdentity(ctx, newOAuthIdentity("i2", "u2", "github", "", "100", base)), store.ErrConflict)
	wantErr(t, "Create a second identity of the connection", s.CreateOAuthIdentity(ctx, newOAuthIdentity("i2", "u1", "github", "", "101", base)), store.ErrConflict)
	// The same subject in another connection (an organization's own app) is another identity.
	i2 := newOAuthIdentity("i2", "u2", "github", "o1", "100", at(time.Second))
	must(t, "Create in an org connection", s.CreateOAuthIdentity(ctx, i2))
	i3 := newOAuthIdentity("i3", "u1", "google", "", "g-1", at(2*time.Second))
	i3.RefreshToken, i3.ExpiresAt, i3.Scopes = nil, time.Time{}, nil
	must(t, "Create i3", s.CreateOAuthIdentity(ctx, i3))

	got, err := s.GetOAuthIdentity(ctx, "i1")
	must(t, "GetOAuthIdentity", err)
	checkEqual(t, "GetOAuthIdentity", got, i1, normOAuthIdentity)
	got, err = s.FindOAuthIdentity(ctx, "github", "o1", "100")
	must(t, "FindOAuthIdentity", err)
	checkEqual(t, "FindOAuthIdentity", got, i2, normOAuthIdentity)
	_, err = s.FindOAuthIdentity(ctx, "github", "o2", "100")
	wantErr(t, "Find in another connection", err, store.ErrNotFound)
	list, err := s.ListOAuthIdentities(ctx, "u1")
	must(t, "ListOAuthIdentities", err)
	if len(list) != 2 || list[0].ID != "i1" || list[1].ID != "i3" {
		t.Fatalf("ListOAuthIdentities(u1) = %+v; want i1, i3", list)
	}
	checkEqual(t, "listed i3", list[1], i3, normOAuthIdentity)
	wantErr(t, "Delete another user's identity", s.DeleteOAuthIdentity(ctx, "u1", "i2"), store.ErrNotFound)
	must(t, "DeleteOAuthIdentity", s.DeleteOAuthIdentity(ctx, "u1", "i1"))
	_, err = s.GetOAuthIdentity(ctx, "i1")
	wantErr(t, "Get after delete", err, store.ErrNotFound)
	// The subject is free again.
	must(t, "Create after delete", s.CreateOAuthIdentity(ctx, newOAuthIdentity("i4", "u2", "github", "", "100", base)))
}

func testOAuthTokensLease(t *testing.T, s oauthStorage) {
	ctx := t.Context()
	addUser(t, s, "u1", "a@example.com")
	must(t, "Create", s.CreateOAuthIdentity(ctx, newOAuthIdentity("i1", "u1", "google", "", "1", base)))
	toks := store.OAuthTokens{AccessToken: []byte("at2"), RefreshToken: []byte("rt2"), TokenType: "Bearer", ExpiresAt: at(2 * time.Hour), Scopes: []string{"email"}}
	must(t, "SetOAuthTokens without lease", s.SetOAuthTokens(ctx, "i1", "", toks, at(time.Minute)))
	got, err := s.GetOAuthIdentity(ctx, "i1")
	must(t, "Get", err)
	want := newOAuthIdentity("i1", "u1", "google", "", "1", base)
	want.OAuthTokens, want.UpdatedAt = toks, at(time.Minute)
	checkEqual(t, "after SetOAuthTokens", got, want, normOAuthIdentity)
	wantErr(t, "Set on a missing identity", s.SetOAuthTokens(ctx, "nope", "", toks, base), store.ErrNotFound)

	l, err := s.LeaseOAuthIdentity(ctx, "i1", "L1", at(2*time.Minute), at(3*time.Minute))
	must(t, "LeaseOAuthIdentity", err)
	if l.LeaseID != "L1" || !sameTime(l.LeaseUntil, at(3*time.Minute)) || string(l.RefreshToken) != "rt2" {
		t.Errorf("leased = %+v", l)
	}
	_, err = s.LeaseOAuthIdentity(ctx, "i1", "L2", at(2*time.Minute+time.Second), at(4*time.Minute))
	wantErr(t, "Lease while held", err, store.ErrConflict)
	_, err = s.LeaseOAuthIdentity(ctx, "nope", "L2", at(2*time.Minute), at(4*time.Minute))
	wantErr(t, "Lease a missing identity", err, store.ErrNotFound)
	wantErr(t, "Set under another lease", s.SetOAuthTokens(ctx, "i1", "L2", toks, at(2*time.Minute)), store.ErrConflict)
	toks.NeedsConsent = true
	must(t, "Set under the lease", s.SetOAuthTokens(ctx, "i1", "L1", toks, at(150*time.Second)))
	got, err = s.GetOAuthIdentity(ctx, "i1")
	must(t, "Get", err)
	if got.LeaseID != "" || !got.LeaseUntil.IsZero() || !got.NeedsConsent {
		t.Errorf("after Set under the lease: %+v; want the lease ended and NeedsConsent", got)
	}
	// An expired lease is taken over.
	_, err = s.LeaseOAuthIdentity(ctx, "i1", "L3", at(time.Hour), at(time.Hour+time.Minute))
	must(t, "Lease", err)
	_, err = s.LeaseOAuthIdentity(ctx, "i1", "L4", at(time.Hour+time.Minute), at(time.Hour+2*time.Minute))
	must(t, "Lease after the previous one expired", err)
}

// A sign-in's new tokens (no lease id) end a refresh lease: the refresher
// that held it can no longer store its older result, nor mark the
// identity as needing consent.
func testOAuthSignInEndsLease(t *testing.T, s oauthStorage) {
	ctx := t.Context()
	addUser(t, s, "u1", "a@example.com")
	must(t, "Create", s.CreateOAuthIdentity(ctx, newOAuthIdentity("i1", "u1", "google", "", "1", base)))
	if _, err := s.LeaseOAuthIdentity(ctx, "i1", "L1", at(time.Minute), at(2*time.Minute)); err != nil {
		t.Fatalf("LeaseOAuthIdentity: %v", err)
	}
	fresh := store.OAuthTokens{AccessToken: []byte("signin-at"), RefreshToken: []byte("signin-rt"), TokenType: "Bearer", ExpiresAt: at(time.Hour)}
	must(t, "SetOAuthTokens of a sign-in", s.SetOAuthTokens(ctx, "i1", "", fresh, at(90*time.Second)))
	got, err := s.GetOAuthIdentity(ctx, "i1")
	must(t, "Get", err)
	if got.LeaseID != "" || !got.LeaseUntil.IsZero() {
		t.Fatalf("after a sign-in's tokens the lease is %q until %v; want none", got.LeaseID, got.LeaseUntil)
	}
	stale := store.OAuthTokens{AccessToken: []byte("refresher-at"), RefreshToken: []byte("refresher-rt"), ExpiresAt: at(30 * time.Minute), NeedsConsent: true}
	wantErr(t, "the refresher's finish after the sign-in", s.SetOAuthTokens(ctx, "i1", "L1", stale, at(100*time.Second)), store.ErrConflict)
	got, err = s.GetOAuthIdentity(ctx, "i1")
	must(t, "Get", err)
	if string(got.AccessToken) != "signin-at" || string(got.RefreshToken) != "signin-rt" || got.NeedsConsent {
		t.Fatalf("tokens %q/%q needs_consent %v; want the sign-in's", got.AccessToken, got.RefreshToken, got.NeedsConsent)
	}
	// The next lease is free at once (the ended one does not block it).
	if _, err := s.LeaseOAuthIdentity(ctx, "i1", "L2", at(100*time.Second), at(3*time.Minute)); err != nil {
		t.Fatalf("Lease after the sign-in: %v", err)
	}
	// The refresh state travels with the tokens.
	back := store.OAuthTokens{AccessToken: []byte("a"), RefreshToken: []byte("r"), ExpiresAt: at(time.Hour), RefreshFailures: 3, RetryAt: at(2 * time.Hour)}
	must(t, "Set under L2", s.SetOAuthTokens(ctx, "i1", "L2", back, at(2*time.Minute)))
	got, err = s.GetOAuthIdentity(ctx, "i1")
	must(t, "Get", err)
	if got.RefreshFailures != 3 || !sameTime(got.RetryAt, at(2*time.Hour)) {
		t.Fatalf("refresh failures %d, retry at %v; want 3 at +2h", got.RefreshFailures, got.RetryAt)
	}
}

func testOAuthConfirm(t *testing.T, s oauthStorage) {
	ctx := t.Context()
	addUser(t, s, "u1", "a@example.com")
	i := newOAuthIdentity("i1", "u1", "acme-sso", "o1", "1", base)
	i.Unconfirmed = true
	must(t, "Create", s.CreateOAuthIdentity(ctx, i))
	got, err := s.FindOAuthIdentity(ctx, "acme-sso", "o1", "1")
	must(t, "Find", err)
	checkEqual(t, "unconfirmed identity", got, i, normOAuthIdentity)
	must(t, "ConfirmOAuthIdentity", s.ConfirmOAuthIdentity(ctx, "i1", at(time.Minute)))
	got, err = s.GetOAuthIdentity(ctx, "i1")
	must(t, "Get", err)
	if got.Unconfirmed || !sameTime(got.UpdatedAt, at(time.Minute)) {
		t.Fatalf("after ConfirmOAuthIdentity: unconfirmed %v, updated %v", got.Unconfirmed, got.UpdatedAt)
	}
	wantErr(t, "Confirm a missing identity", s.ConfirmOAuthIdentity(ctx, "nope", base), store.ErrNotFound)
}

func testOAuthLeaseConcurrent(t *testing.T, s oauthStorage) {
	ctx := t.Context()
	addUser(t, s, "u1", "a@example.com")
	must(t, "Create", s.CreateOAuthIdentity(ctx, newOAuthIdentity("i1", "u1", "google", "", "1", base)))
	oneWins(t, "LeaseOAuthIdentity", 12, store.ErrConflict, func(i int) error {
		_, err := s.LeaseOAuthIdentity(ctx, "i1", fmt.Sprintf("L%d", i), at(time.Minute), at(2*time.Minute))
		return err
	})
}

func testOAuthRefreshList(t *testing.T, s oauthStorage) {
	ctx := t.Context()
	for i, u := range []string{"u1", "u2", "u3", "u4", "u5"} {
		addUser(t, s, u, u+"@example.com")
		id := newOAuthIdentity("i"+u[1:], u, "google", "", u, base)
		id.ExpiresAt = at(time.Duration(10-i) * time.Minute)
		must(t, "Create", s.CreateOAuthIdentity(ctx, id))
	}
	// i2 needs consent, i3 has no refresh token, i4 is leased.
	must(t, "Set i2", s.SetOAuthTokens(ctx, "i2", "", store.OAuthTokens{AccessToken: []byte("a"), RefreshToken: []byte("r"), ExpiresAt: at(9 * time.Minute), NeedsConsent: true}, base))
	must(t, "Set i3", s.SetOAuthTokens(ctx, "i3", "", store.OAuthTokens{AccessToken: []byte("a"), ExpiresAt: at(8 * time.Minute)}, base))
	_, err := s.LeaseOAuthIdentity(ctx, "i4", "L", base, at(time.Hour))
	must(t, "Lease i4", err)
	got, err := s.ListOAuthIdentitiesToRefresh(ctx, at(10*time.Minute), at(time.Minute), 10)
	must(t, "ListOAuthIdentitiesToRefresh", err)
	if len(got) != 2 || got[0].ID != "i5" || got[1].ID != "i1" {
		t.Fatalf("ListOAuthIdentitiesToRefresh = %v; want i5, i1", identityIDs(got))
	}
	got, err = s.ListOAuthIdentitiesToRefresh(ctx, at(9*time.Minute), at(time.Minute), 10)
	must(t, "ListOAuthIdentitiesToRefresh", err)
	if len(got) != 1 || got[0].ID != "i5" {
		t.Fatalf("ListOAuthIdentitiesToRefresh(9m) = %v; want i5", identityIDs(got))
	}
	got, err = s.ListOAuthIdentitiesToRefresh(ctx, at(time.Hour), at(2*time.Hour), 2)
	must(t, "ListOAuthIdentitiesToRefresh", err)
	if len(got) != 2 || got[0].ID != "i5" || got[1].ID != "i4" {
		t.Fatalf("ListOAuthIdentitiesToRefresh(after the lease, limit 2) = %v; want i5, i4", identityIDs(got))
	}
	// i5 failed and waits for its retry at +3h: skipped until then.
	i5, err := s.GetOAuthIdentity(ctx, "i5")
	must(t, "Get i5", err)
	i5.RefreshFailures, i5.RetryAt = 1, at(3*time.Hour)
	must(t, "Set i5", s.SetOAuthTokens(ctx, "i5", "", i5.OAuthTokens, base))
	got, err = s.ListOAuthIdentitiesToRefresh(ctx, at(time.Hour), at(2*time.Hour), 2)
	must(t, "ListOAuthIdentitiesToRefresh", err)
	if len(got) != 2 || got[0].ID != "i4" || got[1].ID != "i1" {
		t.Fatalf("ListOAuthIdentitiesToRefresh(i5 waiting) = %v; want i4, i1", identityIDs(got))
	}
	got, err = s.ListOAuthIdentitiesToRefresh(ctx, at(time.Hour), at(3*time.Hour), 1)
	must(t, "ListOAuthIdentitiesToRefresh", err)
	if len(got) != 1 || got[0].ID != "i5" {
		t.Fatalf("ListOAuthIdentitiesToRefresh(at i5's retry) = %v; want i5", identityIDs(got))
	}
}

func identityIDs(is []store.OAuthIdentity) []string {
	out := make([]string, len(is))
	for k, i := range is {
		out[k] = i.ID
	}
	return out
}

func testOAuthCascades(t *testing.T, s oauthStorage) {
	ctx := t.Context()
	addOrg(t, s, newOrg("o1", "acme", base))
	addUser(t, s, "u1", "a@example.com")
	addUser(t, s, "u2", "b@example.com")
	must(t, "Put", s.PutOAuthProvider(ctx, store.OAuthProvider{OrgID: "o1", Provider: "github", ClientID: "c", Enabled: true, CreatedAt: base, UpdatedAt: base}))
	must(t, "Create org identity", s.CreateOAuthIdentity(ctx, newOAuthIdentity("i1", "u1", "github", "o1", "1", base)))
	must(t, "Create platform identity", s.CreateOAuthIdentity(ctx, newOAuthIdentity("i2", "u1", "github", "", "1", base)))
	must(t, "Create u2's", s.CreateOAuthIdentity(ctx, newOAuthIdentity("i3", "u2", "github", "", "2", base)))
	must(t, "DeleteOrg", s.DeleteOrg(ctx, "o1"))
	_, err := s.GetOAuthProvider(ctx, "o1", "github")
	wantErr(t, "provider after org deletion", err, store.ErrNotFound)
	_, err = s.GetOAuthIdentity(ctx, "i1")
	wantErr(t, "org identity after org deletion", err, store.ErrNotFound)
	_, err = s.GetOAuthIdentity(ctx, "i2")
	must(t, "platform identity after org deletion", err)
	_, err = s.DeleteUser(ctx, "u1", base)
	must(t, "DeleteUser", err)
	_, err = s.GetOAuthIdentity(ctx, "i2")
	wantErr(t, "identity after user deletion", err, store.ErrNotFound)
	_, err = s.GetOAuthIdentity(ctx, "i3")
	must(t, "another user's identity", err)
}

func testOAuthInTx(t *testing.T, s oauthStorage) {
	ctx := t.Context()
	boom := errors.New("boom")
	err := s.Tx(ctx, func(stx store.Tx) error {
		tx := within[oauthTx](t, stx)
		if err := tx.CreateUser(ctx, newUser("u1", "a@example.com")); err != nil {
			return err
		}
		if err := tx.CreateOAuthIdentity(ctx, newOAuthIdentity("i1", "u1", "github", "", "1", base)); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Tx: %v; want boom", err)
	}
	_, err = s.GetUser(ctx, "u1")
	wantErr(t, "user after rollback", err, store.ErrNotFound)
	_, err = s.FindOAuthIdentity(ctx, "github", "", "1")
	wantErr(t, "identity after rollback", err, store.ErrNotFound)
	must(t, "Tx", s.Tx(ctx, func(stx store.Tx) error {
		tx := within[oauthTx](t, stx)
		if err := tx.CreateUser(ctx, newUser("u1", "a@example.com")); err != nil {
			return err
		}
		return tx.CreateOAuthIdentity(ctx, newOAuthIdentity("i1", "u1", "github", "", "1", base))
	}))
	if _, err := s.FindOAuthIdentity(ctx, "github", "", "1"); err != nil {
		t.Fatalf("identity after commit: %v", err)
	}
}
