package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authos/authos/store"
)

// signInStorage is a backend that offers store.SignInStore, and signInTx
// one of its transactions.
type (
	signInStorage interface {
		store.Storage
		store.SignInStore
	}
	signInTx interface {
		store.Tx
		store.SignInStore
	}
)

var signInTests = []capTest[signInStorage]{
	{"RequestCreateGet", testAuthRequestCreateGet},
	{"RequestConsume", testAuthRequestConsume},
	{"RequestConsumeConcurrent", testAuthRequestConsumeConcurrent},
	{"CodeCreateConsume", testAuthCodeConsume},
	{"CodeReuse", testAuthCodeReuse},
	{"CodeConsumeConcurrent", testAuthCodeConsumeConcurrent},
	{"CodeBindFamily", testAuthCodeBindFamily},
	{"CodeBindRollback", testAuthCodeBindRollback},
	{"Session", testSignInSession},
	{"SessionRevokedExpired", testSignInSessionRevokedExpired},
	{"SessionDeletedWithUser", testSignInSessionDeletedWithUser},
	{"DeleteExpired", testSignInDeleteExpired},
	{"Copies", testSignInCopies},
	{"InTx", testSignInInTx},
	{"GetRefreshToken", testSignInGetRefreshToken},
}

// newAuthRequest returns a request created at base that lives 10 minutes.
func newAuthRequest(hash string) store.AuthRequest {
	return store.AuthRequest{
		IDHash: hash, ClientID: "cl_" + hash, ServiceID: "svc-" + hash, OrgID: "org-" + hash,
		RedirectURI: "https://app.example.com/callback", Scope: "openid email offline_access",
		State: "st-" + hash, Nonce: "n-" + hash, CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		Prompt: "login", MaxAge: 300, LoginHint: "alice@example.com",
		CreatedAt: base, ExpiresAt: at(10 * time.Minute),
	}
}

func normAuthRequest(r store.AuthRequest) store.AuthRequest {
	r.CreatedAt, r.ExpiresAt, r.UsedAt = nt(r.CreatedAt), nt(r.ExpiresAt), nt(r.UsedAt)
	return r
}

// newAuthCode returns a code created at base that lives 60 seconds, issued
// from the sign-in session sid (may be empty).
func newAuthCode(hash, sid string) store.AuthCode {
	return store.AuthCode{
		Hash: hash, ClientID: "cl_1", ServiceID: "svc-1", OrgID: "org-1",
		RedirectURI: "http://127.0.0.1:49152/cb", Scope: "openid profile", Nonce: "n-" + hash,
		CodeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", SignInSessionID: sid, UserID: "u1",
		AMR: []string{"pwd", "otp"}, AuthTime: at(-time.Minute), CreatedAt: base, ExpiresAt: at(time.Minute),
	}
}

func normAuthCode(c store.AuthCode) store.AuthCode {
	c.AMR = ns(c.AMR)
	c.AuthTime, c.CreatedAt, c.ExpiresAt = nt(c.AuthTime), nt(c.CreatedAt), nt(c.ExpiresAt)
	c.UsedAt, c.ReusedAt = nt(c.UsedAt), nt(c.ReusedAt)
	return c
}

func normSignIn(x store.SignInSession) store.SignInSession {
	x.Session = normSession(x.Session)
	return x
}

// addSignIn creates user uid when absent and a sign-in session id of theirs
// with the cookie hash, created at base and ending a day later.
func addSignIn(t *testing.T, s signInStorage, id, uid, cookie string) store.SignInSession {
	t.Helper()
	if _, err := s.GetUser(t.Context(), uid); errors.Is(err, store.ErrNotFound) {
		addUser(t, s, uid, uid+"@example.com")
	}
	x := store.SignInSession{Session: newSession(id, uid, base), CookieHash: cookie}
	x.Session.Audience, x.Session.ExpiresAt = "signin", at(24*time.Hour)
	must(t, "CreateSignInSession("+id+")", s.CreateSignInSession(t.Context(), x))
	return x
}

