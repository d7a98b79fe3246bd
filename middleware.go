package authos

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authos/authos/internal/httpx"
	"github.com/authos/authos/store"
)

// Principal kinds.
const (
	PrincipalAccessToken = "access_token"
	PrincipalAPIKey      = "api_key"
)

// Principal is whoever authenticated a request, whatever the credential.
//
// A Principal is read-only once returned (by RequireAuth through
// PrincipalFrom, Authenticate, VerifyAccessToken, AuthenticateAPIKey): the
// verified-token cache hands the same value, slices included, to every
// request presenting the same token. Copy it (and its slices) to change it.
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

// maxRevokedSessions bounds the in-process revocation set. Entries are
// forgotten once no token of their session can still be live (AccessTokenTTL
// plus Leeway after the revocation). Should more sessions than this be
// revoked within that time, the revocations that find no room are not
// forgotten but looked up: until the last of them could have expired, a
// session not in the set is read from the store on every verification (one
// read per request) rather than accepted unchecked.
const maxRevokedSessions = 100_000

// revocationCache is the set of revoked session ids. Revocations made by
// this instance enter it at once; those of other instances arrive pushed
// (Config.Revocations, a store with store.RevocationFeed, while Run runs) or
// with the periodic re-read of the store: every Config.RevocationPoll, or
// every Config.RevocationPollPushed while a push channel is up. A check is
// a map lookup; the store is read only when the period has passed.
type revocationCache struct {
	poll       time.Duration // no push channel up
	pollPushed time.Duration // a push channel up
	horizon    time.Duration // how long a revocation can matter: AccessTokenTTL + Leeway
	max        int
	tokens     *tokenCache // evicted on revocation; nil when off
	pushUp     atomic.Int32

	mu            sync.RWMutex
	ids           map[string]time.Time // session id -> revoked at
	lastSync      time.Time
	cursor        time.Time
	overflowUntil time.Time // revocations left out of the full set may matter until then
	lastPrune     time.Time

	syncMu sync.Mutex
}

func newRevocationCache(cfg Config, tokens *tokenCache) *revocationCache {
	return &revocationCache{
		poll: cfg.RevocationPoll, pollPushed: cfg.RevocationPollPushed,
		horizon: cfg.AccessTokenTTL + cfg.Leeway, max: maxRevokedSessions,
		tokens: tokens, ids: map[string]time.Time{},
	}
}

// period is the time between two re-reads of the store.
func (c *revocationCache) period() time.Duration {
	if c.pushUp.Load() > 0 {
		return c.pollPushed
	}
	return c.poll
}

// addAll records revocations at `at` (now is the clock) and drops the
// cached tokens of those sessions.
func (c *revocationCache) addAll(ids []string, at, now time.Time) {
	c.mu.Lock()
	c.addLocked(ids, at, now)
	c.mu.Unlock()
	c.evict(ids)
}

func (c *revocationCache) evict(ids []string) {
	if c.tokens == nil || len(ids) == 0 {
		return
	}
	set := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		set[id] = struct{}{}
	}
	c.tokens.evictSessions(set)
}

// addLocked records revocations; when the set is full even after
// forgetting the expired ones, the revocations left out extend the time
// during which sessions absent from the set are looked up in the store.
func (c *revocationCache) addLocked(ids []string, at, now time.Time) {
	for _, id := range ids {
		if _, ok := c.ids[id]; ok {
			continue
		}
		if len(c.ids) >= c.max && now.Sub(c.lastPrune) >= time.Second {
			c.pruneLocked(now)
		}
		if len(c.ids) >= c.max {
			if until := maxTime(at, now).Add(c.horizon); until.After(c.overflowUntil) {
				c.overflowUntil = until
			}
			continue
		}
		c.ids[id] = at
	}
}

// pruneLocked forgets the revocations no live token can be affected by.
func (c *revocationCache) pruneLocked(now time.Time) {
	c.lastPrune = now
	for id, at := range c.ids {
		if now.Sub(at) > c.horizon {
			delete(c.ids, id)
		}
	}
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
	fresh := now.Sub(c.lastSync) < c.period() && !c.lastSync.After(now)
	overflow := now.Before(c.overflowUntil)
	c.mu.RUnlock()
	if revoked {
		return true, nil
	}
	if !fresh {
		if err := c.sync(ctx, a); err != nil {
			return false, err
		}
		c.mu.RLock()
		_, revoked = c.ids[sid]
		overflow = now.Before(c.overflowUntil)
		c.mu.RUnlock()
		if revoked {
			return true, nil
		}
	}
	if overflow && !strings.HasPrefix(sid, clientSessionPrefix) { // no stored session to read
		return revokedInStore(ctx, a.st, sid)
	}
	return false, nil
}

// revokedInStore reads the session: revoked, or gone, is refused.
func revokedInStore(ctx context.Context, st store.Storage, sid string) (bool, error) {
	s, err := st.GetSession(ctx, sid)
	if errors.Is(err, store.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, WrapError(CodeDatabaseError, "", err)
	}
	return !s.RevokedAt.IsZero(), nil
}

// sync pulls revocations since the last cursor (with an overlap for clock
// skew between instances) and forgets those no live token can carry, unless
// the last sync is more recent than the period.
func (c *revocationCache) sync(ctx context.Context, a *Authos) error { return c.doSync(ctx, a, false) }

// syncNow is sync regardless of the period.
func (c *revocationCache) syncNow(ctx context.Context, a *Authos) error {
	return c.doSync(ctx, a, true)
}

func (c *revocationCache) doSync(ctx context.Context, a *Authos, force bool) error {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	now := a.now()
	c.mu.RLock()
	fresh := now.Sub(c.lastSync) < c.period() && !c.lastSync.After(now)
	since := c.cursor
	c.mu.RUnlock()
	if fresh && !force {
		return nil
	}
	if since.IsZero() || since.Before(now.Add(-c.horizon)) {
		since = now.Add(-c.horizon)
	}
	revs, err := a.st.ListRevokedSessions(ctx, since.Add(-5*time.Second))
	if err != nil {
		return WrapError(CodeDatabaseError, "", err)
	}
	var added []string
	c.mu.Lock()
	c.pruneLocked(now)
	for _, r := range revs {
		if _, ok := c.ids[r.ID]; !ok && now.Sub(r.RevokedAt) <= c.horizon {
			c.addLocked([]string{r.ID}, r.RevokedAt, now)
			added = append(added, r.ID)
		}
		if r.RevokedAt.After(c.cursor) {
			c.cursor = r.RevokedAt
		}
	}
	if c.cursor.IsZero() {
		c.cursor = since
	}
	c.lastSync = now
	c.mu.Unlock()
	c.evict(added)
	return nil
}

func maxTime(x, y time.Time) time.Time {
	if x.After(y) {
		return x
	}
	return y
}

// ClientIP is the request's client address: the direct peer, or, when the
// peer is a trusted proxy, the right-most X-Forwarded-For entry that is not
// itself a trusted proxy.
func (a *Authos) ClientIP(r *http.Request) string {
	return clientIP(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), a.cfg.TrustedProxies)
}

// clientIP is the client address of a request from remoteAddr with the
// X-Forwarded-For header values forwardedFor (see Authos.ClientIP).
func clientIP(remoteAddr string, forwardedFor []string, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = peer.Unmap()
	if !isTrusted(peer, trusted) {
		return peer.String()
	}
	hops := strings.Split(strings.Join(forwardedFor, ","), ",")
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
