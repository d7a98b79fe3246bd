package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/authos/authos/store"
)

var signingKeyTests = []testCase{
	{"CreateList", testSigningKeyCreateList},
	{"Conflict", testSigningKeyConflict},
	{"Retire", testSigningKeyRetire},
	{"Delete", testSigningKeyDelete},
}

func newSigningKey(id string, created time.Time) store.SigningKey {
	return store.SigningKey{
		ID:         id,
		Algorithm:  "EdDSA",
		PrivateKey: []byte("ciphertext-" + id),
		PublicKey:  []byte("pkix-" + id),
		CreatedAt:  created,
	}
}

func signingKeyIDs(ks []store.SigningKey) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.ID
	}
	return out
}

func testSigningKeyCreateList(t *testing.T, s store.Storage) {
	ctx := t.Context()
	got, err := s.ListSigningKeys(ctx)
	must(t, "ListSigningKeys(empty)", err)
	if len(got) != 0 {
		t.Errorf("ListSigningKeys(empty): got %v; want none", signingKeyIDs(got))
	}
	k1 := newSigningKey("k1", base)
	k2 := newSigningKey("k2", at(2*time.Hour))
	k2.Algorithm = "ES256"
	k3 := newSigningKey("k3", at(time.Hour))
	k3.RetiredAt = at(3 * time.Hour)
	for _, k := range []store.SigningKey{k1, k2, k3} {
		must(t, "CreateSigningKey("+k.ID+")", s.CreateSigningKey(ctx, k))
	}
	got, err = s.ListSigningKeys(ctx)
	must(t, "ListSigningKeys", err)
	want := []store.SigningKey{k2, k3, k1}
	if ids, wantIDs := signingKeyIDs(got), signingKeyIDs(want); !slices.Equal(ids, wantIDs) {
		t.Fatalf("ListSigningKeys: got %v; want %v (newest first)", ids, wantIDs)
	}
	for i := range want {
		checkEqual(t, "ListSigningKeys["+want[i].ID+"]", got[i], want[i], normKey)
	}
}

func testSigningKeyConflict(t *testing.T, s store.Storage) {
	ctx := t.Context()
	k := newSigningKey("k1", base)
	must(t, "CreateSigningKey", s.CreateSigningKey(ctx, k))
	wantErr(t, "CreateSigningKey(same id)", s.CreateSigningKey(ctx, newSigningKey("k1", at(time.Hour))), store.ErrConflict)
	got, err := s.ListSigningKeys(ctx)
	must(t, "ListSigningKeys", err)
	if len(got) != 1 {
		t.Fatalf("ListSigningKeys: got %d keys; want 1", len(got))
	}
	checkEqual(t, "ListSigningKeys[0]", got[0], k, normKey)
}

func testSigningKeyRetire(t *testing.T, s store.Storage) {
	ctx := t.Context()
	must(t, "CreateSigningKey(k1)", s.CreateSigningKey(ctx, newSigningKey("k1", base)))
	must(t, "CreateSigningKey(k2)", s.CreateSigningKey(ctx, newSigningKey("k2", at(time.Hour))))
	wantErr(t, "RetireSigningKey(missing)", s.RetireSigningKey(ctx, "missing", at(time.Hour)), store.ErrNotFound)

	must(t, "RetireSigningKey(k1)", s.RetireSigningKey(ctx, "k1", at(time.Hour)))
	must(t, "RetireSigningKey(k1) again", s.RetireSigningKey(ctx, "k1", at(2*time.Hour)))
	got, err := s.ListSigningKeys(ctx)
	must(t, "ListSigningKeys", err)
	want := map[string]time.Time{"k1": at(time.Hour), "k2": {}}
	if len(got) != len(want) {
		t.Fatalf("ListSigningKeys: got %v; want k2, k1", signingKeyIDs(got))
	}
	for _, k := range got {
		checkTime(t, "RetiredAt of "+k.ID, k.RetiredAt, want[k.ID])
	}
}

func testSigningKeyDelete(t *testing.T, s store.Storage) {
	ctx := t.Context()
	must(t, "CreateSigningKey(k1)", s.CreateSigningKey(ctx, newSigningKey("k1", base)))
	must(t, "CreateSigningKey(k2)", s.CreateSigningKey(ctx, newSigningKey("k2", at(time.Hour))))
	must(t, "DeleteSigningKey(k1)", s.DeleteSigningKey(ctx, "k1"))
	wantErr(t, "DeleteSigningKey(k1) again", s.DeleteSigningKey(ctx, "k1"), store.ErrNotFound)
	wantErr(t, "DeleteSigningKey(missing)", s.DeleteSigningKey(ctx, "missing"), store.ErrNotFound)
	wantErr(t, "RetireSigningKey(deleted)", s.RetireSigningKey(ctx, "k1", at(time.Hour)), store.ErrNotFound)
	got, err := s.ListSigningKeys(ctx)
	must(t, "ListSigningKeys", err)
	if ids := signingKeyIDs(got); !slices.Equal(ids, []string{"k2"}) {
		t.Errorf("ListSigningKeys after delete: got %v; want [k2]", ids)
	}
	// The id is free again.
	must(t, "CreateSigningKey(k1) after delete", s.CreateSigningKey(ctx, newSigningKey("k1", at(2*time.Hour))))
}
