package store

import (
	"context"
	"time"
)

// OAuthProvider is an organization's own credentials at a social login
// provider ("bring your own OAuth"): used for the sign-ins to its services
// instead of the platform's.
type OAuthProvider struct {
	OrgID string
	// Provider is the provider's name: github, google, microsoft or the
	// name of a generic OpenID Connect provider.
	Provider string
	ClientID string
	// Secret is the client secret as ciphertext from the keyring.
	Secret []byte
	// Issuer is the OpenID Connect issuer of a generic provider (or a
	// Microsoft tenant's); empty for the built-in defaults.
	Issuer    string
	Scopes    []string
	Enabled   bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// OAuthState is a pending login at a provider: the state parameter of the
// authorization request (kept as a hash), single use, bound to the browser
// that started it.
type OAuthState struct {
	Hash     string // hex SHA-256 of the state parameter; unique
	Provider string
	// OrgID is the organization whose credentials the login uses ("" for
	// the platform's).
	OrgID string
	// BrowserHash is the hex SHA-256 of the browser-binding cookie.
	BrowserHash string
	// Data is what the callback needs (the sign-in flow, the PKCE verifier,
	// the nonce, the user linking), as ciphertext from the keyring.
	Data      []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until consumed
}

// OAuthIdentity links a user to an account at a provider: the provider
// connection (Provider with OrgID, "" for the platform's credentials) and
// the provider's subject, unique together; a user has at most one identity
// per connection. It keeps the provider's tokens (the vault).
type OAuthIdentity struct {
	ID       string
	UserID   string
	Provider string
	OrgID    string
	Subject  string
	Email    string // as the provider gave it
	// Unconfirmed marks an identity that made its account from an address
	// the provider could not vouch for (an organization's own OpenID
	// Connect provider): the account was created unverified, and the
	// identity signs in only once the mailbox's owner confirmed it
	// (ConfirmOAuthIdentity).
	Unconfirmed bool
	OAuthTokens
	// LeaseID and LeaseUntil are set by LeaseOAuthIdentity while one
	// instance refreshes the tokens.
	LeaseID    string
	LeaseUntil time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// OAuthTokens are the provider's tokens of an identity, as ciphertext from
// the keyring.
type OAuthTokens struct {
	AccessToken  []byte
	RefreshToken []byte
	TokenType    string
	// ExpiresAt is when the access token expires (zero: unknown).
	ExpiresAt time.Time
	Scopes    []string
	// NeedsConsent is set when the provider refused a refresh: the person
	// must sign in with the provider again.
	NeedsConsent bool
	// RefreshFailures counts the background refreshes that failed in a
	// row; RetryAt is the earliest next one (zero: at once). New tokens
	// come with both zero.
	RefreshFailures int
	RetryAt         time.Time
}

// OAuthStore keeps social login: organizations' provider credentials,
// pending provider logins and the identities with their tokens.
//
// It is a capability (see the package documentation): package oauth needs
// it, on the Storage and on its transactions.
type OAuthStore interface {
	// PutOAuthProvider creates the organization's credentials for
	// p.Provider or replaces every field of them (CreatedAt is kept). The
	// organization must exist.
	PutOAuthProvider(ctx context.Context, p OAuthProvider) error
	// GetOAuthProvider returns the organization's credentials for provider,
	// or ErrNotFound.
	GetOAuthProvider(ctx context.Context, orgID, provider string) (OAuthProvider, error)
	// ListOAuthProviders returns the organization's credentials, sorted by
	// provider.
	ListOAuthProviders(ctx context.Context, orgID string) ([]OAuthProvider, error)
	// DeleteOAuthProvider removes the organization's credentials for
	// provider; ErrNotFound when absent.
	DeleteOAuthProvider(ctx context.Context, orgID, provider string) error

	// CreateOAuthState inserts s. ErrConflict when the hash exists.
	CreateOAuthState(ctx context.Context, s OAuthState) error
	// ConsumeOAuthState marks the state used at now and returns it:
	// ErrNotFound when absent, ErrUsed once consumed, ErrExpired when it
	// expired at or before now (in that order). Under any number of
	// concurrent calls exactly one succeeds; the others get ErrUsed.
	ConsumeOAuthState(ctx context.Context, hash string, now time.Time) (OAuthState, error)
	// DeleteExpiredOAuthStates removes the states that expired at or before
	// before, and returns how many.
	DeleteExpiredOAuthStates(ctx context.Context, before time.Time) (int, error)

	// CreateOAuthIdentity inserts i. ErrConflict when the id exists, when
	// the connection's subject is linked already, or when the user has an
	// identity of the connection. The user must exist.
	CreateOAuthIdentity(ctx context.Context, i OAuthIdentity) error
	// GetOAuthIdentity returns the identity with id, or ErrNotFound.
	GetOAuthIdentity(ctx context.Context, id string) (OAuthIdentity, error)
	// FindOAuthIdentity returns the identity of the connection (provider,
	// orgID) with subject, or ErrNotFound.
	FindOAuthIdentity(ctx context.Context, provider, orgID, subject string) (OAuthIdentity, error)
	// ListOAuthIdentities returns the user's identities, oldest first
	// (ties by id).
	ListOAuthIdentities(ctx context.Context, userID string) ([]OAuthIdentity, error)
	// DeleteOAuthIdentity removes the user's identity id; ErrNotFound when
	// the user has no such identity.
	DeleteOAuthIdentity(ctx context.Context, userID, id string) error
	// SetOAuthTokens replaces the identity's tokens and sets UpdatedAt to
	// now, and ends the identity's lease. With leaseID "" (a sign-in's new
	// tokens) it always does: the refresh under a lease then finds its
	// lease gone and cannot store its older result. Otherwise only while
	// that lease is held (ErrConflict when it is not). ErrNotFound when the
	// identity is absent.
	SetOAuthTokens(ctx context.Context, id, leaseID string, t OAuthTokens, now time.Time) error
	// ConfirmOAuthIdentity clears the identity's Unconfirmed mark and sets
	// UpdatedAt to now; ErrNotFound when absent.
	ConfirmOAuthIdentity(ctx context.Context, id string, now time.Time) error
	// LeaseOAuthIdentity gives the identity to leaseID until until, unless
	// another lease is live at now (ErrConflict), and returns the identity
	// as leased. Under any number of concurrent calls with different lease
	// ids exactly one succeeds. ErrNotFound when absent.
	LeaseOAuthIdentity(ctx context.Context, id, leaseID string, now, until time.Time) (OAuthIdentity, error)
	// ListOAuthIdentitiesToRefresh returns at most limit identities whose
	// access token expires at or before expiresBefore and that have a
	// refresh token, do not need consent, are not waiting for a retry
	// (RetryAt after now) and hold no lease live at now, soonest expiry
	// first.
	ListOAuthIdentitiesToRefresh(ctx context.Context, expiresBefore, now time.Time, limit int) ([]OAuthIdentity, error)
}
