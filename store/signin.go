package store

import (
	"context"
	"time"
)

// AuthRequest is a pending authorization request (RFC 6749 §4.1.1, OpenID
// Connect Core §3.1.2.1): what a client asked for at the authorization
// endpoint, kept server-side while the person signs in. The browser carries
// only its id; the store keeps a hash of it.
type AuthRequest struct {
	IDHash        string // hex SHA-256 of the request id; unique
	ClientID      string // the service's client_id
	ServiceID     string
	OrgID         string
	RedirectURI   string // as sent, already checked against the service
	Scope         string
	State         string
	Nonce         string
	CodeChallenge string // PKCE S256 challenge (RFC 7636)
	Prompt        string // "", none, login or create
	// MaxAge is the max_age parameter in seconds; negative when absent.
	MaxAge    int
	LoginHint string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until consumed
}

// AuthCode is an authorization code (RFC 6749 §4.1.2), stored as a hash and
// bound to what its token request must repeat (client, redirect URI, PKCE
// challenge) and to what the tokens will say (user, nonce, amr, auth_time,
// the sign-in session).
type AuthCode struct {
	Hash          string // hex SHA-256 of the code; unique
	ClientID      string
	ServiceID     string
	OrgID         string
	RedirectURI   string
	Scope         string
	Nonce         string
	CodeChallenge string
	// SignInSessionID is the sign-in session the code was issued from (the
	// sid of the ID token).
	SignInSessionID string
	UserID          string
	AMR             []string
	AuthTime        time.Time // when the person last presented a first factor
	CreatedAt       time.Time
	ExpiresAt       time.Time
	UsedAt          time.Time // first exchange; zero until then
	// ReusedAt is the first presentation after UsedAt: the code leaked.
	ReusedAt time.Time
	// FamilyID is the Session (refresh-token family) the first exchange
	// issued, set by BindAuthCodeFamily; revoked when the code comes back.
	FamilyID string
}

// SignInSession is a person's sign-in at the authorization server: the
// server-side row behind the browser's sign-in cookie, on which every
// service's authorization request is answered without a new sign-in
// (single sign-on). Its Session is an ordinary row of SessionStore (user,
// amr, auth time = CreatedAt, expiry, revocation), so that it is listed and
// revoked with the user's other sessions; the cookie's secret is kept only
// as a hash.
type SignInSession struct {
	Session    Session
	CookieHash string // hex SHA-256 of the cookie's secret; unique
}

// SignInStore keeps the state of the sign-in flow: pending authorization
// requests, authorization codes and sign-in sessions. Requests and codes
// refer to no other table by a foreign key (the token endpoint re-checks the
// client, its organization and the user); a sign-in session and the
// families linked to it go with its Session.
//
// It is a capability (see the package documentation): the sign-in flow of
// package authos needs it, on the Storage and on its transactions.
type SignInStore interface {
	// CreateAuthRequest inserts r. ErrConflict when the hash exists.
	CreateAuthRequest(ctx context.Context, r AuthRequest) error
	// GetAuthRequest returns the request without consuming it: ErrNotFound
	// when absent, ErrUsed once consumed, ErrExpired when it expired at or
	// before now (in that order).
	GetAuthRequest(ctx context.Context, idHash string, now time.Time) (AuthRequest, error)
	// ConsumeAuthRequest marks the request used at now and returns it, with
	// the errors of GetAuthRequest. Under any number of concurrent calls
	// exactly one succeeds; the others get ErrUsed.
	ConsumeAuthRequest(ctx context.Context, idHash string, now time.Time) (AuthRequest, error)

	// CreateAuthCode inserts c. ErrConflict when the hash exists.
	CreateAuthCode(ctx context.Context, c AuthCode) error
	// ConsumeAuthCode marks the code used at now and returns it. ErrNotFound
	// when absent. When it was already used (expired or not), the presentation is recorded
	// (ReusedAt=now unless already set) and the code is returned, after
	// that change, together with ErrUsed, so that the caller can revoke
	// FamilyID. ErrExpired when it expired at or before now (and it stays
	// unused). Under any number of concurrent calls exactly one succeeds;
	// the others get ErrUsed.
	ConsumeAuthCode(ctx context.Context, hash string, now time.Time) (AuthCode, error)
	// BindAuthCodeFamily records on a used code the Session its exchange
	// issued, and links that family to the code's sign-in session (see
	// ListSignInFamilies). ErrNotFound when the code is absent or unused;
	// ErrReused when it was presented again after its first use: the
	// caller must not hand out the tokens (inside a transaction, roll it
	// back). Called in the transaction that issues the tokens, it closes
	// the race with a concurrent second presentation: either that
	// presentation sees FamilyID, or this call fails.
	BindAuthCodeFamily(ctx context.Context, hash, familyID string) error

	// CreateSignInSession inserts s.Session as SessionStore.CreateSession
	// does, and the cookie hash beside it. ErrConflict when the session id
	// or the cookie hash exists.
	CreateSignInSession(ctx context.Context, s SignInSession) error
	// GetSignInSession returns the sign-in session whose cookie hash is
	// given: ErrNotFound when absent, ErrRevoked when its Session is
	// revoked, ErrExpired when the Session expired at or before now.
	GetSignInSession(ctx context.Context, cookieHash string, now time.Time) (SignInSession, error)
	// ListSignInFamilies returns the ids of the Sessions that codes issued
	// from the sign-in session sessionID have started (BindAuthCodeFamily),
	// sorted; none for an unknown id.
	ListSignInFamilies(ctx context.Context, sessionID string) ([]string, error)
	// GetRefreshToken returns the refresh token whose hash is given, rotated
	// or not, without changing it (token revocation and introspection read
	// its session), or ErrNotFound.
	GetRefreshToken(ctx context.Context, hash string) (RefreshToken, error)

	// DeleteExpiredSignIn removes the authorization requests and codes that
	// expired at or before before, and returns how many. Callers keep used
	// codes a while after they expire (before < now), so that a late second
	// presentation is still recognised.
	DeleteExpiredSignIn(ctx context.Context, before time.Time) (int, error)
}
