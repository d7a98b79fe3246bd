package authos

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/authos/authos/internal/httpx"
)

// Principal kinds.
const (
	PrincipalAccessToken = "access_token"
	PrincipalAPIKey      = "api_key"
)

// Principal is whoever authenticated a request, whatever the credential.
type Principal struct {
	Kind            string // PrincipalAccessToken, PrincipalAPIKey
	UserID          string
	Email           string
	SessionID       string
	AMR             []string
	Audience        string
	Org             string
	Service         string
	Scopes          []string
	IsPlatformOwner bool // as claimed by the token; authorization re-checks the store
	TokenID         string
	ExpiresAt       time.Time
	// KeyCreatedBy and KeyRole are set for API keys only: the user who made
	// the key and the role it acts with, the lower of that user's role when
	// the key was made and now.
	KeyCreatedBy string
	KeyRole      string
}

type principalKey struct{}

// withPrincipal returns a context carrying p.
func withPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal that RequireAuth put in ctx, or nil.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// RequireAuth is middleware that requires an access token for the
// management audience. The principal is available to next through
// PrincipalFrom. Missing token: UNAUTHORIZED; expired: TOKEN_EXPIRED; bad
// signature, issuer, audience, type or algorithm: JWT_ERROR; revoked
// session: SESSION_REVOKED.
func (a *Authos) RequireAuth(next http.Handler) http.Handler {
	return a.RequireAudience(a.cfg.ManagementAudience)(next)
}

// RequireAudience is RequireAuth for tokens minted for another audience, such
// as a registered service's client_id; a host backend protects its own
// routes with it.
func (a *Authos) RequireAudience(audience string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, err := a.Authenticate(r, audience)
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="authos"`)
				a.WriteError(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(withPrincipal(r.Context(), p)))
		})
	}
}

// Authenticate checks the request's bearer token for audience (empty: the
// management audience) without HTTP plumbing; see RequireAuth for errors.
func (a *Authos) Authenticate(r *http.Request, audience string) (*Principal, error) {
	raw := httpx.BearerToken(r)
	if raw == "" {
		if r.Header.Get("Authorization") != "" {
			return nil, NewError(CodeJWTError, "Malformed Authorization header")
		}
		return nil, NewError(CodeUnauthorized, "Authentication required")
	}
	return a.VerifyAccessToken(r.Context(), raw, audience)
}

// revocationCache is the set of revoked session ids, refreshed from the
// store at most every syncEvery, so that a revocation made by any instance
// is honoured within about a second at the cost of a map lookup per request.
type revocationCache struct {
	syncEvery time.Duration

	mu       sync.RWMutex
	ids      map[string]time.Time // session id -> revoked at
	lastSync time.Time
	cursor   time.Time

	syncMu sync.Mutex
}

func newRevocationCache() *revocationCache {
	return &revocationCache{syncEvery: 500 * time.Millisecond, ids: map[string]time.Time{}}
}

// add records a revocation made by this instance.
func (c *revocationCache) add(id string, at time.Time) {
	c.mu.Lock()
	c.ids[id] = at
	c.mu.Unlock()
}

// invalidate makes the next check sync with the store.
func (c *revocationCache) invalidate() {
	c.mu.Lock()
	c.lastSync = time.Time{}
	c.mu.Unlock()
}

func (c *revocationCache) isRevoked(ctx context.Context, a *Authos, sid string) (bool, error) {
	now := a.now()
	c.mu.RLock()
	_, revoked := c.ids[sid]
	fresh := now.Sub(c.lastSync) < c.syncEvery && !c.lastSync.After(now)
	c.mu.RUnlock()
	if revoked || fresh {
		return revoked, nil
	}
	if err := c.sync(ctx, a); err != nil {
		return false, err
	}
	c.mu.RLock()
	_, revoked = c.ids[sid]
	c.mu.RUnlock()
	return revoked, nil
}

// sync pulls revocations since the last cursor (with an overlap for clock
// skew between instances) and forgets those no live token can carry.
func (c *revocationCache) sync(ctx context.Context, a *Authos) error {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	now := a.now()
	c.mu.RLock()
	fresh := now.Sub(c.lastSync) < c.syncEvery && !c.lastSync.After(now)
	since := c.cursor
	c.mu.RUnlock()
	if fresh {
		return nil
	}
	horizon := a.cfg.AccessTokenTTL + a.cfg.Leeway
	if since.IsZero() || since.Before(now.Add(-horizon)) {
		since = now.Add(-horizon)
	}
	revs, err := a.st.ListRevokedSessions(ctx, since.Add(-5*time.Second))
	if err != nil {
		return WrapError(CodeDatabaseError, "", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range revs {
		c.ids[r.ID] = r.RevokedAt
		if r.RevokedAt.After(c.cursor) {
			c.cursor = r.RevokedAt
		}
	}
	if c.cursor.IsZero() {
		c.cursor = since
	}
	for id, at := range c.ids {
		if now.Sub(at) > horizon {
			delete(c.ids, id)
		}
	}
	c.lastSync = now
	return nil
}

// ClientIP is the request's client address: the direct peer, or, when the
// peer is a trusted proxy, the right-most X-Forwarded-For entry that is not
// itself a trusted proxy.
func (a *Authos) ClientIP(r *http.Request) string {
	return clientIP(r, a.cfg.TrustedProxies)
}

func clientIP(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !isTrusted(peer, trusted) {
		return peer.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		ip, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		ip = ip.Unmap()
		if !isTrusted(ip, trusted) {
			return ip.String()
		}
		peer = ip
	}
	return peer.String()
}

func isTrusted(ip netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
