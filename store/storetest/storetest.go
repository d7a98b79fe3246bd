package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authos/authos/store"
)

// Run runs the conformance suite against the backend built by newStore.
// Every subtest calls newStore with its own *testing.T to get a fresh, empty
// store; the factory registers any cleanup it needs (for example Close) on
// that T.
//
// The sections of the core (store.Storage) always run. A section of a
// capability (store.MFAStore, store.DeviceStore, ...) runs when the store
// offers it and is skipped, with a message naming the capability, when it
// does not; every capability section also checks that the backend's
// transactions offer the capability its Storage offers.
func Run(t *testing.T, newStore func(t *testing.T) store.Storage) {
	groups := []group{
		core("Users", userTests),
		core("Passwords", passwordTests),
		core("Tokens", tokenTests),
		core("Sessions", sessionTests),
		core("RefreshTokens", refreshTests),
		core("LoginFailures", loginFailureTests),
		core("SigningKeys", signingKeyTests),
		core("Audit", auditTests),
		capability[mfaStorage, mfaTx]("MFA", "store.MFAStore", mfaTests),
		capability[deviceStorage, deviceTx]("Device", "store.DeviceStore", deviceTests),
		capability[scimStorage, scimTx]("SCIM", "store.SCIMStore", scimTests),
		capability[webhookStorage, webhookTx]("Webhook", "store.WebhookStore", webhookTests),
		capability[signInStorage, signInTx]("SignIn", "store.SignInStore", signInTests),
		capability[oauthStorage, oauthTx]("OAuth", "store.OAuthStore", oauthTests),
		capability[samlStorage, samlTx]("SAML", "store.SAMLStore", samlTests),
		core("Outbox", outboxTests),
		core("Orgs", orgTests),
		core("Members", memberTests),
		core("Invitations", invitationTests),
		core("Services", serviceTests),
		core("APIKeys", apiKeyTests),
		core("ProcessedEvents", processedEventTests),
		core("Tx", txTests),
		core("Copies", copyTests),
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tc := range g.tests {
				offered := true
				t.Run(tc.name, func(t *testing.T) {
					s := newStore(t)
					if g.offered != nil && !g.offered(s) {
						offered = false
						t.Skipf("%T does not offer %s", s, g.capability)
					}
					tc.fn(t, s)
				})
				if !offered {
					t.Skipf("the backend does not offer the capability %s: section skipped", g.capability)
				}
			}
		})
	}
}

// testCase is one subtest: it receives a fresh, empty store.
type testCase struct {
	name string
	fn   func(t *testing.T, s store.Storage)
}

// group is one section of the suite. capability and offered are set for
// the section of a capability.
type group struct {
	name       string
	capability string // the interface, e.g. "store.MFAStore"
	offered    func(s store.Storage) bool
	tests      []testCase
}

// core is a section of the core contract.
func core(name string, tests []testCase) group { return group{name: name, tests: tests} }

// capTest is one subtest of a capability section: it receives a fresh,
// empty store that offers the capability (S is store.Storage with it).
type capTest[S store.Storage] struct {
	name string
	fn   func(t *testing.T, s S)
}

// capability is the section of the capability iface: S is store.Storage
// with it, T store.Tx with it. Its first subtest checks that the transactions of
// a store offering the capability offer it too.
func capability[S store.Storage, T store.Tx](name, iface string, tests []capTest[S]) group {
	g := group{name: name, capability: iface, offered: func(s store.Storage) bool { _, ok := s.(S); return ok }}
	g.tests = append(g.tests, testCase{"TxOffersCapability", func(t *testing.T, s store.Storage) {
		must(t, "Tx", s.Tx(t.Context(), func(x store.Tx) error {
			if _, ok := x.(T); !ok {
				t.Errorf("the Tx value (%T) passed to fn does not implement %s, which the Storage offers: a backend offers each capability inside its transactions too", x, iface)
			}
			return nil
		}))
	}})
	for _, c := range tests {
		g.tests = append(g.tests, testCase{c.name, func(t *testing.T, s store.Storage) { c.fn(t, s.(S)) }})
	}
	return g
}

// within returns the transaction tx with its capability T, and stops the
// test when the backend's transaction does not offer it.
func within[T store.Tx](t *testing.T, tx store.Tx) T {
	t.Helper()
	c, ok := tx.(T)
	if !ok {
		t.Fatalf("the Tx value (%T) passed to fn does not implement %v, which the Storage offers", tx, reflect.TypeFor[T]())
	}
	return c
}

// base is the fixed clock origin of the suite. Every time the suite builds is
// base plus whole milliseconds.
var base = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// at returns base+d.
func at(d time.Duration) time.Time { return base.Add(d) }

// nt normalizes a time for comparison: zero stays zero, anything else is
// truncated to the millisecond and put in UTC.
func nt(x time.Time) time.Time {
	if x.IsZero() {
		return time.Time{}
	}
	return x.Truncate(time.Millisecond).UTC()
}

// sameTime reports whether a and b are the same instant at millisecond
// precision (both zero counts as the same).
func sameTime(a, b time.Time) bool { return nt(a).Equal(nt(b)) }

