package memory

import (
	"context"
	"slices"
	"time"

	"github.com/authos/authos/store"
)

func copyAuthCode(c store.AuthCode) store.AuthCode {
	c.AMR = slices.Clone(c.AMR)
	return c
}

// CreateAuthRequest implements store.SignInStore.
func (s *Store) CreateAuthRequest(ctx context.Context, r store.AuthRequest) error {
	return s.do(ctx, func(v *view) error { return v.CreateAuthRequest(ctx, r) })
}

// GetAuthRequest implements store.SignInStore.
func (s *Store) GetAuthRequest(ctx context.Context, idHash string, now time.Time) (r store.AuthRequest, err error) {
	err = s.do(ctx, func(v *view) error { r, err = v.GetAuthRequest(ctx, idHash, now); return err })
	return r, err
}

// ConsumeAuthRequest implements store.SignInStore.
func (s *Store) ConsumeAuthRequest(ctx context.Context, idHash string, now time.Time) (r store.AuthRequest, err error) {
	err = s.do(ctx, func(v *view) error { r, err = v.ConsumeAuthRequest(ctx, idHash, now); return err })
	return r, err
}

// CreateAuthCode implements store.SignInStore.
func (s *Store) CreateAuthCode(ctx context.Context, c store.AuthCode) error {
	return s.do(ctx, func(v *view) error { return v.CreateAuthCode(ctx, c) })
}

// ConsumeAuthCode implements store.SignInStore.
func (s *Store) ConsumeAuthCode(ctx context.Context, hash string, now time.Time) (c store.AuthCode, err error) {
	// do writes to the live state, so the reuse mark stays although the
	// view returns ErrUsed.
	err = s.do(ctx, func(v *view) error { c, err = v.ConsumeAuthCode(ctx, hash, now); return err })
	return c, err
}

// BindAuthCodeFamily implements store.SignInStore.
func (s *Store) BindAuthCodeFamily(ctx context.Context, hash, familyID string) error {
	return s.do(ctx, func(v *view) error { return v.BindAuthCodeFamily(ctx, hash, familyID) })
}

// CreateSignInSession implements store.SignInStore.
func (s *Store) CreateSignInSession(ctx context.Context, x store.SignInSession) error {
	return s.do(ctx, func(v *view) error { return v.CreateSignInSession(ctx, x) })
}

// GetSignInSession implements store.SignInStore.
func (s *Store) GetSignInSession(ctx context.Context, cookieHash string, now time.Time) (x store.SignInSession, err error) {
	err = s.do(ctx, func(v *view) error { x, err = v.GetSignInSession(ctx, cookieHash, now); return err })
	return x, err
}

// ListSignInFamilies implements store.SignInStore.
func (s *Store) ListSignInFamilies(ctx context.Context, sessionID string) (ids []string, err error) {
	err = s.do(ctx, func(v *view) error { ids, err = v.ListSignInFamilies(ctx, sessionID); return err })
	return ids, err
}

// GetRefreshToken implements store.SignInStore.
func (s *Store) GetRefreshToken(ctx context.Context, hash string) (t store.RefreshToken, err error) {
	err = s.do(ctx, func(v *view) error { t, err = v.GetRefreshToken(ctx, hash); return err })
	return t, err
}

// DeleteExpiredSignIn implements store.SignInStore.
func (s *Store) DeleteExpiredSignIn(ctx context.Context, before time.Time) (n int, err error) {
	err = s.do(ctx, func(v *view) error { n, err = v.DeleteExpiredSignIn(ctx, before); return err })
	return n, err
}

func (v *view) CreateAuthRequest(_ context.Context, r store.AuthRequest) error {
	if _, ok := v.st.authReqs[r.IDHash]; ok {
		return store.ErrConflict
	}
	v.st.authReqs[r.IDHash] = r
	return nil
}

func (v *view) GetAuthRequest(_ context.Context, idHash string, now time.Time) (store.AuthRequest, error) {
	r, ok := v.st.authReqs[idHash]
	switch {
	case !ok:
		return store.AuthRequest{}, store.ErrNotFound
	case !r.UsedAt.IsZero():
		return store.AuthRequest{}, store.ErrUsed
	case expired(r.ExpiresAt, now):
		return store.AuthRequest{}, store.ErrExpired
	}
	return r, nil
}

