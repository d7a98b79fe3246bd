package authos

import (
	"context"
	"testing"
	"time"
)

// TestIDTokenHintKeyOfAnotherInstance: an ID token signed by a key that
// another instance over the same store has just rotated in is accepted as
// a logout hint once this instance reloads its keys, as an access token
// signed by it is; a kid the store does not know stays refused.
func TestIDTokenHintKeyOfAnotherInstance(t *testing.T) {
	a, clk := newTestAuthos(t, nil)
	ctx := context.Background()
	u := verifiedUser(t, a, "iris@example.test", "a long passphrase of the test")
	b, err := New(ctx, Config{Store: a.st, Keyring: a.keyring, BaseURL: a.cfg.BaseURL, Now: clk.Now, Hasher: fastHasher{}})
	if err != nil {
		t.Fatal(err)
	}
	kid, err := b.RotateSigningKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, known := a.keys.lookup(kid); known {
		t.Fatal("the first instance knows the new key before any reload; the test proves nothing")
	}
	raw, err := b.mintIDToken(idTokenInput{user: u, clientID: "cl_portal", iat: clk.Now()})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(11 * time.Second) // past the reload throttle of the first instance's start
	c, ok := a.idTokenHint(ctx, raw)
	if !ok || c.Subject != u.ID || c.Audience[0] != "cl_portal" {
		t.Fatalf("idTokenHint of a token signed with the key another instance rotated in: %+v, %v; want accepted", c, ok)
	}
	forged := raw[:len(raw)-4] + "AAAA"
	if _, ok := a.idTokenHint(ctx, forged); ok {
		t.Error("idTokenHint accepted a token with a broken signature")
	}
}
