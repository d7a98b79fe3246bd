package store

import (
	"context"
	"time"
)

// SAMLConnection is an organization's SAML 2.0 identity provider: its
// metadata, the email domains it owns (home-realm discovery), how its
// assertions map to accounts, and our service provider's key pair for it.
// An organization has at most one connection.
type SAMLConnection struct {
	ID    string // names the service provider (entity id, metadata URL)
	OrgID string
	// IDPMetadata is the identity provider's metadata document (XML), as
	// given or as fetched from IDPMetadataURL.
	IDPMetadata    []byte
	IDPMetadataURL string
	// IDPEntityID and IDPCertNotAfter are read from IDPMetadata when it is
	// stored (the signing certificate that expires first).
	IDPEntityID     string
	IDPCertNotAfter time.Time
	// Domains are the lower-cased email domains the connection owns; a
	// domain belongs to at most one connection.
	Domains     []string
	DefaultRole string
	// EmailAttribute, NameAttribute and GroupsAttribute name the assertion
	// attributes that carry them ("" for the defaults).
	EmailAttribute  string
	NameAttribute   string
	GroupsAttribute string
	// GroupRoles maps a group (a value of the groups attribute, exact
	// match) to the organization role it grants (owner, admin, member);
	// nil for none.
	GroupRoles map[string]string
	// AllowIDPInitiated accepts responses that answer no request of ours.
	AllowIDPInitiated bool
	// IDPInitiatedServiceID is the organization's service an IdP-initiated
	// sign-in lands at, through IDPInitiatedLoginURI, that service's
	// OpenID Connect initiate_login_uri ("" for none).
	IDPInitiatedServiceID string
	IDPInitiatedLoginURI  string
	Enabled               bool
	// PasswordSignInDisabled bars password sign-in for the owned domains.
	PasswordSignInDisabled bool
	// SPKey is our signing key (PKCS #1) as ciphertext from the keyring;
	// SPCert its self-signed certificate (DER).
	SPKey  []byte
	SPCert []byte
	// MetadataRefreshedAt is when IDPMetadata was last fetched from
	// IDPMetadataURL, MetadataError why the last refresh failed ("" when it
	// succeeded) and MetadataRefreshAt when the next refresh is due (zero:
	// none, for metadata given as XML).
	MetadataRefreshedAt time.Time
	MetadataError       string
	MetadataRefreshAt   time.Time
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// SAMLMetadataRefresh is the outcome of refetching a connection's IdP
// metadata from its URL: on success the new document and what was read
// from it, with RefreshedAt set; on failure only Error. Either way the
// next refresh is due at NextRefreshAt.
type SAMLMetadataRefresh struct {
	ConnectionID string
	// URL is the metadata URL that was fetched; the outcome is recorded
	// only while the connection still has it.
	URL             string
	Metadata        []byte
	IDPEntityID     string
	IDPCertNotAfter time.Time
	RefreshedAt     time.Time // zero on failure
	Error           string    // "" on success
	NextRefreshAt   time.Time
}

// SAMLRequest is an AuthnRequest we sent: found again at the ACS by the
// hash of the RelayState that went with it, single use.
type SAMLRequest struct {
	Hash         string // hex SHA-256 of the RelayState; unique
	RequestID    string // the AuthnRequest's ID (the response's InResponseTo)
	ConnectionID string
	// Flow is the sign-in flow the login continues, as ciphertext from the
	// keyring.
	Flow      []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until consumed
}

// SAMLStore keeps SAML single sign-on: the organizations' connections, the
// AuthnRequests in flight and the replay cache of accepted assertions.
//
// It is a capability (see the package documentation): package saml needs
// it, on the Storage and on its transactions.
type SAMLStore interface {
	// PutSAMLConnection creates the organization's connection or replaces
	// every field of it but ID and CreatedAt, which stay those of the
	// stored one. ErrNotFound when the organization does not exist,
	// ErrConflict when one of c.Domains belongs to another connection.
	PutSAMLConnection(ctx context.Context, c SAMLConnection) error
	// GetSAMLConnection returns the organization's connection, or
	// ErrNotFound.
	GetSAMLConnection(ctx context.Context, orgID string) (SAMLConnection, error)
	// FindSAMLConnectionByDomain returns the connection that owns the
	// lower-cased email domain, or ErrNotFound.
	FindSAMLConnectionByDomain(ctx context.Context, domain string) (SAMLConnection, error)
	// DeleteSAMLConnection removes the organization's connection with its
	// domains; ErrNotFound when absent.
	DeleteSAMLConnection(ctx context.Context, orgID string) error

	// CreateSAMLRequest inserts r. ErrConflict when the hash exists.
	CreateSAMLRequest(ctx context.Context, r SAMLRequest) error
	// ConsumeSAMLRequest marks the request used at now and returns it:
	// ErrNotFound when absent, ErrUsed once consumed, ErrExpired when it
	// expired at or before now (in that order). Under any number of
	// concurrent calls exactly one succeeds.
	ConsumeSAMLRequest(ctx context.Context, hash string, now time.Time) (SAMLRequest, error)
	// UseSAMLAssertion records the assertion id of the connection as used
	// until expiresAt: ErrUsed when it is recorded already and its record
	// has not expired at now. Under concurrent calls exactly one succeeds.
	UseSAMLAssertion(ctx context.Context, connectionID, assertionID string, expiresAt, now time.Time) error
	// ListSAMLMetadataDue returns at most limit connections with an
	// IDPMetadataURL whose MetadataRefreshAt is at or before now, or zero
	// (stored before refreshes were scheduled), the earliest due first
	// (zero first).
	ListSAMLMetadataDue(ctx context.Context, now time.Time, limit int) ([]SAMLConnection, error)
	// ClaimSAMLMetadataRefresh moves the MetadataRefreshAt of the
	// connection (one with an IDPMetadataURL) from due (as listed, zero
	// included) to next, so that one instance refreshes it: ErrNotFound
	// when the connection is gone, has no URL, or its MetadataRefreshAt is
	// no longer due (another instance claimed it, or an admin replaced the
	// connection). Under concurrent calls exactly one succeeds.
	ClaimSAMLMetadataRefresh(ctx context.Context, connectionID string, due, next time.Time) error
	// SaveSAMLMetadataRefresh records r: on success (r.RefreshedAt set)
	// the metadata, entity id, certificate expiry, refresh time and an
	// empty error; on failure the error only, the metadata kept; and the
	// next refresh. ErrNotFound when the connection is gone or its
	// metadata URL is no longer r.URL. UpdatedAt is left as it is.
	SaveSAMLMetadataRefresh(ctx context.Context, r SAMLMetadataRefresh) error
	// DeleteExpiredSAML removes the requests and assertion records that
	// expired at or before now, and returns how many.
	DeleteExpiredSAML(ctx context.Context, now time.Time) (int, error)
}
