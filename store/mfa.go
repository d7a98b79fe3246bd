package store

import (
	"context"
	"time"
)

// MFAFactor is a user's TOTP factor (RFC 6238). A user has at most one. It
// is pending from setup until a first valid code enables it.
type MFAFactor struct {
	UserID string
	// Secret is the TOTP seed as ciphertext from the secrets keyring, never
	// the seed itself.
	Secret []byte
	// Enabled is false while the factor is pending.
	Enabled bool
	// LastStep is the last TOTP time step accepted for the user (0: none).
	// A code of the same or an earlier step is refused, so each code works
	// once.
	LastStep  int64
	CreatedAt time.Time
	EnabledAt time.Time // zero while pending
}

// MFAStore keeps TOTP factors and the single-use backup codes that go with
// them. Backup codes are stored only as hashes, and are keyed by user: they
// need no factor row, but DeleteMFAFactor removes them with it.
//
// It is a capability (see the package documentation): package mfa needs it,
// on the Storage and on its transactions, and refuses a backend without it.
type MFAStore interface {
	// PutMFAFactor creates the user's factor, or replaces every field of
	// the existing one (a new setup replaces a pending secret; enabling
	// rewrites the row). Backup codes are left alone. The user must exist.
	PutMFAFactor(ctx context.Context, f MFAFactor) error
	// GetMFAFactor returns the user's factor, pending or enabled, or
	// ErrNotFound.
	GetMFAFactor(ctx context.Context, userID string) (MFAFactor, error)
	// DeleteMFAFactor removes the user's factor and every backup code of
	// the user, used or not. ErrNotFound when the user has no factor
	// (nothing is removed then).
	DeleteMFAFactor(ctx context.Context, userID string) error
	// UseTOTPStep atomically sets the factor's LastStep to step when step is
	// greater than the stored LastStep. ErrUsed when it is not (the code was
	// already accepted, or an older one is presented); ErrNotFound when the
	// user has no factor. Under any number of concurrent calls with the
	// same step exactly one succeeds.
	UseTOTPStep(ctx context.Context, userID string, step int64) error
	// ReplaceBackupCodes removes every backup code of the user (used or
	// not) and stores hashes as the new unused set, created at now, in one
	// step. A hash listed twice is stored once. The user must exist.
	ReplaceBackupCodes(ctx context.Context, userID string, hashes []string, now time.Time) error
	// ConsumeBackupCode atomically marks the user's unused backup code with
	// hash used at now. ErrNotFound when the user has no such code, ErrUsed
	// when it was already used. Under any number of concurrent calls
	// exactly one succeeds.
	ConsumeBackupCode(ctx context.Context, userID, hash string, now time.Time) error
	// CountBackupCodes returns how many unused backup codes the user has.
	CountBackupCodes(ctx context.Context, userID string) (int, error)
	// GetUserMFA returns the user with id and whether they have an enabled
	// factor (a pending one does not count), read together (the profile of
	// GET /api/user). ErrNotFound when there is no such user.
	GetUserMFA(ctx context.Context, id string) (User, bool, error)
}
