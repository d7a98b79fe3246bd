package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/authos/authos/store"
)

// Copy safety: a backend keeps its own copy of every slice it is given and
// hands out copies, so callers can neither corrupt nor observe stored state
// through a shared backing array.
var copyTests = []testCase{
	{"SessionAMR", testCopySessionAMR},
	{"TokenData", testCopyTokenData},
	{"SigningKeyBytes", testCopySigningKeyBytes},
	{"OutboxPayload", testCopyOutboxPayload},
}

func testCopySessionAMR(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	sess := newSession("s1", "u1", base)
	sess.AMR = []string{"pwd", "otp"}
	want := slices.Clone(sess.AMR)
	must(t, "CreateSession", s.CreateSession(ctx, sess))
	sess.AMR[0] = "mutated-input"

	check := func(op string) {
		t.Helper()
		got, err := s.GetSession(ctx, "s1")
		must(t, "GetSession", err)
		if !slices.Equal(got.AMR, want) {
			t.Errorf("AMR after %s: got %v; want %v", op, got.AMR, want)
		}
	}
	check("mutating the input")

	got, err := s.GetSession(ctx, "s1")
	must(t, "GetSession", err)
	got.AMR[0] = "mutated-get"
	check("mutating GetSession's result")

	list, err := s.ListUserSessions(ctx, "u1", base)
	must(t, "ListUserSessions", err)
	list[0].AMR[0] = "mutated-list"
	check("mutating ListUserSessions' result")

	must(t, "CreateRefreshToken", s.CreateRefreshToken(ctx, newRefresh("A", "s1", base)))
	rot, err := s.RotateRefreshToken(ctx, "A", newRefresh("B", "s1", at(time.Minute)), at(time.Minute), grace)
	must(t, "RotateRefreshToken", err)
	rot.Session.AMR[0] = "mutated-rotation"
	check("mutating Rotation.Session")
}

func testCopyTokenData(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	tok := newToken("h1", store.PurposePreAuth, "u1")
	tok.Data = []byte("secret-data")
	want := slices.Clone(tok.Data)
	must(t, "CreateToken", s.CreateToken(ctx, tok))
	tok.Data[0] = 'X'

	check := func(op string) {
		t.Helper()
		got, err := s.GetToken(ctx, store.PurposePreAuth, "h1", base)
		must(t, "GetToken", err)
		if string(got.Data) != string(want) {
			t.Errorf("Data after %s: got %q; want %q", op, got.Data, want)
		}
	}
	check("mutating the input")
	got, err := s.GetToken(ctx, store.PurposePreAuth, "h1", base)
	must(t, "GetToken", err)
	got.Data[0] = 'Y'
	check("mutating GetToken's result")

}

func testCopySigningKeyBytes(t *testing.T, s store.Storage) {
	ctx := t.Context()
	k := newSigningKey("k1", base)
	wantPriv, wantPub := slices.Clone(k.PrivateKey), slices.Clone(k.PublicKey)
	must(t, "CreateSigningKey", s.CreateSigningKey(ctx, k))
	k.PrivateKey[0], k.PublicKey[0] = 'X', 'X'

	check := func(op string) {
		t.Helper()
		ks, err := s.ListSigningKeys(ctx)
		must(t, "ListSigningKeys", err)
		if len(ks) != 1 {
			t.Fatalf("ListSigningKeys: got %d keys; want 1", len(ks))
		}
		if string(ks[0].PrivateKey) != string(wantPriv) || string(ks[0].PublicKey) != string(wantPub) {
			t.Errorf("keys after %s: got %q, %q; want %q, %q", op, ks[0].PrivateKey, ks[0].PublicKey, wantPriv, wantPub)
		}
	}
	check("mutating the input")
	ks, err := s.ListSigningKeys(ctx)
	must(t, "ListSigningKeys", err)
	ks[0].PrivateKey[0], ks[0].PublicKey[0] = 'Y', 'Y'
	check("mutating ListSigningKeys' result")
}

func testCopyOutboxPayload(t *testing.T, s store.Storage) {
	ctx := t.Context()
	m := newMsg("m1", store.TopicEmail, base)
	want := slices.Clone(m.Payload)
	must(t, "EnqueueOutbox", s.EnqueueOutbox(ctx, m))
	m.Payload[0] = 'X'

	check := func(op string) {
		t.Helper()
		got := listOne(t, s, "m1")
		if string(got.Payload) != string(want) {
			t.Errorf("Payload after %s: got %q; want %q", op, got.Payload, want)
		}
	}
	check("mutating the input")
	ms, err := s.ListOutbox(ctx, store.OutboxFilter{})
	must(t, "ListOutbox", err)
	ms[0].Payload[0] = 'Y'
	check("mutating ListOutbox's result")
	claimed, err := s.ClaimOutbox(ctx, []string{store.TopicEmail}, base, time.Minute, 10)
	must(t, "ClaimOutbox", err)
	if len(claimed) != 1 {
		t.Fatalf("ClaimOutbox: got %d messages; want 1", len(claimed))
	}
	claimed[0].Payload[0] = 'Z'
	check("mutating ClaimOutbox's result")
}
