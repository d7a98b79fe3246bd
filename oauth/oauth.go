package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/event"
	"github.com/authos/authos/internal/outbound"
	"github.com/authos/authos/store"
)

// Names of the built-in providers.
const (
	GitHub    = "github"
	Google    = "google"
	Microsoft = "microsoft"
)

// Event types of identities.
const (
	EventIdentityLinked   = "user.identity.linked"
	EventIdentityUnlinked = "user.identity.unlinked"
)

// AMRSocial is the authentication method (amr) of a social sign-in.
const AMRSocial = "social"

// Credentials are an OAuth client's id and secret at a provider.
type Credentials struct {
	ClientID     string
	ClientSecret string
}

// OIDCProvider is a generic OpenID Connect provider, found by its issuer's
// discovery document, offered under Name.
type OIDCProvider struct {
	Name   string
	Issuer string
	Credentials
	// Scopes default to openid email profile.
	Scopes []string
}

// GitHubEndpoints are GitHub's URLs; empty fields keep github.com's. The
// issuer GitHub names in its authorization responses (the iss parameter of
// RFC 9207, https://github.com/login/oauth) is AuthURL without its
// "/authorize".
type GitHubEndpoints struct {
	AuthURL  string // https://github.com/login/oauth/authorize
	TokenURL string // https://github.com/login/oauth/access_token
	APIURL   string // https://api.github.com
}

// Config configures a Service. Every field is optional: a provider without
// platform credentials is offered only to the organizations that set up
// their own.
type Config struct {
	// Platform-wide credentials of the built-in providers.
	GitHub, Google, Microsoft Credentials
	// OIDC lists the platform's generic OpenID Connect providers.
	OIDC []OIDCProvider
	// GitHubEndpoints, GoogleIssuer (default https://accounts.google.com)
	// and MicrosoftAuthority (default https://login.microsoftonline.com)
	// point the built-in providers elsewhere (tests use local servers).
	GitHubEndpoints    GitHubEndpoints
	GoogleIssuer       string
	MicrosoftAuthority string
	// MicrosoftTenant is the platform's Microsoft tenant: a tenant id, or
	// common (default), organizations or consumers; with these the ID
	// token's issuer is checked against its tid claim.
	MicrosoftTenant string
	// AllowPrivateTargets lets outbound calls reach loopback and private
	// addresses: for development and tests only. Cloud metadata addresses
	// stay refused.
	AllowPrivateTargets bool
	// Timeout bounds each outbound call. Default 10 s.
	Timeout time.Duration
	// MaxResponseBytes caps each provider response. Default 1 MiB.
	MaxResponseBytes int64
	// RefreshAhead: a token handed out by the vault is refreshed first when
	// it expires within this. Default 5 minutes.
	RefreshAhead time.Duration
	// BackgroundRefreshAhead: the background refresh renews tokens that
	// expire within this. Default 1 hour.
	BackgroundRefreshAhead time.Duration
}

// Service is social login for an authos instance. It is safe for
// concurrent use.
type Service struct {
	a      *authos.Authos
	st     storage
	cfg    Config
	guard  *outbound.Guard
	client *capClient

	mu        sync.Mutex
	discovery map[string]*oidcEntry // by issuer
	methods   methods
	pages     *pages
}

// storage is the store with the social login capability.
type storage interface {
	store.Storage
	store.OAuthStore
}

