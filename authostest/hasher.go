package authostest

import (
	"context"

	"github.com/authos/authos"
	"github.com/authos/authos/internal/fasthash"
)

// FastHasher is an authos.PasswordHasher for tests: a salted SHA-256 of the
// password, about a microsecond a hash where the default Argon2id spends
// tens of milliseconds and 19 MiB. It really hashes (a random salt per
// password, a constant-time comparison), but it is deliberately weak: never
// use it outside tests.
//
// Its hashes carry their own identifier ("$authostest-sha256$salt$sum"),
// which the production hasher, authos.Argon2id, refuses to verify: a
// database written by tests signs nobody in on an instance that did not
// choose FastHasher explicitly in its Config.
type FastHasher struct{}

var _ authos.PasswordHasher = FastHasher{}

// Hash implements authos.PasswordHasher.
func (FastHasher) Hash(_ context.Context, password string) (string, error) {
	return fasthash.Hash(password), nil
}

// Verify implements authos.PasswordHasher. It never asks for a rehash, and
// refuses a hash that FastHasher did not make.
func (FastHasher) Verify(_ context.Context, password, encoded string) (ok, rehash bool, err error) {
	ok, err = fasthash.Verify(password, encoded)
	return ok, false, err
}