func testAuthRequestCreateGet(t *testing.T, s signInStorage) {
	ctx := t.Context()
	r := newAuthRequest("h1")
	must(t, "CreateAuthRequest", s.CreateAuthRequest(ctx, r))
	got, err := s.GetAuthRequest(ctx, "h1", at(time.Minute))
	must(t, "GetAuthRequest", err)
	checkEqual(t, "GetAuthRequest", got, r, normAuthRequest)

	// Optional parameters may be empty; max_age may be absent (-1) or 0.
	bare := store.AuthRequest{IDHash: "h2", ClientID: "cl_2", RedirectURI: "https://x.example/cb",
		CodeChallenge: "c", MaxAge: -1, CreatedAt: base, ExpiresAt: at(10 * time.Minute)}
	must(t, "CreateAuthRequest(bare)", s.CreateAuthRequest(ctx, bare))
	got, err = s.GetAuthRequest(ctx, "h2", base)
	must(t, "GetAuthRequest(bare)", err)
	checkEqual(t, "GetAuthRequest(bare)", got, bare, normAuthRequest)
	zero := newAuthRequest("h3")
	zero.MaxAge = 0
	must(t, "CreateAuthRequest(max_age=0)", s.CreateAuthRequest(ctx, zero))
	got, err = s.GetAuthRequest(ctx, "h3", base)
	must(t, "GetAuthRequest(max_age=0)", err)
	if got.MaxAge != 0 {
		t.Errorf("GetAuthRequest(max_age=0): MaxAge %d; want 0", got.MaxAge)
	}

	wantErr(t, "CreateAuthRequest(same hash)", s.CreateAuthRequest(ctx, newAuthRequest("h1")), store.ErrConflict)
	_, err = s.GetAuthRequest(ctx, "nope", base)
	wantErr(t, "GetAuthRequest(unknown)", err, store.ErrNotFound)
	_, err = s.GetAuthRequest(ctx, "h1", at(10*time.Minute))
	wantErr(t, "GetAuthRequest(at expiry)", err, store.ErrExpired)
	// Getting does not consume.
	_, err = s.GetAuthRequest(ctx, "h1", at(time.Minute))
	must(t, "GetAuthRequest(again)", err)
}

func testAuthRequestConsume(t *testing.T, s signInStorage) {
	ctx := t.Context()
	r := newAuthRequest("h1")
	must(t, "CreateAuthRequest", s.CreateAuthRequest(ctx, r))
	must(t, "CreateAuthRequest(h2)", s.CreateAuthRequest(ctx, newAuthRequest("h2")))

	_, err := s.ConsumeAuthRequest(ctx, "h2", at(10*time.Minute))
	wantErr(t, "ConsumeAuthRequest(at expiry)", err, store.ErrExpired)
	_, err = s.ConsumeAuthRequest(ctx, "nope", base)
	wantErr(t, "ConsumeAuthRequest(unknown)", err, store.ErrNotFound)

	got, err := s.ConsumeAuthRequest(ctx, "h1", at(time.Minute))
	must(t, "ConsumeAuthRequest", err)
	r.UsedAt = at(time.Minute)
	checkEqual(t, "ConsumeAuthRequest", got, r, normAuthRequest)
	_, err = s.ConsumeAuthRequest(ctx, "h1", at(2*time.Minute))
	wantErr(t, "ConsumeAuthRequest(again)", err, store.ErrUsed)
	_, err = s.GetAuthRequest(ctx, "h1", at(2*time.Minute))
	wantErr(t, "GetAuthRequest(consumed)", err, store.ErrUsed)
	// Used wins over expired.
	_, err = s.GetAuthRequest(ctx, "h1", at(time.Hour))
	wantErr(t, "GetAuthRequest(consumed, expired)", err, store.ErrUsed)
}