// oauthTx is a transaction of storage with the capability.
type oauthTx interface {
	store.Tx
	store.OAuthStore
}

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,31}$`)

// New builds the service: it registers its routes and sign-in method with
// a, the identity events in a's catalog, the background token refresh and
// the cleanup of expired states. It fails when a's store lacks
// store.OAuthStore (matching errors.ErrUnsupported) or a generic provider
// is malformed.
func New(a *authos.Authos, cfg Config) (*Service, error) {
	if a == nil {
		return nil, errors.New("oauth: nil *authos.Authos")
	}
	if _, err := store.Require[store.OAuthStore](a.Store()); err != nil {
		return nil, fmt.Errorf("oauth: the store cannot keep social login: %w", err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = 1 << 20
	}
	if cfg.RefreshAhead <= 0 {
		cfg.RefreshAhead = 5 * time.Minute
	}
	if cfg.BackgroundRefreshAhead <= 0 {
		cfg.BackgroundRefreshAhead = time.Hour
	}
	if cfg.GoogleIssuer == "" {
		cfg.GoogleIssuer = "https://accounts.google.com"
	}
	if cfg.MicrosoftAuthority == "" {
		cfg.MicrosoftAuthority = "https://login.microsoftonline.com"
	}
	cfg.MicrosoftAuthority = strings.TrimRight(cfg.MicrosoftAuthority, "/")
	if cfg.MicrosoftTenant == "" {
		cfg.MicrosoftTenant = "common"
	}
	seen := map[string]bool{GitHub: true, Google: true, Microsoft: true}
	for _, p := range cfg.OIDC {
		if !nameRE.MatchString(p.Name) || seen[p.Name] {
			return nil, fmt.Errorf("oauth: OIDC provider name %q is malformed or used twice", p.Name)
		}
		seen[p.Name] = true
		if err := checkIssuer(p.Issuer); err != nil {
			return nil, fmt.Errorf("oauth: OIDC provider %s: %w", p.Name, err)
		}
		if p.ClientID == "" {
			return nil, fmt.Errorf("oauth: OIDC provider %s has no client id", p.Name)
		}
	}
	s := &Service{a: a, st: a.Store().(storage), cfg: cfg, guard: &outbound.Guard{AllowPrivate: cfg.AllowPrivateTargets},
		discovery: map[string]*oidcEntry{}}
	s.client = newCapClient(s.guard, cfg.Timeout, cfg.MaxResponseBytes)
	var err error
	if s.pages, err = newPages(a); err != nil {
		return nil, fmt.Errorf("oauth: %w", err)
	}
	ext := authos.Extend(a)
	if err := ext.Handle(s.routes()...); err != nil {
		return nil, fmt.Errorf("oauth: %w", err)
	}
	ext.RegisterEventTypes(
		authos.EventType{Type: EventIdentityLinked, Scope: event.ScopeUser,
			Description: "A provider account (social login) was linked to an account.",
			Example:     map[string]any{"provider": "github", "identity_id": "01JDX5V8R2Q9T3W4Y5Z6A7B8C9", "created_account": false}},
		authos.EventType{Type: EventIdentityUnlinked, Scope: event.ScopeUser,
			Description: "A provider account (social login) was unlinked from an account.",
			Example:     map[string]any{"provider": "github", "identity_id": "01JDX5V8R2Q9T3W4Y5Z6A7B8C9"}})
	ext.AddCleanup(func(ctx context.Context) error {
		_, err := s.st.DeleteExpiredOAuthStates(ctx, a.Now())
		return err
	})
	ext.AddCleanup(func(ctx context.Context) error {
		_, err := s.RefreshDue(ctx)
		return err
	})
	s.registerSignIn()
	return s, nil
}

// checkIssuer accepts an absolute http(s) URL without query or fragment.
func checkIssuer(iss string) error {
	u, err := url.Parse(iss)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("the issuer must be an absolute http(s) URL")
	}
	return nil
}

// tx runs fn in one transaction with the capability.
func (s *Service) tx(ctx context.Context, fn func(tx oauthTx) error) error {
	return s.st.Tx(ctx, func(tx store.Tx) error {
		o, err := store.Require[oauthTx](tx)
		if err != nil {
			return err
		}
		return fn(o)
	})
}

// kind is how a provider signs people in.
type kind int

const (
	kindOIDC   kind = iota // an ID token (Google, Microsoft, generic)
	kindGitHub             // GitHub's user and email APIs
)

// conn is a provider connection resolved for one login: the provider, whose
// credentials (OrgID, "" for the platform's) and where it lives.
type conn struct {
	name     string
	orgID    string
	kind     kind
	clientID string
	secret   string
	scopes   []string
	issuer   string // OIDC
	// multiTenant: a Microsoft issuer for several tenants; the ID token's
	// iss is checked against its tid.
	multiTenant bool
}

// builtIn reports whether name is a built-in provider.
func builtIn(name string) bool { return name == GitHub || name == Google || name == Microsoft }

// platformConn returns the platform's connection for name, if configured.
func (s *Service) platformConn(name string) (conn, bool) {
	switch name {
	case GitHub:
		if s.cfg.GitHub.ClientID != "" {
			return s.builtInConn(name, "", s.cfg.GitHub, nil, ""), true
		}
	case Google:
		if s.cfg.Google.ClientID != "" {
			return s.builtInConn(name, "", s.cfg.Google, nil, ""), true
		}
	case Microsoft:
		if s.cfg.Microsoft.ClientID != "" {
			return s.builtInConn(name, "", s.cfg.Microsoft, nil, ""), true
		}
	default:
		for _, p := range s.cfg.OIDC {
			if p.Name == name {
				return conn{name: name, kind: kindOIDC, clientID: p.ClientID, secret: p.ClientSecret, issuer: p.Issuer,
					scopes: orDefault(p.Scopes, oidcScopes)}, true
			}
		}
	}
	return conn{}, false
}

var oidcScopes = []string{"openid", "email", "profile"}

func orDefault(s, def []string) []string {
	if len(s) == 0 {
		return slices.Clone(def)
	}
	return slices.Clone(s)
}

// builtInConn is the connection of a built-in provider with creds; issuer
// overrides the default (a Microsoft tenant's).
func (s *Service) builtInConn(name, orgID string, creds Credentials, scopes []string, issuer string) conn {
	c := conn{name: name, orgID: orgID, clientID: creds.ClientID, secret: creds.ClientSecret}
	switch name {
	case GitHub:
		c.kind, c.scopes = kindGitHub, orDefault(scopes, []string{"read:user", "user:email"})
	case Google:
		c.issuer, c.scopes = s.cfg.GoogleIssuer, orDefault(scopes, oidcScopes)
	case Microsoft:
		c.scopes = orDefault(scopes, []string{"openid", "email", "profile", "offline_access"})
		c.issuer = issuer
		if c.issuer == "" {
			c.issuer = s.cfg.MicrosoftAuthority + "/" + s.cfg.MicrosoftTenant + "/v2.0"
		}
		switch strings.TrimSuffix(strings.TrimPrefix(c.issuer, s.cfg.MicrosoftAuthority+"/"), "/v2.0") {
		case "common", "organizations", "consumers":
			c.multiTenant = true
		}
	}
	return c
}

// connFor resolves provider name for organization orgID ("" for none): the
// organization's own enabled credentials, else the platform's.
// PROVIDER_NOT_CONFIGURED when neither exists.
func (s *Service) connFor(ctx context.Context, orgID, name string) (conn, error) {
	if orgID != "" {
		p, err := s.st.GetOAuthProvider(ctx, orgID, name)
		switch {
		case err == nil && p.Enabled:
			return s.orgConn(p)
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return conn{}, authos.WrapError(authos.CodeDatabaseError, "", err)
		}
	}
	if c, ok := s.platformConn(name); ok {
		return c, nil
	}
	return conn{}, authos.NewError(authos.CodeProviderNotConfigured, "This sign-in provider is not set up")
}

// orgConn decrypts an organization's credentials.
func (s *Service) orgConn(p store.OAuthProvider) (conn, error) {
	secret, err := s.openSecret(p)
	if err != nil {
		return conn{}, err
	}
	creds := Credentials{ClientID: p.ClientID, ClientSecret: secret}
	if builtIn(p.Provider) {
		return s.builtInConn(p.Provider, p.OrgID, creds, p.Scopes, p.Issuer), nil
	}
	return conn{name: p.Provider, orgID: p.OrgID, kind: kindOIDC, clientID: p.ClientID, secret: secret, issuer: p.Issuer,
		scopes: orDefault(p.Scopes, oidcScopes)}, nil
}

func secretAAD(orgID, provider string) []byte {
	return []byte("authos_oauth_providers.secret:" + orgID + ":" + provider)
}

func (s *Service) openSecret(p store.OAuthProvider) (string, error) {
	if len(p.Secret) == 0 {
		return "", nil
	}
	b, err := s.a.Keyring().Decrypt(p.Secret, secretAAD(p.OrgID, p.Provider))
	if err != nil {
		return "", authos.WrapError(authos.CodeEncryptionError, "", err)
	}
	return string(b), nil
}

// available lists the providers offered to organization orgID: its own
// enabled ones and the platform's, sorted.
func (s *Service) available(ctx context.Context, orgID string) ([]string, error) {
	set := map[string]bool{}
	for _, n := range []string{GitHub, Google, Microsoft} {
		if _, ok := s.platformConn(n); ok {
			set[n] = true
		}
	}
	for _, p := range s.cfg.OIDC {
		set[p.Name] = true
	}
	if orgID != "" {
		ps, err := s.st.ListOAuthProviders(ctx, orgID)
		if err != nil {
			return nil, authos.WrapError(authos.CodeDatabaseError, "", err)
		}
		for _, p := range ps {
			if p.Enabled {
				set[p.Provider] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

// label is a provider's button text.
func label(name string) string {
	switch name {
	case GitHub:
		return "GitHub"
	case Google:
		return "Google"
	case Microsoft:
		return "Microsoft"
	}
	return name
}

// redirectURI is the callback registered at the provider for name.
func (s *Service) redirectURI(name string) string {
	return s.a.Config().BaseURL + "/auth/social/" + name + "/callback"
}
