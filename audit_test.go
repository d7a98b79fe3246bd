package authos

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authos/authos/store"
)

func TestAuditCommitsWithTheAction(t *testing.T) {
	a, _ := newTestAuthos(t, nil)
	ctx := context.Background()
	owner, _, err := a.EnsurePlatformOwner(ctx, "po@example.test", "platform owner pw")
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("later step failed")
	err = a.st.Tx(ctx, func(tx store.Tx) error {
		if err := a.audit(ctx, tx, AuditInput{ActorID: owner.ID, Action: "suspend_organization", TargetType: "organization", TargetID: "o1", Reason: "abuse", After: map[string]string{"status": "suspended"}}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if es, total, _ := a.ListAudit(ctx, store.AuditFilter{}); total != 0 || len(es) != 0 {
		t.Fatalf("rolled-back action left %d audit entries", total)
	}
	err = a.st.Tx(ctx, func(tx store.Tx) error {
		return a.audit(ctx, tx, AuditInput{ActorID: owner.ID, Action: "suspend_organization", TargetType: "organization", TargetID: "o1", Reason: "abuse", Before: map[string]string{"status": "active"}, After: map[string]string{"status": "suspended"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	es, total, err := a.ListAudit(ctx, store.AuditFilter{TargetID: "o1"})
	if err != nil || total != 1 || es[0].ActorID != owner.ID || string(es[0].Before) != `{"status":"active"}` ||
		string(es[0].After) != `{"status":"suspended"}` || es[0].Reason != "abuse" {
		t.Fatalf("audit = %+v, %d, %v", es, total, err)
	}
}

func TestRequirePlatformOwner(t *testing.T) {
	a, _ := newTestAuthos(t, nil)
	ctx := context.Background()
	owner, _, err := a.EnsurePlatformOwner(ctx, "po@example.test", "platform owner pw")
	if err != nil {
		t.Fatal(err)
	}
	user := verifiedUser(t, a, "user@example.test", "regular member pw")
	h := protected(a, a.RequirePlatformOwner)
	for _, c := range []struct {
		u      User
		status int
		code   ErrorCode
	}{{owner, 200, ""}, {user, 403, CodePlatformOwnerRequired}} {
		tr, err := a.CompleteLogin(ctx, c.u, LoginContext{Method: AMRPassword})
		if err != nil {
			t.Fatal(err)
		}
		if status, code := call(h, "Bearer "+tr.AccessToken); status != c.status || code != string(c.code) {
			t.Errorf("%s: %d %s; want %d %s", c.u.Email, status, code, c.status, c.code)
		}
	}
	// Demotion in the store takes effect at once, whatever the token claims.
	tr, _ := a.CompleteLogin(ctx, owner, LoginContext{Method: AMRPassword})
	owner.IsPlatformOwner = false
	if err := a.st.UpdateUser(ctx, owner); err != nil {
		t.Fatal(err)
	}
	if status, code := call(h, "Bearer "+tr.AccessToken); status != 403 || code != string(CodePlatformOwnerRequired) {
		t.Errorf("demoted owner: %d %s", status, code)
	}
	if status, code := call(h, ""); status != 401 || code != string(CodeUnauthorized) {
		t.Errorf("no token: %d %s", status, code)
	}
}

func TestRunPerformsCleanups(t *testing.T) {
	a, _ := newTestAuthos(t, nil)
	ran := make(chan struct{}, 1)
	a.addCleanup(func(context.Context) error {
		select {
		case ran <- struct{}{}:
		default:
		}
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	<-ran // the first pass cleans up at once
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v; want nil after cancel", err)
	}
}

// TestCleanupDeletesExpiredSignInState: Cleanup keeps an expired
// authorization code for an hour (a late second presentation must still be
// recognised as reuse), then deletes it with the expired requests.
func TestCleanupDeletesExpiredSignInState(t *testing.T) {
	a, clk := newTestAuthos(t, nil)
	ctx := context.Background()
	ss, err := store.Require[store.SignInStore](a.st)
	if err != nil {
		t.Fatal(err)
	}
	now := clk.Now()
	if err := ss.CreateAuthRequest(ctx, store.AuthRequest{IDHash: "req", ClientID: "c", MaxAge: -1, CreatedAt: now, ExpiresAt: now.Add(authRequestTTL)}); err != nil {
		t.Fatal(err)
	}
	if err := ss.CreateAuthCode(ctx, store.AuthCode{Hash: "code", ClientID: "c", UserID: "u", CreatedAt: now, ExpiresAt: now.Add(authCodeTTL)}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(authRequestTTL + 30*time.Minute) // both expired, within the hour kept
	if err := a.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := ss.ConsumeAuthCode(ctx, "code", clk.Now()); errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the expired code was deleted within the hour it is kept: %v", err)
	}
	clk.Advance(time.Hour)
	if err := a.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := ss.ConsumeAuthCode(ctx, "code", clk.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ConsumeAuthCode after cleanup = %v; want ErrNotFound", err)
	}
	if _, err := ss.GetAuthRequest(ctx, "req", clk.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetAuthRequest after cleanup = %v; want ErrNotFound", err)
	}
}
