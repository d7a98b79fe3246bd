package e2e_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	testbackends "github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/event"
	"github.com/authos/authos/store"
)

// TestEndMembershipDeletesAccount: when an organization's directory ends
// the only membership of an account without a password, the account is
// deleted, and the access tokens it held are refused at once by the
// instance that deleted it and within a second by another instance sharing
// the database; its refresh tokens are refused everywhere. An account with
// another membership or with a password survives.
func TestEndMembershipDeletesAccount(t *testing.T) {
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			keyring := authostest.Keyring(t)
			stores := testbackends.Instances(t, b, 2)
			var inst [2]*authos.Authos
			for i, st := range stores {
				a, err := authos.New(ctx, authos.Config{Store: st, Keyring: keyring, Hasher: authostest.FastHasher{},
					Logger: slog.New(slog.DiscardHandler), AutoApproveOrgs: true})
				if err != nil {
					t.Fatal(err)
				}
				inst[i] = a
			}
			a, other := inst[0], inst[1]
			st := a.Store()
			now := a.Now()
			owner := store.User{ID: "owner", Email: "owner@example.com", EmailVerified: true, CreatedAt: now, UpdatedAt: now}
			if err := st.CreateUser(ctx, owner); err != nil {
				t.Fatal(err)
			}
			o, _, err := a.CreateOrganization(ctx, owner.ID, authos.CreateOrgInput{Slug: "acme", Name: "Acme"})
			if err != nil {
				t.Fatal(err)
			}
			o2, _, err := a.CreateOrganization(ctx, owner.ID, authos.CreateOrgInput{Slug: "beta", Name: "Beta"})
			if err != nil {
				t.Fatal(err)
			}
			// dirOnly was provisioned by acme's directory and signs in
			// without a password; twoOrgs is in beta too; withPwd has a
			// password.
			provision := func(id string, orgs ...authos.Organization) store.User {
				u := store.User{ID: id, Email: id + "@example.com", EmailVerified: true, CreatedAt: now, UpdatedAt: now}
				if err := st.CreateUser(ctx, u); err != nil {
					t.Fatal(err)
				}
				for _, o := range orgs {
					if err := st.AddMember(ctx, store.Membership{OrgID: o.ID, UserID: id, Role: store.RoleMember, CreatedAt: now}); err != nil {
						t.Fatal(err)
					}
				}
				return u
			}
			dirOnly := provision("dironly", o)
			twoOrgs := provision("twoorgs", o, o2)
			withPwd := provision("withpwd", o)
			if err := st.SetPassword(ctx, store.PasswordCredential{UserID: withPwd.ID, Hash: "$argon2id$v=19$m=1,t=1,p=1$AAAA$AAAA", UpdatedAt: now}); err != nil {
				t.Fatal(err)
			}
			plain, err := a.CompleteLogin(ctx, dirOnly, authos.LoginContext{Method: "ext"})
			if err != nil {
				t.Fatal(err)
			}
			bound, err := other.CompleteLogin(ctx, dirOnly, authos.LoginContext{Method: "ext", OrgID: o.ID, Org: o.Slug})
			if err != nil {
				t.Fatal(err)
			}
			for _, tr := range []*authos.TokenResponse{plain, bound} {
				if _, err := other.VerifyAccessToken(ctx, tr.AccessToken, ""); err != nil {
					t.Fatalf("a fresh token is refused: %v", err)
				}
			}

			end := func(u store.User) []string {
				t.Helper()
				var ids []string
				if err := st.Tx(ctx, func(tx store.Tx) error {
					var err error
					ids, err = a.EndMembership(ctx, tx, "directory", o, u.ID)
					return err
				}); err != nil {
					t.Fatal(err)
				}
				a.SessionsRevoked(ids)
				return ids
			}
			if ids := end(dirOnly); len(ids) != 2 {
				t.Errorf("EndMembership revoked %v; want both sessions", ids)
			}
			if _, err := st.GetUser(ctx, dirOnly.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("the directory-only account survived: %v", err)
			}
			for _, tr := range []*authos.TokenResponse{plain, bound} {
				if _, err := a.VerifyAccessToken(ctx, tr.AccessToken, ""); !errors.Is(err, authos.CodeSessionRevoked) {
					t.Errorf("the deleting instance accepts the deleted account's token: %v", err)
				}
			}
			// The other instance learns of it from the store within a second.
			deadline := time.Now().Add(time.Second)
			for _, tr := range []*authos.TokenResponse{plain, bound} {
				for {
					_, err := other.VerifyAccessToken(ctx, tr.AccessToken, "")
					if errors.Is(err, authos.CodeSessionRevoked) {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("the other instance still accepts the deleted account's token after 1 s: %v", err)
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
			for _, inst := range []*authos.Authos{a, other} {
				if _, err := inst.Refresh(ctx, bound.RefreshToken); !errors.Is(err, authos.CodeUnauthorized) {
					t.Errorf("the deleted account's refresh token: %v; want UNAUTHORIZED", err)
				}
			}
			var deleted bool
			outbox, err := st.ListOutbox(ctx, store.OutboxFilter{Topic: store.TopicEvent})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range outbox {
				var ev authos.Event
				if err := json.Unmarshal(m.Payload, &ev); err != nil {
					t.Fatal(err)
				}
				if ev.Type == event.UserDeleted && ev.TargetID == dirOnly.ID && ev.OrgID == o.ID {
					deleted = true
				}
			}
			if !deleted {
				t.Error("no user.deleted event")
			}

			// Accounts vouched for otherwise are kept.
			for _, u := range []store.User{twoOrgs, withPwd} {
				end(u)
				if _, err := st.GetUser(ctx, u.ID); err != nil {
					t.Errorf("%s was deleted: %v", u.ID, err)
				}
			}
		})
	}
}
