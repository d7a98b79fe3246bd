package authos

import (
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"time"
)

// TokenCache bounds the cache of verified access tokens. A token seen
// before is not verified again (signature, JSON claims): its principal is
// kept, keyed by a SHA-256 digest of the token and the audience it was
// verified for, until the token's exp (never longer; the leeway that
// verification allows past exp is spent on a full verification), and every
// use still checks the session against the revocation set. An entry is
// dropped when its session is revoked, and the whole cache when the signing
// keys are reloaded (a rotation, or a key no longer trusted), so no cached
// token outlives the key that signed it.
//
// The principals a cached verification returns are shared between the
// requests that present the same token: they are read-only (see Principal).
type TokenCache struct {
	// Disabled turns the cache off: every request verifies its token in
	// full.
	Disabled bool
	// MaxEntries bounds the number of cached tokens. Default 10,000.
	MaxEntries int
	// MaxBytes bounds the estimated memory of the cached principals
	// (strings, slices and bookkeeping). Default 8 MiB.
	MaxBytes int64
}

// Token cache defaults.
const (
	defaultTokenCacheEntries = 10_000
	defaultTokenCacheBytes   = 8 << 20
	tokenCacheShards         = 16
	// tokenEntryOverhead estimates the bytes of one entry besides its
	// strings: the map slot (key and value), the Principal and the slice
	// headers.
	tokenEntryOverhead = 256
)

// tokenKey identifies a verified token: the digest of the raw token and the
// audience it was verified for (a token verified for one audience is not
// taken as verified for another).
type tokenKey struct {
	sum      [sha256.Size]byte
	audience string
}

// tokenEntry is a verified principal and the instant (Unix nanoseconds of
// the configured clock) from which it is no longer used: the token's exp.
type tokenEntry struct {
	p    *Principal
	exp  int64
	size int64
}

// tokenCache is the verified-token cache: shards of a map, each bounded by
// its share of the entries and bytes. A hit takes one read lock and
// allocates nothing.
type tokenCache struct {
	maxEntries int // per shard
	maxBytes   int64
	// gen counts the clears; a verification stores its principal only if
	// no clear happened since it started.
	gen    atomic.Uint64
	shards [tokenCacheShards]tokenShard
}

type tokenShard struct {
	mu        sync.RWMutex
	m         map[tokenKey]tokenEntry
	bytes     int64
	lastSweep int64
}

// newTokenCache returns the cache configured by c, or nil when it is off.
func newTokenCache(c TokenCache) *tokenCache {
	if c.Disabled {
		return nil
	}
	tc := &tokenCache{
		maxEntries: max(1, c.MaxEntries/tokenCacheShards),
		maxBytes:   max(1, c.MaxBytes/tokenCacheShards),
	}
	for i := range tc.shards {
		tc.shards[i].m = map[tokenKey]tokenEntry{}
	}
	return tc
}

// digestBufs are scratch buffers for tokenDigest: converting the token to
// the []byte that SHA-256 takes would allocate a copy on every request.
var digestBufs = sync.Pool{New: func() any { b := make([]byte, 0, maxTokenBytes); return &b }}

// tokenDigest is the SHA-256 of raw (at most maxTokenBytes), without
// allocating.
func tokenDigest(raw string) [sha256.Size]byte {
	bp := digestBufs.Get().(*[]byte)
	b := append((*bp)[:0], raw...)
	sum := sha256.Sum256(b)
	*bp = b[:0]
	digestBufs.Put(bp)
	return sum
}

func (tc *tokenCache) shard(k *tokenKey) *tokenShard {
	return &tc.shards[k.sum[0]%tokenCacheShards]
}

// get returns the principal of k while now (Unix nanoseconds) is before
// its token's exp; an entry found expired is dropped.
func (tc *tokenCache) get(k tokenKey, now int64) (*Principal, bool) {
	s := tc.shard(&k)
	s.mu.RLock()
	e, ok := s.m[k]
	s.mu.RUnlock()
	if !ok {
		return nil, false
	}
	if now >= e.exp {
		s.mu.Lock()
		if e, ok := s.m[k]; ok && now >= e.exp {
			s.bytes -= e.size
			delete(s.m, k)
		}
		s.mu.Unlock()
		return nil, false
	}
	return e.p, true
}

// put stores p for k until exp (Unix nanoseconds), unless the cache was
// cleared since gen was read. A full shard first forgets expired entries
// (at most once a second), then arbitrary ones.
func (tc *tokenCache) put(k tokenKey, p *Principal, exp, now int64, gen uint64) {
	if now >= exp {
		return
	}
	size := principalSize(p)
	if size > tc.maxBytes {
		return
	}
	s := tc.shard(&k)
	s.mu.Lock()
	defer s.mu.Unlock()
	if tc.gen.Load() != gen {
		return
	}
	if old, ok := s.m[k]; ok {
		s.bytes -= old.size
		delete(s.m, k)
	}
	if len(s.m) >= tc.maxEntries || s.bytes+size > tc.maxBytes {
		if now-s.lastSweep > int64(time.Second) {
			s.lastSweep = now
			for key, e := range s.m {
				if now >= e.exp {
					s.bytes -= e.size
					delete(s.m, key)
				}
			}
		}
		for key, e := range s.m { // map order: an arbitrary victim
			if len(s.m) < tc.maxEntries && s.bytes+size <= tc.maxBytes {
				break
			}
			s.bytes -= e.size
			delete(s.m, key)
		}
	}
	s.m[k] = tokenEntry{p: p, exp: exp, size: size}
	s.bytes += size
}

// remove forgets k (its session was found revoked).
func (tc *tokenCache) remove(k tokenKey) {
	s := tc.shard(&k)
	s.mu.Lock()
	if e, ok := s.m[k]; ok {
		s.bytes -= e.size
		delete(s.m, k)
	}
	s.mu.Unlock()
}

// evictSessions forgets every token of the sessions in ids.
func (tc *tokenCache) evictSessions(ids map[string]struct{}) {
	if len(ids) == 0 {
		return
	}
	for i := range tc.shards {
		s := &tc.shards[i]
		s.mu.Lock()
		for k, e := range s.m {
			if _, ok := ids[e.p.SessionID]; ok {
				s.bytes -= e.size
				delete(s.m, k)
			}
		}
		s.mu.Unlock()
	}
}

// clear forgets every token; verifications under way do not store theirs.
func (tc *tokenCache) clear() {
	tc.gen.Add(1)
	for i := range tc.shards {
		s := &tc.shards[i]
		s.mu.Lock()
		clear(s.m)
		s.bytes = 0
		s.mu.Unlock()
	}
}

// len is the number of cached tokens.
func (tc *tokenCache) len() int {
	n := 0
	for i := range tc.shards {
		s := &tc.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}

// principalSize estimates the memory an entry holds.
func principalSize(p *Principal) int64 {
	n := tokenEntryOverhead + len(p.Kind) + len(p.UserID) + len(p.Email) + len(p.SessionID) + len(p.Audience) +
		len(p.Org) + len(p.Service) + len(p.TokenID) + len(p.KeyCreatedBy) + len(p.KeyRole)
	for _, s := range p.AMR {
		n += 16 + len(s)
	}
	for _, s := range p.Scopes {
		n += 16 + len(s)
	}
	return int64(n)
}
