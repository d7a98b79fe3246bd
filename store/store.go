package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// Sentinel outcomes. Backends may wrap them; callers match with errors.Is.
var (
	// ErrNotFound: no row matches the key (or the key exists with another purpose).
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: a unique key (id, case-insensitive email, token hash) already exists.
	ErrConflict = errors.New("store: conflict")
	// ErrExpired: the row exists but its expiry is at or before the supplied now.
	ErrExpired = errors.New("store: expired")
	// ErrUsed: a single-use token was already consumed.
	ErrUsed = errors.New("store: already used")
	// ErrRevoked: the session (refresh-token family) has been revoked.
	ErrRevoked = errors.New("store: revoked")
	// ErrReused: an already-rotated refresh token was presented outside the grace
	// window. The backend has revoked the whole session before returning it.
	ErrReused = errors.New("store: refresh token reused")
)

// User is an account. Email is kept as entered; uniqueness and lookups are
// case-insensitive.
type User struct {
	ID              string
	Email           string
	Name            string
	EmailVerified   bool
	IsPlatformOwner bool
	Disabled        bool
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// UserStore keeps accounts.
type UserStore interface {
	// CreateUser inserts u. ErrConflict when the id or the email (compared
	// case-insensitively) is taken.
	CreateUser(ctx context.Context, u User) error
	// GetUser returns the user with id, or ErrNotFound.
	GetUser(ctx context.Context, id string) (User, error)
	// GetUserByEmail finds a user by email, case-insensitively, or ErrNotFound.
	GetUserByEmail(ctx context.Context, email string) (User, error)
	// UpdateUser replaces every field of the user with u.ID (CreatedAt is kept).
	// ErrNotFound when absent, ErrConflict when the new email is taken.
	UpdateUser(ctx context.Context, u User) error
	// CountPlatformOwners returns how many users have IsPlatformOwner set.
	CountPlatformOwners(ctx context.Context) (int, error)
	// DeleteUser removes the user and what is kept for the account: its
	// password, one-time tokens, sessions with their refresh tokens,
	// memberships (with what a capability keeps about them, such as SCIM
	// resources) and what a capability keeps for the user (MFA factors).
	// Every session of the user not yet revoked is first revoked at now,
	// and the revocation of each of the user's sessions outlives the
	// session: ListRevokedSessions keeps returning it, so access tokens
	// issued before the deletion stay refused. It returns the ids of the
	// sessions it revoked, sorted. ErrNotFound when absent.
	DeleteUser(ctx context.Context, id string, now time.Time) ([]string, error)
	// DeleteUnverifiedUsers removes the accounts whose address was never
	// verified and can no longer be: not verified, not disabled, not a
	// platform owner, created at or before createdBefore, holding no
	// membership, and without a PurposeVerifyEmail token that expires after
	// now. Each goes as DeleteUser removes an account (revocations of its
	// sessions kept). It returns how many it removed.
	DeleteUnverifiedUsers(ctx context.Context, createdBefore, now time.Time) (int, error)
}

// PasswordCredential is a user's password hash (a PHC string).
type PasswordCredential struct {
	UserID    string
	Hash      string
	UpdatedAt time.Time
}

// PasswordStore keeps password credentials.
type PasswordStore interface {
	// SetPassword creates or replaces the user's password hash.
	SetPassword(ctx context.Context, c PasswordCredential) error
	// GetPassword returns the user's credential, or ErrNotFound.
	GetPassword(ctx context.Context, userID string) (PasswordCredential, error)
}

// Token purposes used by the core. Later packages add their own.
const (
	PurposeVerifyEmail   = "verify_email"
	PurposeResetPassword = "reset_password"
	PurposePreAuth       = "preauth"
)

// OneTimeToken is a single-use secret (email verification, password reset,
// MFA pre-auth). Only the hash of the secret is stored.
type OneTimeToken struct {
	Hash      string // hex SHA-256 of the secret; unique
	Purpose   string
	UserID    string
	Data      []byte // opaque payload owned by the purpose
	Attempts  int    // failed uses recorded with RecordTokenAttempt
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero while unused
}

// TokenStore keeps one-time tokens.
type TokenStore interface {
	// CreateToken inserts t. ErrConflict when the hash exists.
	CreateToken(ctx context.Context, t OneTimeToken) error
	// GetToken returns the token with hash and purpose without consuming it:
	// ErrNotFound (unknown, or another purpose), ErrUsed, ErrExpired (ExpiresAt <= now).
	GetToken(ctx context.Context, purpose, hash string, now time.Time) (OneTimeToken, error)
	// ConsumeToken atomically marks the token used and returns it. Under any
	// number of concurrent calls exactly one succeeds; the others get ErrUsed.
	// Errors as GetToken.
	ConsumeToken(ctx context.Context, purpose, hash string, now time.Time) (OneTimeToken, error)
	// RecordTokenAttempt atomically adds one to the token's Attempts and returns
	// the new count. ErrNotFound when absent.
	RecordTokenAttempt(ctx context.Context, purpose, hash string) (int, error)
	// DeleteUserTokens removes every token of purpose belonging to userID.
	DeleteUserTokens(ctx context.Context, userID, purpose string) error
	// PruneUserTokens removes the tokens of purpose belonging to userID
	// except the keep newest (by CreatedAt) that are live at now (unused and
	// ExpiresAt after now), and returns how many it removed. Used and
	// expired tokens always go; among live tokens created at the same
	// instant, which are kept is unspecified. keep 0 removes every token of
	// the purpose, like DeleteUserTokens.
	PruneUserTokens(ctx context.Context, userID, purpose string, keep int, now time.Time) (int, error)
	// DeleteExpiredTokens removes tokens that expired before now; returns how many.
	DeleteExpiredTokens(ctx context.Context, now time.Time) (int, error)
}

// Session is one login: the family of its refresh tokens.
type Session struct {
	ID         string
	UserID     string
	AMR        []string // authentication methods (RFC 8176), e.g. ["pwd","otp"]
	Audience   string   // aud of the access tokens minted for it
	OrgID      string   // optional context
	ServiceID  string   // optional context
	UserAgent  string
	IP         string
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time // absolute end of the session
	RevokedAt  time.Time // zero while active
}

// RevokedSession is a revocation notice for the token-verification cache.
type RevokedSession struct {
	ID        string
	RevokedAt time.Time
}

// SessionStore keeps sessions.
type SessionStore interface {
	// CreateSession inserts s. ErrConflict when the id exists.
	CreateSession(ctx context.Context, s Session) error
	// GetSession returns the session (revoked or not), or ErrNotFound.
	GetSession(ctx context.Context, id string) (Session, error)
	// ListUserSessions returns the user's sessions that are neither revoked nor
	// expired at now, newest first.
	ListUserSessions(ctx context.Context, userID string, now time.Time) ([]Session, error)
	// TouchSession sets LastUsedAt. ErrNotFound when absent.
	TouchSession(ctx context.Context, id string, now time.Time) error
	// RevokeSession marks the session revoked at now; its refresh tokens stop
	// working. Revoking a revoked session keeps the first time. ErrNotFound when absent.
	RevokeSession(ctx context.Context, id string, now time.Time) error
	// RevokeUserSessions revokes every active session of the user except
	// exceptID (may be empty) and returns the ids it revoked.
	RevokeUserSessions(ctx context.Context, userID, exceptID string, now time.Time) ([]string, error)
	// ListRevokedSessions returns sessions with RevokedAt >= since, oldest
	// first (ties by id), including the sessions of deleted users.
	ListRevokedSessions(ctx context.Context, since time.Time) ([]RevokedSession, error)
}

// RefreshToken is one opaque refresh token of a session; only its hash is kept.
type RefreshToken struct {
	Hash       string // hex SHA-256; unique
	SessionID  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RotatedAt  time.Time // zero until rotated
	ReplacedBy string    // hash of the successor, set on rotation
}

// Rotation is the outcome of RotateRefreshToken.
type Rotation struct {
	Session Session      // the family, after the rotation
	Old     RefreshToken // the presented token, after the rotation
	// User is the session's user as stored, read with the rotation so that
	// a refresh needs no read of its own.
	User User
	// Retry is true when the presented token had already been rotated to the
	// same successor within the grace window: nothing new was written.
	Retry bool
}

// RefreshTokenStore keeps refresh tokens.
type RefreshTokenStore interface {
	// CreateRefreshToken inserts t. ErrConflict when the hash exists.
	CreateRefreshToken(ctx context.Context, t RefreshToken) error
	// RotateRefreshToken atomically replaces the token oldHash by next:
	//   - ErrNotFound: unknown oldHash (or its session or user is gone).
	//   - ErrRevoked: the session is revoked.
	//   - ErrExpired: the token or its session expired at now.
	//   - already rotated to next.Hash, within grace of RotatedAt, and the
	//     successor not rotated itself: Rotation{Retry: true}, nothing written.
	//   - already rotated otherwise: the session is revoked (durably when
	//     called on Storage; inside Tx only if the caller commits) and
	//     ErrReused returned.
	//   - else: Old gets RotatedAt=now and ReplacedBy=next.Hash, next is
	//     inserted with SessionID set to Old.SessionID and ExpiresAt capped at
	//     the session's ExpiresAt (the caller's values for those two fields are
	//     ignored/capped), and the session's LastUsedAt becomes now.
	// Under concurrent calls with the same oldHash and next, exactly one rotates.
	RotateRefreshToken(ctx context.Context, oldHash string, next RefreshToken, now time.Time, grace time.Duration) (Rotation, error)
}

// LoginFailures is the failed-login counter of one key. A key may belong to
// a scope (see FailureScope), so that every counter of one account can be
// cleared at once.
type LoginFailures struct {
	Key         string
	Count       int
	WindowStart time.Time
	LockedUntil time.Time // zero when never locked
}

// LoginFailureStore counts failed logins atomically.
type LoginFailureStore interface {
	// RecordLoginFailure adds one failure at now, atomically. When the current
	// window started at or before now-window, the count restarts at 1 with
	// WindowStart=now. When the count reaches maxFailures and the key is not
	// locked at now, LockedUntil becomes now+lockFor. Returns the new state.
	RecordLoginFailure(ctx context.Context, key string, now time.Time, window time.Duration, maxFailures int, lockFor time.Duration) (LoginFailures, error)
	// GetLoginFailures returns the state; a key never seen gives the zero
	// state (with Key set) and no error.
	GetLoginFailures(ctx context.Context, key string) (LoginFailures, error)
	// ClearLoginFailures forgets the key (count and lock).
	ClearLoginFailures(ctx context.Context, key string) error
	// ClearLoginFailureScope forgets every key whose FailureScope is scope:
	// the key equal to scope and the keys starting with scope+"|". Other
	// keys are untouched.
	ClearLoginFailureScope(ctx context.Context, scope string) error
	// DeleteStaleLoginFailures removes the keys whose window started before
	// before and that are not locked at now, and returns how many it removed.
	DeleteStaleLoginFailures(ctx context.Context, before, now time.Time) (int, error)
}

// FailureScope is the scope of a login-failure key: the part before the
// first "|", or the whole key when it has none. For example the counters
// "pwd:abc" and "pwd:abc|ip:def" are both of scope "pwd:abc".
func FailureScope(key string) string {
	if i := strings.IndexByte(key, '|'); i >= 0 {
		return key[:i]
	}
	return key
}

// SigningKey is a token-signing key. PrivateKey is ciphertext from the
// secrets keyring; PublicKey is PKIX DER.
type SigningKey struct {
	ID         string // kid
	Algorithm  string // EdDSA, ES256, RS256
	PrivateKey []byte
	PublicKey  []byte
	CreatedAt  time.Time
	RetiredAt  time.Time // zero while it signs; set when a newer key takes over
}

// SigningKeyStore keeps signing keys.
type SigningKeyStore interface {
	// CreateSigningKey inserts k. ErrConflict when the id exists.
	CreateSigningKey(ctx context.Context, k SigningKey) error
	// ListSigningKeys returns every key, newest (CreatedAt) first.
	ListSigningKeys(ctx context.Context) ([]SigningKey, error)
	// RetireSigningKey sets RetiredAt if unset. ErrNotFound when absent.
	RetireSigningKey(ctx context.Context, id string, at time.Time) error
	// DeleteSigningKey removes a key. ErrNotFound when absent.
	DeleteSigningKey(ctx context.Context, id string) error
}

// Outbox topics used by the core.
const (
	TopicEmail = "email"
	TopicEvent = "event"
)

// OutboxMessage is a side effect (email, event) written in the same
// transaction as the change it belongs to and delivered later by a worker.
type OutboxMessage struct {
	ID            string
	Topic         string
	Payload       []byte
	CreatedAt     time.Time
	NextAttemptAt time.Time
	Attempts      int       // claims so far
	LockedUntil   time.Time // lease of the worker that claimed it
	DeliveredAt   time.Time // zero until delivered
	FailedAt      time.Time // zero unless given up
	LastError     string
}

// OutboxFilter selects messages for ListOutbox.
type OutboxFilter struct {
	Topic   string // empty: any
	Pending bool   // only messages neither delivered nor failed
	Limit   int    // 0: no limit
}

// OutboxStore is a durable queue.
type OutboxStore interface {
	// EnqueueOutbox inserts m. ErrConflict when the id exists.
	EnqueueOutbox(ctx context.Context, m OutboxMessage) error
	// ClaimOutbox leases up to limit pending messages of the topics whose
	// NextAttemptAt <= now and whose lease expired, oldest first: it sets
	// LockedUntil=now+lease and adds one to Attempts. Concurrent claimers never
	// receive the same message while its lease runs.
	ClaimOutbox(ctx context.Context, topics []string, now time.Time, lease time.Duration, limit int) ([]OutboxMessage, error)
	// CompleteOutbox marks the message delivered. CompleteOutbox, RetryOutbox
	// and FailOutbox return ErrNotFound for an unknown id.
	CompleteOutbox(ctx context.Context, id string, now time.Time) error
	// RetryOutbox releases the lease and schedules the next attempt.
	RetryOutbox(ctx context.Context, id string, next time.Time, lastError string) error
	// FailOutbox gives up on the message (kept for inspection).
	FailOutbox(ctx context.Context, id string, now time.Time, lastError string) error
	// ListOutbox returns messages oldest first.
	ListOutbox(ctx context.Context, f OutboxFilter) ([]OutboxMessage, error)
}

// Tx is the identity core of the store: every operation a backend must
// offer. Inside Storage.Tx the operations share one transaction. What a
// domain package adds (MFA factors, device authorizations, ...) is not part
// of it: each is a capability interface that the package finds with As or
// Require (see the package documentation).
type Tx interface {
	UserStore
	PasswordStore
	TokenStore
	SessionStore
	RefreshTokenStore
	LoginFailureStore
	SigningKeyStore
	OutboxStore
	AuditStore
	OrgStore
	InvitationStore
	ServiceStore
	APIKeyStore
	ProcessedEventStore
}

// Storage is the contract every backend implements. Each operation called on
// Storage directly is atomic on its own.
type Storage interface {
	Tx
	// Tx runs fn in one transaction: committed when fn returns nil, rolled
	// back otherwise (fn's error is returned unchanged). Transactions are
	// serializable with respect to each other's writes; backends retry
	// transient conflicts, so fn may run more than once and must not have
	// side effects outside tx. Nested calls are not supported.
	//
	// The tx value passed to fn offers every capability the Storage offers
	// (it implements the same capability interfaces), and the capability's
	// operations called on it are part of the transaction.
	Tx(ctx context.Context, fn func(tx Tx) error) error
	// Close releases the backend's resources.
	Close() error
}

// As returns the capability C of v, and whether v offers it. v is a Storage,
// or a Tx that a Storage passed to the function given to its Tx method; C is
// a capability interface such as MFAStore. A package checks its capability
// once, with Require, when it is built, and reaches it inside a transaction
// on the tx value, where a backend that offers it on its Storage offers it
// too:
//
//	err := st.Tx(ctx, func(tx store.Tx) error {
//		m, err := store.Require[store.MFAStore](tx)
//		if err != nil {
//			return err
//		}
//		...
//	})
func As[C any](v any) (C, bool) {
	c, ok := v.(C)
	return c, ok
}

// Require is As for the places where a missing capability is an error (a
// package's constructor): the error names v's type, the capability and the
// first method missing, and matches errors.ErrUnsupported.
func Require[C any](v any) (C, error) {
	if c, ok := v.(C); ok {
		return c, nil
	}
	var zero C
	want := reflect.TypeFor[C]()
	missing := ""
	if want.Kind() == reflect.Interface && v != nil {
		have := reflect.TypeOf(v)
		for i := range want.NumMethod() {
			if m := want.Method(i); m.IsExported() {
				if _, ok := have.MethodByName(m.Name); !ok {
					missing = " (missing method " + m.Name + ")"
					break
				}
			}
		}
	}
	return zero, fmt.Errorf("store: the backend %T does not implement %v%s: %w", v, want, missing, errors.ErrUnsupported)
}
