package memory

import (
	"bytes"
	"context"
	"time"

	"github.com/authos/authos/store"
)

// backupKey identifies one backup code of one user.
type backupKey struct {
	userID, hash string
}

// backupCode is the stored state of a backup code.
type backupCode struct {
	createdAt time.Time
	usedAt    time.Time // zero while unused
}

func copyMFAFactor(f store.MFAFactor) store.MFAFactor {
	f.Secret = bytes.Clone(f.Secret)
	return f
}

// PutMFAFactor implements store.MFAStore.
func (s *Store) PutMFAFactor(ctx context.Context, f store.MFAFactor) error {
	return s.do(ctx, func(v *view) error { return v.PutMFAFactor(ctx, f) })
}

// GetMFAFactor implements store.MFAStore.
func (s *Store) GetMFAFactor(ctx context.Context, userID string) (f store.MFAFactor, err error) {
	err = s.do(ctx, func(v *view) error { f, err = v.GetMFAFactor(ctx, userID); return err })
	return f, err
}

// DeleteMFAFactor implements store.MFAStore.
func (s *Store) DeleteMFAFactor(ctx context.Context, userID string) error {
	return s.do(ctx, func(v *view) error { return v.DeleteMFAFactor(ctx, userID) })
}

// UseTOTPStep implements store.MFAStore.
func (s *Store) UseTOTPStep(ctx context.Context, userID string, step int64) error {
	return s.do(ctx, func(v *view) error { return v.UseTOTPStep(ctx, userID, step) })
}

// ReplaceBackupCodes implements store.MFAStore.
func (s *Store) ReplaceBackupCodes(ctx context.Context, userID string, hashes []string, now time.Time) error {
	return s.do(ctx, func(v *view) error { return v.ReplaceBackupCodes(ctx, userID, hashes, now) })
}

// ConsumeBackupCode implements store.MFAStore.
func (s *Store) ConsumeBackupCode(ctx context.Context, userID, hash string, now time.Time) error {
	return s.do(ctx, func(v *view) error { return v.ConsumeBackupCode(ctx, userID, hash, now) })
}

// CountBackupCodes implements store.MFAStore.
func (s *Store) CountBackupCodes(ctx context.Context, userID string) (n int, err error) {
	err = s.do(ctx, func(v *view) error { n, err = v.CountBackupCodes(ctx, userID); return err })
	return n, err
}

func (v *view) PutMFAFactor(_ context.Context, f store.MFAFactor) error {
	v.st.mfa[f.UserID] = copyMFAFactor(f)
	return nil
}

// GetUserMFA implements store.MFAStore.
func (s *Store) GetUserMFA(ctx context.Context, id string) (u store.User, on bool, err error) {
	err = s.do(ctx, func(v *view) error { u, on, err = v.GetUserMFA(ctx, id); return err })
	return u, on, err
}

func (v *view) GetUserMFA(_ context.Context, id string) (store.User, bool, error) {
	u, ok := v.st.users[id]
	if !ok {
		return store.User{}, false, store.ErrNotFound
	}
	return u, v.st.mfa[id].Enabled, nil
}

func (v *view) GetMFAFactor(_ context.Context, userID string) (store.MFAFactor, error) {
	f, ok := v.st.mfa[userID]
	if !ok {
		return store.MFAFactor{}, store.ErrNotFound
	}
	return copyMFAFactor(f), nil
}

func (v *view) DeleteMFAFactor(_ context.Context, userID string) error {
	if _, ok := v.st.mfa[userID]; !ok {
		return store.ErrNotFound
	}
	delete(v.st.mfa, userID)
	v.deleteBackupCodes(userID)
	return nil
}

func (v *view) deleteBackupCodes(userID string) {
	for k := range v.st.backupCodes {
		if k.userID == userID {
			delete(v.st.backupCodes, k)
		}
	}
}

func (v *view) UseTOTPStep(_ context.Context, userID string, step int64) error {
	f, ok := v.st.mfa[userID]
	switch {
	case !ok:
		return store.ErrNotFound
	case step <= f.LastStep:
		return store.ErrUsed
	}
	f.LastStep = step
	v.st.mfa[userID] = f
	return nil
}

func (v *view) ReplaceBackupCodes(_ context.Context, userID string, hashes []string, now time.Time) error {
	v.deleteBackupCodes(userID)
	for _, h := range hashes {
		v.st.backupCodes[backupKey{userID, h}] = backupCode{createdAt: now}
	}
	return nil
}

func (v *view) ConsumeBackupCode(_ context.Context, userID, hash string, now time.Time) error {
	k := backupKey{userID, hash}
	c, ok := v.st.backupCodes[k]
	switch {
	case !ok:
		return store.ErrNotFound
	case !c.usedAt.IsZero():
		return store.ErrUsed
	}
	c.usedAt = now
	v.st.backupCodes[k] = c
	return nil
}

func (v *view) CountBackupCodes(_ context.Context, userID string) (int, error) {
	n := 0
	for k, c := range v.st.backupCodes {
		if k.userID == userID && c.usedAt.IsZero() {
			n++
		}
	}
	return n, nil
}