// nb normalizes a byte slice: empty becomes nil.
func nb(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// ns normalizes a string slice: empty becomes nil.
func ns(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func normUser(u store.User) store.User {
	u.CreatedAt, u.UpdatedAt = nt(u.CreatedAt), nt(u.UpdatedAt)
	return u
}

func normPassword(c store.PasswordCredential) store.PasswordCredential {
	c.UpdatedAt = nt(c.UpdatedAt)
	return c
}

func normToken(x store.OneTimeToken) store.OneTimeToken {
	x.Data = nb(x.Data)
	x.CreatedAt, x.ExpiresAt, x.UsedAt = nt(x.CreatedAt), nt(x.ExpiresAt), nt(x.UsedAt)
	return x
}

func normSession(x store.Session) store.Session {
	x.AMR = ns(x.AMR)
	x.CreatedAt, x.LastUsedAt, x.ExpiresAt, x.RevokedAt = nt(x.CreatedAt), nt(x.LastUsedAt), nt(x.ExpiresAt), nt(x.RevokedAt)
	return x
}

func normRefresh(x store.RefreshToken) store.RefreshToken {
	x.CreatedAt, x.ExpiresAt, x.RotatedAt = nt(x.CreatedAt), nt(x.ExpiresAt), nt(x.RotatedAt)
	return x
}

func normFailures(x store.LoginFailures) store.LoginFailures {
	x.WindowStart, x.LockedUntil = nt(x.WindowStart), nt(x.LockedUntil)
	return x
}

func normKey(x store.SigningKey) store.SigningKey {
	x.PrivateKey, x.PublicKey = nb(x.PrivateKey), nb(x.PublicKey)
	x.CreatedAt, x.RetiredAt = nt(x.CreatedAt), nt(x.RetiredAt)
	return x
}

func normOutbox(x store.OutboxMessage) store.OutboxMessage {
	x.Payload = nb(x.Payload)
	x.CreatedAt, x.NextAttemptAt, x.LockedUntil = nt(x.CreatedAt), nt(x.NextAttemptAt), nt(x.LockedUntil)
	x.DeliveredAt, x.FailedAt = nt(x.DeliveredAt), nt(x.FailedAt)
	return x
}

// checkEqual fails the test when got and want differ after norm.
func checkEqual[T any](t *testing.T, op string, got, want T, norm func(T) T) {
	t.Helper()
	if g, w := norm(got), norm(want); !reflect.DeepEqual(g, w) {
		t.Errorf("%s: got %+v; want %+v", op, g, w)
	}
}

// checkTime fails the test when got and want are not the same instant.
func checkTime(t *testing.T, op string, got, want time.Time) {
	t.Helper()
	if !sameTime(got, want) {
		t.Errorf("%s: got %v; want %v", op, got, want)
	}
}

// must stops the test on an unexpected error.
func must(t *testing.T, op string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: got error %v; want nil", op, err)
	}
}

// wantErr fails the test unless errors.Is(err, want).
func wantErr(t *testing.T, op string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got error %v; want %v", op, err, want)
	}
}

// parallel runs fn(0..n-1) in n goroutines released at the same moment and
// waits for all of them.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			fn(i)
		})
	}
	close(start)
	wg.Wait()
}

// newUser returns a user with the given id and email, created at base.
func newUser(id, email string) store.User {
	return store.User{ID: id, Email: email, Name: "User " + id, CreatedAt: base, UpdatedAt: base}
}

// addUser creates a user with the given id and email. Rows that refer to a
// user are always created after it, so backends with foreign keys pass.
func addUser(t *testing.T, s store.Storage, id, email string) store.User {
	t.Helper()
	u := newUser(id, email)
	must(t, "CreateUser("+id+")", s.CreateUser(t.Context(), u))
	return u
}

// newSession returns an active session of userID created at created that
// expires 30 days later.
func newSession(id, userID string, created time.Time) store.Session {
	return store.Session{
		ID:         id,
		UserID:     userID,
		AMR:        []string{"pwd"},
		Audience:   "api",
		UserAgent:  "test-agent",
		IP:         "192.0.2.1",
		CreatedAt:  created,
		LastUsedAt: created,
		ExpiresAt:  created.Add(30 * 24 * time.Hour),
	}
}

// addSession creates s.
func addSession(t *testing.T, st store.Storage, s store.Session) store.Session {
	t.Helper()
	must(t, "CreateSession("+s.ID+")", st.CreateSession(t.Context(), s))
	return s
}

// outboxIDs returns the ids of the messages, in order.
func outboxIDs(ms []store.OutboxMessage) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// sessionIDs returns the ids of the sessions, in order.
func sessionIDs(ss []store.Session) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.ID
	}
	return out
}

// name formats a subtest-local operation label.
func name(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// oneWins runs fn n times at once and checks that exactly one call
// succeeds and every other fails with loser.
func oneWins(t *testing.T, op string, n int, loser error, fn func(i int) error) {
	t.Helper()
	var wins, lost atomic.Int32
	parallel(n, func(i int) {
		switch err := fn(i); {
		case err == nil:
			wins.Add(1)
		case errors.Is(err, loser):
			lost.Add(1)
		default:
			t.Errorf("%s: %v", op, err)
		}
	})
	if wins.Load() != 1 || lost.Load() != int32(n-1) {
		t.Errorf("%d concurrent %s: %d succeeded, %d got %v; want 1 and %d", n, op, wins.Load(), lost.Load(), loser, n-1)
	}
}