func (v *view) ConsumeAuthRequest(ctx context.Context, idHash string, now time.Time) (store.AuthRequest, error) {
	r, err := v.GetAuthRequest(ctx, idHash, now)
	if err != nil {
		return store.AuthRequest{}, err
	}
	r.UsedAt = now
	v.st.authReqs[idHash] = r
	return r, nil
}

func (v *view) CreateAuthCode(_ context.Context, c store.AuthCode) error {
	if _, ok := v.st.authCodes[c.Hash]; ok {
		return store.ErrConflict
	}
	v.st.authCodes[c.Hash] = copyAuthCode(c)
	return nil
}

func (v *view) ConsumeAuthCode(_ context.Context, hash string, now time.Time) (store.AuthCode, error) {
	c, ok := v.st.authCodes[hash]
	switch {
	case !ok:
		return store.AuthCode{}, store.ErrNotFound
	case !c.UsedAt.IsZero():
		if c.ReusedAt.IsZero() {
			c.ReusedAt = now
			v.st.authCodes[hash] = c
		}
		return copyAuthCode(c), store.ErrUsed
	case expired(c.ExpiresAt, now):
		return store.AuthCode{}, store.ErrExpired
	}
	c.UsedAt = now
	v.st.authCodes[hash] = c
	return copyAuthCode(c), nil
}

func (v *view) BindAuthCodeFamily(_ context.Context, hash, familyID string) error {
	c, ok := v.st.authCodes[hash]
	switch {
	case !ok || c.UsedAt.IsZero():
		return store.ErrNotFound
	case !c.ReusedAt.IsZero():
		return store.ErrReused
	}
	c.FamilyID = familyID
	v.st.authCodes[hash] = c
	if c.SignInSessionID == "" {
		return nil
	}
	if _, ok := v.st.sessions[c.SignInSessionID]; !ok {
		return nil // the sign-in session is gone: nothing to link to
	}
	fams := v.st.families[c.SignInSessionID]
	if i, found := slices.BinarySearch(fams, familyID); !found {
		v.st.families[c.SignInSessionID] = slices.Insert(slices.Clone(fams), i, familyID)
	}
	return nil
}

func (v *view) CreateSignInSession(_ context.Context, x store.SignInSession) error {
	if _, ok := v.st.sessions[x.Session.ID]; ok {
		return store.ErrConflict
	}
	if _, ok := v.st.signIns[x.CookieHash]; ok {
		return store.ErrConflict
	}
	v.st.sessions[x.Session.ID] = copySession(x.Session)
	v.st.signIns[x.CookieHash] = x.Session.ID
	return nil
}

func (v *view) GetSignInSession(_ context.Context, cookieHash string, now time.Time) (store.SignInSession, error) {
	id, ok := v.st.signIns[cookieHash]
	if !ok {
		return store.SignInSession{}, store.ErrNotFound
	}
	s, ok := v.st.sessions[id]
	switch {
	case !ok:
		return store.SignInSession{}, store.ErrNotFound
	case !s.RevokedAt.IsZero():
		return store.SignInSession{}, store.ErrRevoked
	case expired(s.ExpiresAt, now):
		return store.SignInSession{}, store.ErrExpired
	}
	return store.SignInSession{Session: copySession(s), CookieHash: cookieHash}, nil
}

func (v *view) ListSignInFamilies(_ context.Context, sessionID string) ([]string, error) {
	return slices.Clone(v.st.families[sessionID]), nil
}

func (v *view) GetRefreshToken(_ context.Context, hash string) (store.RefreshToken, error) {
	t, ok := v.st.refresh[hash]
	if !ok {
		return store.RefreshToken{}, store.ErrNotFound
	}
	return t, nil
}

func (v *view) DeleteExpiredSignIn(_ context.Context, before time.Time) (int, error) {
	n := 0
	for h, r := range v.st.authReqs {
		if expired(r.ExpiresAt, before) {
			delete(v.st.authReqs, h)
			n++
		}
	}
	for h, c := range v.st.authCodes {
		if expired(c.ExpiresAt, before) {
			delete(v.st.authCodes, h)
			n++
		}
	}
	return n, nil
}

// dropSignIn forgets what the capability keeps about session id (its
// sign-in cookie and linked families), when the session goes.
func (v *view) dropSignIn(id string) {
	for h, sid := range v.st.signIns {
		if sid == id {
			delete(v.st.signIns, h)
		}
	}
	delete(v.st.families, id)
}