func testAuthRequestConsumeConcurrent(t *testing.T, s signInStorage) {
	ctx := t.Context()
	must(t, "CreateAuthRequest", s.CreateAuthRequest(ctx, newAuthRequest("h1")))
	var wins, used atomic.Int32
	parallel(50, func(int) {
		_, err := s.ConsumeAuthRequest(ctx, "h1", at(time.Second))
		switch {
		case err == nil:
			wins.Add(1)
		case errors.Is(err, store.ErrUsed):
			used.Add(1)
		default:
			t.Errorf("ConsumeAuthRequest: %v", err)
		}
	})
	if wins.Load() != 1 || used.Load() != 49 {
		t.Errorf("50 concurrent consumptions: %d won, %d ErrUsed; want 1 and 49", wins.Load(), used.Load())
	}
}

func testAuthCodeConsume(t *testing.T, s signInStorage) {
	ctx := t.Context()
	c := newAuthCode("c1", "")
	must(t, "CreateAuthCode", s.CreateAuthCode(ctx, c))
	wantErr(t, "CreateAuthCode(same hash)", s.CreateAuthCode(ctx, newAuthCode("c1", "")), store.ErrConflict)
	must(t, "CreateAuthCode(c2)", s.CreateAuthCode(ctx, newAuthCode("c2", "")))

	_, err := s.ConsumeAuthCode(ctx, "nope", base)
	wantErr(t, "ConsumeAuthCode(unknown)", err, store.ErrNotFound)
	_, err = s.ConsumeAuthCode(ctx, "c2", at(time.Minute))
	wantErr(t, "ConsumeAuthCode(at expiry)", err, store.ErrExpired)
	// An expired code stays unused: presenting it again is not a reuse.
	_, err = s.ConsumeAuthCode(ctx, "c2", at(2*time.Minute))
	wantErr(t, "ConsumeAuthCode(expired, again)", err, store.ErrExpired)

	got, err := s.ConsumeAuthCode(ctx, "c1", at(30*time.Second))
	must(t, "ConsumeAuthCode", err)
	c.UsedAt = at(30 * time.Second)
	checkEqual(t, "ConsumeAuthCode", got, c, normAuthCode)
}

func testAuthCodeReuse(t *testing.T, s signInStorage) {
	ctx := t.Context()
	c := newAuthCode("c1", "")
	must(t, "CreateAuthCode", s.CreateAuthCode(ctx, c))
	_, err := s.ConsumeAuthCode(ctx, "c1", at(time.Second))
	must(t, "ConsumeAuthCode", err)
	must(t, "BindAuthCodeFamily", s.BindAuthCodeFamily(ctx, "c1", "fam1"))

	got, err := s.ConsumeAuthCode(ctx, "c1", at(2*time.Second))
	wantErr(t, "ConsumeAuthCode(second)", err, store.ErrUsed)
	c.UsedAt, c.ReusedAt, c.FamilyID = at(time.Second), at(2*time.Second), "fam1"
	checkEqual(t, "ConsumeAuthCode(second) returns the code", got, c, normAuthCode)
	// A third presentation keeps the first reuse time; after expiry it is
	// still a reuse, with the family to revoke.
	got, err = s.ConsumeAuthCode(ctx, "c1", at(5*time.Minute))
	wantErr(t, "ConsumeAuthCode(third, expired)", err, store.ErrUsed)
	checkEqual(t, "ConsumeAuthCode(third)", got, c, normAuthCode)
	// Binding again once the code came back is refused.
	wantErr(t, "BindAuthCodeFamily(after reuse)", s.BindAuthCodeFamily(ctx, "c1", "fam2"), store.ErrReused)
}

