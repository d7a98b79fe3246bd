package storetest

import (
	"testing"
	"time"

	"github.com/authos/authos/store"
)

var passwordTests = []testCase{
	{"NotFound", testPasswordNotFound},
	{"SetUpsert", testPasswordSetUpsert},
}

func testPasswordNotFound(t *testing.T, s store.Storage) {
	addUser(t, s, "u1", "alice@example.com")
	_, err := s.GetPassword(t.Context(), "u1")
	wantErr(t, "GetPassword(none set)", err, store.ErrNotFound)
	_, err = s.GetPassword(t.Context(), "missing")
	wantErr(t, "GetPassword(unknown user)", err, store.ErrNotFound)
}

func testPasswordSetUpsert(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	addUser(t, s, "u2", "bob@example.com")
	first := store.PasswordCredential{UserID: "u1", Hash: "$argon2id$v=19$m=19456,t=2,p=1$one", UpdatedAt: at(time.Second)}
	must(t, "SetPassword(first)", s.SetPassword(ctx, first))
	got, err := s.GetPassword(ctx, "u1")
	must(t, "GetPassword", err)
	checkEqual(t, "GetPassword after first set", got, first, normPassword)

	second := store.PasswordCredential{UserID: "u1", Hash: "$argon2id$v=19$m=19456,t=2,p=1$two", UpdatedAt: at(time.Hour)}
	must(t, "SetPassword(replace)", s.SetPassword(ctx, second))
	got, err = s.GetPassword(ctx, "u1")
	must(t, "GetPassword", err)
	checkEqual(t, "GetPassword after replace", got, second, normPassword)

	_, err = s.GetPassword(ctx, "u2")
	wantErr(t, "GetPassword(other user)", err, store.ErrNotFound)
}
