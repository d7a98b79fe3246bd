package authos

import (
	"context"
	"errors"

	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// Outcomes of EnsurePlatformOwner.
const (
	OwnerCreated   = "created"   // a new verified owner account with password
	OwnerPromoted  = "promoted"  // an existing account became a verified owner
	OwnerUnchanged = "unchanged" // the account already was a verified owner
)

// EnsurePlatformOwner makes sure the account email exists, is verified and
// is a platform owner (the bootstrap of a fresh installation). A new account
// gets password; an existing account keeps its password unless it has none.
// It returns the account and one of OwnerCreated, OwnerPromoted,
// OwnerUnchanged. INVALID_EMAIL, WEAK_PASSWORD.
func (a *Authos) EnsurePlatformOwner(ctx context.Context, email, password string) (User, string, error) {
	email = NormalizeEmail(email)
	if err := ValidateEmail(email); err != nil {
		return User{}, "", err
	}
	if err := a.cfg.Password.Validate(ctx, password, User{Email: email}); err != nil {
		return User{}, "", err
	}
	// Hash outside the transaction: it is slow and the transaction may be retried.
	hash, err := a.hasher.Hash(ctx, password)
	if err != nil {
		return User{}, "", err
	}
	var u User
	var outcome string
	err = a.st.Tx(ctx, func(tx store.Tx) error {
		now := a.now()
		var err error
		u, err = tx.GetUserByEmail(ctx, email)
		if errors.Is(err, store.ErrNotFound) {
			outcome = OwnerCreated
			u = User{ID: randx.ID(), Email: email, EmailVerified: true, IsPlatformOwner: true, CreatedAt: now, UpdatedAt: now}
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
			if err := tx.SetPassword(ctx, store.PasswordCredential{UserID: u.ID, Hash: hash, UpdatedAt: now}); err != nil {
				return err
			}
			return a.emit(ctx, tx, Event{Type: EventUserSignup, TargetID: u.ID,
				Data: map[string]any{"email": u.Email, "platform_owner": true, "source": "bootstrap"}})
		}
		if err != nil {
			return err
		}
		outcome = OwnerUnchanged
		if !u.EmailVerified || !u.IsPlatformOwner {
			outcome = OwnerPromoted
			u.EmailVerified, u.IsPlatformOwner, u.UpdatedAt = true, true, now
			if err := tx.UpdateUser(ctx, u); err != nil {
				return err
			}
			if err := a.emit(ctx, tx, Event{Type: EventUserUpdated, TargetID: u.ID,
				Data: map[string]any{"email_verified": true, "platform_owner": true, "source": "bootstrap"}}); err != nil {
				return err
			}
		}
		if _, err := tx.GetPassword(ctx, u.ID); errors.Is(err, store.ErrNotFound) {
			return tx.SetPassword(ctx, store.PasswordCredential{UserID: u.ID, Hash: hash, UpdatedAt: now})
		} else if err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return User{}, "", dbError(err)
	}
	return u, outcome, nil
}