func testAuthCodeConsumeConcurrent(t *testing.T, s signInStorage) {
	ctx := t.Context()
	must(t, "CreateAuthCode", s.CreateAuthCode(ctx, newAuthCode("c1", "")))
	var wins, used atomic.Int32
	var winner atomic.Value
	parallel(50, func(i int) {
		c, err := s.ConsumeAuthCode(ctx, "c1", at(time.Second))
		switch {
		case err == nil:
			wins.Add(1)
			winner.Store(c)
		case errors.Is(err, store.ErrUsed):
			used.Add(1)
			if c.Hash != "c1" || c.UsedAt.IsZero() || c.ReusedAt.IsZero() {
				t.Errorf("ConsumeAuthCode(reuse): got %+v; want the code with UsedAt and ReusedAt", c)
			}
		default:
			t.Errorf("ConsumeAuthCode: %v", err)
		}
	})
	if wins.Load() != 1 || used.Load() != 49 {
		t.Fatalf("50 concurrent exchanges: %d won, %d ErrUsed; want 1 and 49", wins.Load(), used.Load())
	}
	if c := winner.Load().(store.AuthCode); !c.ReusedAt.IsZero() {
		t.Errorf("the winner's code has ReusedAt %v; want zero", c.ReusedAt)
	}
	// The losers were presentations of a used code: the winner may not bind.
	wantErr(t, "BindAuthCodeFamily(after the race)", s.BindAuthCodeFamily(ctx, "c1", "fam1"), store.ErrReused)
}

func testAuthCodeBindFamily(t *testing.T, s signInStorage) {
	ctx := t.Context()
	addSignIn(t, s, "sso1", "u1", "cookie1")
	for _, h := range []string{"c1", "c2", "c3"} {
		must(t, "CreateAuthCode("+h+")", s.CreateAuthCode(ctx, newAuthCode(h, "sso1")))
	}
	must(t, "CreateAuthCode(orphan)", s.CreateAuthCode(ctx, newAuthCode("c4", "gone")))
	wantErr(t, "BindAuthCodeFamily(unused)", s.BindAuthCodeFamily(ctx, "c1", "fam1"), store.ErrNotFound)
	wantErr(t, "BindAuthCodeFamily(unknown)", s.BindAuthCodeFamily(ctx, "nope", "fam1"), store.ErrNotFound)
	for i, h := range []string{"c1", "c2", "c3", "c4"} {
		_, err := s.ConsumeAuthCode(ctx, h, at(time.Second))
		must(t, "ConsumeAuthCode("+h+")", err)
		// Families are created in this order: b, a, b (again), c.
		must(t, "BindAuthCodeFamily("+h+")", s.BindAuthCodeFamily(ctx, h, []string{"fam-b", "fam-a", "fam-b", "fam-c"}[i]))
	}
	got, err := s.ListSignInFamilies(ctx, "sso1")
	must(t, "ListSignInFamilies", err)
	if want := []string{"fam-a", "fam-b"}; !slices.Equal(got, want) {
		t.Errorf("ListSignInFamilies: got %v; want %v", got, want)
	}
	got, err = s.ListSignInFamilies(ctx, "gone")
	must(t, "ListSignInFamilies(unknown)", err)
	if len(got) != 0 {
		t.Errorf("ListSignInFamilies(unknown): got %v; want none", got)
	}
	c, err := s.ConsumeAuthCode(ctx, "c2", at(2*time.Second))
	wantErr(t, "ConsumeAuthCode(c2 again)", err, store.ErrUsed)
	if c.FamilyID != "fam-a" {
		t.Errorf("ConsumeAuthCode(c2 again): FamilyID %q; want fam-a", c.FamilyID)
	}
}

func testAuthCodeBindRollback(t *testing.T, s signInStorage) {
	ctx := t.Context()
	addSignIn(t, s, "sso1", "u1", "cookie1")
	must(t, "CreateAuthCode", s.CreateAuthCode(ctx, newAuthCode("c1", "sso1")))
	_, err := s.ConsumeAuthCode(ctx, "c1", at(time.Second))
	must(t, "ConsumeAuthCode", err)
	boom := errors.New("boom")
	err = s.Tx(ctx, func(stx store.Tx) error {
		if err := within[signInTx](t, stx).BindAuthCodeFamily(ctx, "c1", "fam1"); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Tx: got %v; want boom", err)
	}
	fams, err := s.ListSignInFamilies(ctx, "sso1")
	must(t, "ListSignInFamilies", err)
	if len(fams) != 0 {
		t.Errorf("ListSignInFamilies after rollback: got %v; want none", fams)
	}
	c, err := s.ConsumeAuthCode(ctx, "c1", at(2*time.Second))
	wantErr(t, "ConsumeAuthCode(again)", err, store.ErrUsed)
	if c.FamilyID != "" {
		t.Errorf("FamilyID after rollback: %q; want empty", c.FamilyID)
	}
}

func testSignInGetRefreshToken(t *testing.T, s signInStorage) {
	ctx := t.Context()
	addSignIn(t, s, "sso1", "u1", "cookie1")
	must(t, "CreateSession(fam1)", s.CreateSession(ctx, newSession("fam1", "u1", base)))
	rt := newRefresh("A", "fam1", base)
	must(t, "CreateRefreshToken(A)", s.CreateRefreshToken(ctx, rt))
	got, err := s.GetRefreshToken(ctx, "A")
	must(t, "GetRefreshToken(A)", err)
	checkEqual(t, "GetRefreshToken(A)", got, rt, normRefresh)
	_, err = s.RotateRefreshToken(ctx, "A", newRefresh("B", "", at(time.Minute)), at(time.Minute), 0)
	must(t, "RotateRefreshToken(A)", err)
	got, err = s.GetRefreshToken(ctx, "A")
	must(t, "GetRefreshToken(A, rotated)", err)
	if got.RotatedAt.IsZero() || got.ReplacedBy != "B" || got.SessionID != "fam1" {
		t.Errorf("GetRefreshToken(A, rotated): %+v; want rotated to B", got)
	}
	got, err = s.GetRefreshToken(ctx, "B")
	must(t, "GetRefreshToken(B)", err)
	if got.SessionID != "fam1" || !got.RotatedAt.IsZero() {
		t.Errorf("GetRefreshToken(B): %+v; want the successor of fam1", got)
	}
	_, err = s.GetRefreshToken(ctx, "nope")
	wantErr(t, "GetRefreshToken(unknown)", err, store.ErrNotFound)
}

func testSignInSession(t *testing.T, s signInStorage) {
	ctx := t.Context()
	x := addSignIn(t, s, "sso1", "u1", "cookie1")
	got, err := s.GetSignInSession(ctx, "cookie1", at(time.Hour))
	must(t, "GetSignInSession", err)
	checkEqual(t, "GetSignInSession", got, x, normSignIn)
	// Its Session is an ordinary session of the user.
	sess, err := s.GetSession(ctx, "sso1")
	must(t, "GetSession(sign-in)", err)
	checkEqual(t, "GetSession(sign-in)", sess, x.Session, normSession)
	addSession(t, s, newSession("api1", "u1", at(time.Second)))
	list, err := s.ListUserSessions(ctx, "u1", at(time.Hour))
	must(t, "ListUserSessions", err)
	if ids := sessionIDs(list); !slices.Equal(ids, []string{"api1", "sso1"}) {
		t.Errorf("ListUserSessions: got %v; want [api1 sso1]", ids)
	}

	dupID := store.SignInSession{Session: newSession("sso1", "u1", base), CookieHash: "cookie2"}
	wantErr(t, "CreateSignInSession(same id)", s.CreateSignInSession(ctx, dupID), store.ErrConflict)
	dupCookie := store.SignInSession{Session: newSession("sso2", "u1", base), CookieHash: "cookie1"}
	wantErr(t, "CreateSignInSession(same cookie)", s.CreateSignInSession(ctx, dupCookie), store.ErrConflict)
	// A refused sign-in session leaves no session behind.
	_, err = s.GetSession(ctx, "sso2")
	wantErr(t, "GetSession(refused sign-in session)", err, store.ErrNotFound)
	_, err = s.GetSignInSession(ctx, "cookie2", base)
	wantErr(t, "GetSignInSession(refused cookie)", err, store.ErrNotFound)
	_, err = s.GetSignInSession(ctx, "nope", base)
	wantErr(t, "GetSignInSession(unknown)", err, store.ErrNotFound)
}

func testSignInSessionRevokedExpired(t *testing.T, s signInStorage) {
	ctx := t.Context()
	addSignIn(t, s, "sso1", "u1", "cookie1")
	addSignIn(t, s, "sso2", "u1", "cookie2")
	_, err := s.GetSignInSession(ctx, "cookie1", at(24*time.Hour))
	wantErr(t, "GetSignInSession(at expiry)", err, store.ErrExpired)
	// Revoked with the user's sessions.
	ids, err := s.RevokeUserSessions(ctx, "u1", "sso2", at(time.Minute))
	must(t, "RevokeUserSessions", err)
	if !slices.Equal(ids, []string{"sso1"}) {
		t.Errorf("RevokeUserSessions: got %v; want [sso1]", ids)
	}
	_, err = s.GetSignInSession(ctx, "cookie1", at(2*time.Minute))
	wantErr(t, "GetSignInSession(revoked)", err, store.ErrRevoked)
	must(t, "RevokeSession(sso2)", s.RevokeSession(ctx, "sso2", at(time.Minute)))
	_, err = s.GetSignInSession(ctx, "cookie2", at(2*time.Minute))
	wantErr(t, "GetSignInSession(revoked one by one)", err, store.ErrRevoked)
}

func testSignInSessionDeletedWithUser(t *testing.T, s signInStorage) {
	ctx := t.Context()
	addSignIn(t, s, "sso1", "u1", "cookie1")
	must(t, "CreateAuthCode", s.CreateAuthCode(ctx, newAuthCode("c1", "sso1")))
	_, err := s.ConsumeAuthCode(ctx, "c1", at(time.Second))
	must(t, "ConsumeAuthCode", err)
	must(t, "BindAuthCodeFamily", s.BindAuthCodeFamily(ctx, "c1", "fam1"))
	ids, err := s.DeleteUser(ctx, "u1", at(time.Minute))
	must(t, "DeleteUser", err)
	if !slices.Equal(ids, []string{"sso1"}) {
		t.Errorf("DeleteUser revoked %v; want [sso1]", ids)
	}
	_, err = s.GetSignInSession(ctx, "cookie1", at(2*time.Minute))
	wantErr(t, "GetSignInSession(deleted user)", err, store.ErrNotFound)
	fams, err := s.ListSignInFamilies(ctx, "sso1")
	must(t, "ListSignInFamilies", err)
	if len(fams) != 0 {
		t.Errorf("ListSignInFamilies(deleted user): got %v; want none", fams)
	}
	// The cookie hash is free again.
	addSignIn(t, s, "sso2", "u2", "cookie1")
}

func testSignInDeleteExpired(t *testing.T, s signInStorage) {
	ctx := t.Context()
	must(t, "CreateAuthRequest(h1)", s.CreateAuthRequest(ctx, newAuthRequest("h1"))) // expires at 10 min
	long := newAuthRequest("h2")
	long.ExpiresAt = at(time.Hour)
	must(t, "CreateAuthRequest(h2)", s.CreateAuthRequest(ctx, long))
	must(t, "CreateAuthCode(c1)", s.CreateAuthCode(ctx, newAuthCode("c1", ""))) // expires at 1 min
	lc := newAuthCode("c2", "")
	lc.ExpiresAt = at(11 * time.Minute)
	must(t, "CreateAuthCode(c2)", s.CreateAuthCode(ctx, lc))

	n, err := s.DeleteExpiredSignIn(ctx, at(10*time.Minute))
	must(t, "DeleteExpiredSignIn", err)
	if n != 2 {
		t.Errorf("DeleteExpiredSignIn: got %d; want 2", n)
	}
	_, err = s.GetAuthRequest(ctx, "h1", base)
	wantErr(t, "GetAuthRequest(deleted)", err, store.ErrNotFound)
	_, err = s.GetAuthRequest(ctx, "h2", base)
	must(t, "GetAuthRequest(kept)", err)
	_, err = s.ConsumeAuthCode(ctx, "c1", base)
	wantErr(t, "ConsumeAuthCode(deleted)", err, store.ErrNotFound)
	_, err = s.ConsumeAuthCode(ctx, "c2", base)
	must(t, "ConsumeAuthCode(kept)", err)
}

func testSignInCopies(t *testing.T, s signInStorage) {
	ctx := t.Context()
	c := newAuthCode("c1", "")
	must(t, "CreateAuthCode", s.CreateAuthCode(ctx, c))
	c.AMR[0] = "changed"
	got, err := s.ConsumeAuthCode(ctx, "c1", at(time.Second))
	must(t, "ConsumeAuthCode", err)
	got.AMR[1] = "changed"
	again, err := s.ConsumeAuthCode(ctx, "c1", at(2*time.Second))
	wantErr(t, "ConsumeAuthCode(again)", err, store.ErrUsed)
	if !slices.Equal(again.AMR, []string{"pwd", "otp"}) {
		t.Errorf("AMR shares memory with a caller: %v", again.AMR)
	}
	x := addSignIn(t, s, "sso1", "u1", "cookie1")
	x.Session.AMR[0] = "changed"
	gx, err := s.GetSignInSession(ctx, "cookie1", base)
	must(t, "GetSignInSession", err)
	if !slices.Equal(gx.Session.AMR, []string{"pwd"}) {
		t.Errorf("the sign-in session's AMR shares memory with a caller: %v", gx.Session.AMR)
	}
}

func testSignInInTx(t *testing.T, s signInStorage) {
	ctx := t.Context()
	addUser(t, s, "u1", "u1@example.com")
	boom := errors.New("boom")
	err := s.Tx(ctx, func(stx store.Tx) error {
		tx := within[signInTx](t, stx)
		if err := tx.CreateAuthRequest(ctx, newAuthRequest("h1")); err != nil {
			return err
		}
		if err := tx.CreateAuthCode(ctx, newAuthCode("c1", "")); err != nil {
			return err
		}
		if err := tx.CreateSignInSession(ctx, store.SignInSession{Session: newSession("sso1", "u1", base), CookieHash: "k1"}); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Tx: got %v; want boom", err)
	}
	_, err = s.GetAuthRequest(ctx, "h1", base)
	wantErr(t, "GetAuthRequest after rollback", err, store.ErrNotFound)
	_, err = s.ConsumeAuthCode(ctx, "c1", base)
	wantErr(t, "ConsumeAuthCode after rollback", err, store.ErrNotFound)
	_, err = s.GetSignInSession(ctx, "k1", base)
	wantErr(t, "GetSignInSession after rollback", err, store.ErrNotFound)
	_, err = s.GetSession(ctx, "sso1")
	wantErr(t, "GetSession after rollback", err, store.ErrNotFound)

	must(t, "Tx", s.Tx(ctx, func(stx store.Tx) error {
		tx := within[signInTx](t, stx)
		if err := tx.CreateAuthRequest(ctx, newAuthRequest("h1")); err != nil {
			return err
		}
		if _, err := tx.ConsumeAuthRequest(ctx, "h1", at(time.Second)); err != nil {
			return fmt.Errorf("ConsumeAuthRequest in tx: %w", err)
		}
		if err := tx.CreateSignInSession(ctx, store.SignInSession{Session: newSession("sso1", "u1", base), CookieHash: "k1"}); err != nil {
			return err
		}
		_, err := tx.GetSignInSession(ctx, "k1", at(time.Second))
		return err
	}))
	_, err = s.GetAuthRequest(ctx, "h1", at(time.Second))
	wantErr(t, "GetAuthRequest after commit", err, store.ErrUsed)
	_, err = s.GetSignInSession(ctx, "k1", at(time.Second))
	must(t, "GetSignInSession after commit", err)
}
