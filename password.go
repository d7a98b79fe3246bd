package authos

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"

	"github.com/authos/authos/internal/pwlist"
	"github.com/authos/authos/internal/randx"
)

// PasswordHasher hashes and verifies passwords. Implementations must be safe
// for concurrent use.
type PasswordHasher interface {
	// Hash returns an encoded hash (a PHC string) of password.
	Hash(ctx context.Context, password string) (string, error)
	// Verify reports whether password matches encoded, and whether encoded
	// uses weaker parameters than the hasher's current ones (rehash it).
	Verify(ctx context.Context, password, encoded string) (ok, rehash bool, err error)
}

// Argon2Params are Argon2id parameters.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // iterations
	Threads uint8
	SaltLen int
	KeyLen  uint32
}

// defaultArgon2Params are the OWASP ASVS 5.0 parameters: m=19456 KiB, t=2, p=1.
var defaultArgon2Params = Argon2Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Argon2id is the default PasswordHasher. Hashes are PHC strings
// ($argon2id$v=19$m=19456,t=2,p=1$salt$hash). Each hash allocates Memory
// KiB, so hashing runs in a bounded pool (see HashPool): at most Workers
// hashes at once, at most Queue more waiting for a worker, and any further
// request is refused at once with SERVICE_UNAVAILABLE (503, Retry-After).
// The memory the hashes hold at any moment is therefore at most Workers ×
// Memory KiB (19 MiB each with the defaults), however many logins arrive.
type Argon2id struct {
	params Argon2Params
	pool   hashPool
}

// HashPool bounds concurrent password hashing (see NewArgon2idPool).
type HashPool struct {
	// Workers is the number of hashes that run at once; <= 0: GOMAXPROCS
	// (more would not finish sooner, only hold more memory).
	Workers int
	// Queue is the number of hashes that may wait for a worker; 0: 8 per
	// worker (with the default parameters a waiter starts within about
	// 8 × 28 ms), < 0: none (a request that finds every worker busy is
	// refused).
	Queue int
	// RetryAfter is the Retry-After of the refusal when the queue is full;
	// default one second.
	RetryAfter time.Duration
}

// defaultQueuePerWorker is the default HashPool.Queue per worker.
const defaultQueuePerWorker = 8

// NewArgon2id returns a hasher with p (zero fields take the defaults, the
// OWASP ASVS 5.0 parameters m=19456 KiB, t=2, p=1, 16-byte salt, 32-byte
// key) that runs at most concurrency hashes at once (<= 0: GOMAXPROCS) with
// the default queue: NewArgon2idPool(p, HashPool{Workers: concurrency}).
// Parameters below the ASVS minimum (m=19456 KiB with t=2, m=12288 with t>=3, or
// m=47104 with t=1) are refused.
func NewArgon2id(p Argon2Params, concurrency int) (*Argon2id, error) {
	return NewArgon2idPool(p, HashPool{Workers: concurrency})
}

// NewArgon2idPool returns a hasher with p (see NewArgon2id) whose hashes run
// in the bounded pool (zero fields take the defaults).
func NewArgon2idPool(p Argon2Params, pool HashPool) (*Argon2id, error) {
	d := defaultArgon2Params
	if p.Memory == 0 {
		p.Memory = d.Memory
	}
	if p.Time == 0 {
		p.Time = d.Time
	}
	if p.Threads == 0 {
		p.Threads = d.Threads
	}
	if p.SaltLen == 0 {
		p.SaltLen = d.SaltLen
	}
	if p.KeyLen == 0 {
		p.KeyLen = d.KeyLen
	}
	switch {
	case p.Time == 1 && p.Memory < 47104, p.Time == 2 && p.Memory < 19456, p.Time >= 3 && p.Memory < 12288:
		return nil, fmt.Errorf("authos: argon2id parameters m=%d t=%d are below the ASVS minimum", p.Memory, p.Time)
	case p.SaltLen < 16 || p.KeyLen < 16:
		return nil, errors.New("authos: argon2id salt and key must be at least 16 bytes")
	}
	if pool.Workers <= 0 {
		pool.Workers = runtime.GOMAXPROCS(0)
	}
	switch {
	case pool.Queue == 0:
		pool.Queue = defaultQueuePerWorker * pool.Workers
	case pool.Queue < 0:
		pool.Queue = 0
	}
	if pool.RetryAfter <= 0 {
		pool.RetryAfter = time.Second
	}
	return &Argon2id{params: p, pool: hashPool{slots: make(chan struct{}, pool.Workers),
		queue: int64(pool.Queue), retryAfter: pool.RetryAfter}}, nil
}

// hashPool is a pool of workers with a bounded queue, without goroutines of
// its own: a hash runs on the caller's goroutine once it holds one of the
// slots (a worker); while all are taken, at most queue callers wait for one
// (in arrival order, as a channel's senders are served) and the others are
// refused at once.
type hashPool struct {
	slots      chan struct{}
	waiting    atomic.Int64
	queue      int64
	retryAfter time.Duration
	gcMu       sync.Mutex // one reclaiming collection at a time
}

// acquire takes a worker, waiting in the queue when there is room in it:
// SERVICE_UNAVAILABLE with Retry-After when the queue is full or ctx ends
// while waiting. Each successful acquire is paired with a release.
func (p *hashPool) acquire(ctx context.Context) error {
	select {
	case p.slots <- struct{}{}:
		return nil
	default:
	}
	if p.waiting.Add(1) > p.queue {
		p.waiting.Add(-1)
		return p.busy(errHashQueueFull)
	}
	defer p.waiting.Add(-1)
	select {
	case p.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return p.busy(ctx.Err())
	}
}

// reclaim makes room for a hash of mem bytes under the process's memory
// limit (GOMEMLIMIT or debug.SetMemoryLimit): when the memory in use
// (mapped by the Go runtime, minus what it holds free or has returned)
// plus mem would exceed 80% of it, the garbage of finished hashes is
// collected first, so that the hash reuses their memory instead of adding
// to it. The runtime would start that collection itself, but only once the
// new allocation had pushed the heap over the limit; and above about 95%
// of the limit it returns free memory to the OS, which the next hash then
// faults back in (hundreds of page faults per login). Without a limit,
// nothing is done: then the heap may hold, between collections, as much
// garbage of finished hashes as there are hashes running (GOGC=100).
func (p *hashPool) reclaim(mem uint64) {
	limit := debug.SetMemoryLimit(-1)
	if limit == math.MaxInt64 {
		return
	}
	over := func() bool {
		s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"},
			{Name: "/memory/classes/heap/free:bytes"}}
		metrics.Read(s)
		used := s[0].Value.Uint64() - s[1].Value.Uint64() - s[2].Value.Uint64()
		return used+mem > uint64(limit)/5*4
	}
	if !over() {
		return
	}
	p.gcMu.Lock()
	defer p.gcMu.Unlock()
	if over() { // a collection another worker waited for may have made room
		runtime.GC()
	}
}

// release frees the worker taken by acquire.
func (p *hashPool) release() { <-p.slots }

// full reports whether acquire, called now, would be refused at once:
// every worker busy and the queue full. Nothing is reserved.
func (p *hashPool) full() bool {
	return len(p.slots) == cap(p.slots) && p.waiting.Load() >= p.queue
}

var errHashQueueFull = errors.New("password hashing queue is full")

// busy is the refusal of a request the pool cannot take.
func (p *hashPool) busy(cause error) error {
	e := WrapError(CodeServiceUnavailable, "Too many concurrent logins; retry shortly", cause)
	e.RetryAfter = p.retryAfter
	return e
}

// Hash implements PasswordHasher.
func (h *Argon2id) Hash(ctx context.Context, password string) (string, error) {
	if err := h.pool.acquire(ctx); err != nil {
		return "", err
	}
	defer h.pool.release()
	p := h.params
	h.pool.reclaim(uint64(p.Memory) << 10)
	salt := randx.Bytes(p.SaltLen)
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return encodePHC(phcHash{memory: p.Memory, time: p.Time, threads: p.Threads, salt: salt, key: key}), nil
}

// refusesNow is the refusal a hash asked for now would get, without
// reserving anything: SERVICE_UNAVAILABLE when the pool is full, else nil.
func (h *Argon2id) refusesNow() error {
	if h.pool.full() {
		return h.pool.busy(errHashQueueFull)
	}
	return nil
}

// Verify implements PasswordHasher.
func (h *Argon2id) Verify(ctx context.Context, password, encoded string) (bool, bool, error) {
	ph, err := parsePHC(encoded)
	if err != nil {
		return false, false, WrapError(CodeInternalServerError, "", err)
	}
	if err := h.pool.acquire(ctx); err != nil {
		return false, false, err
	}
	defer h.pool.release()
	h.pool.reclaim(uint64(ph.memory) << 10)
	key := argon2.IDKey([]byte(password), ph.salt, ph.time, ph.memory, ph.threads, uint32(len(ph.key)))
	ok := subtle.ConstantTimeCompare(key, ph.key) == 1
	p := h.params
	rehash := ph.memory < p.Memory || ph.time < p.Time || len(ph.key) < int(p.KeyLen) || len(ph.salt) < p.SaltLen
	return ok, ok && rehash, nil
}

type phcHash struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

func encodePHC(p phcHash) string {
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memory, p.time, p.threads,
		b64.EncodeToString(p.salt), b64.EncodeToString(p.key))
}

// parsePHC parses an argon2id PHC string, refusing values that would make
// verification unreasonably expensive.
func parsePHC(s string) (phcHash, error) {
	var p phcHash
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, errors.New("password hash: not an argon2id PHC string")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, errors.New("password hash: unsupported argon2 version")
	}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return p, errors.New("password hash: bad parameter")
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return p, errors.New("password hash: bad parameter value")
		}
		switch k {
		case "m":
			p.memory = uint32(n)
		case "t":
			p.time = uint32(n)
		case "p":
			if n > 255 {
				return p, errors.New("password hash: bad parallelism")
			}
			p.threads = uint8(n)
		default:
			return p, errors.New("password hash: unknown parameter")
		}
	}
	if p.memory < 8*uint32(p.threads) || p.memory > 4<<20 || p.time < 1 || p.time > 64 || p.threads < 1 {
		return p, errors.New("password hash: parameters out of range")
	}
	var err error
	if p.salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(p.salt) < 8 || len(p.salt) > 64 {
		return p, errors.New("password hash: bad salt")
	}
	if p.key, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(p.key) < 16 || len(p.key) > 128 {
		return p, errors.New("password hash: bad key")
	}
	return p, nil
}

// nfkcHasher normalises passwords to NFKC before the configured hasher sees
// them, so that a password typed in another Unicode form (NFD, as some
// keyboards and platforms send it, or compatibility characters such as
// full-width letters) matches. A hash made before normalisation, from the
// raw input, still verifies: when the NFKC form fails and differs from the
// input, the raw input is tried, and a match asks for a rehash (which then
// stores the NFKC form). Unknown accounts are checked against a dummy hash
// through the same path, so the second attempt reveals nothing.
type nfkcHasher struct{ inner PasswordHasher }

// Hash implements PasswordHasher.
func (h nfkcHasher) Hash(ctx context.Context, password string) (string, error) {
	return h.inner.Hash(ctx, norm.NFKC.String(password))
}

// refusesNow asks the configured hasher, when it is a bounded pool (see
// Argon2id.refusesNow), whether it would refuse a hash now; nil otherwise.
func (h nfkcHasher) refusesNow() error {
	if p, ok := h.inner.(interface{ refusesNow() error }); ok {
		return p.refusesNow()
	}
	return nil
}

// Verify implements PasswordHasher.
func (h nfkcHasher) Verify(ctx context.Context, password, encoded string) (bool, bool, error) {
	n := norm.NFKC.String(password)
	ok, rehash, err := h.inner.Verify(ctx, n, encoded)
	if err != nil || ok || n == password {
		return ok, rehash, err
	}
	ok, _, err = h.inner.Verify(ctx, password, encoded)
	return ok, ok, err
}

// PasswordPolicy is the rule for new passwords (registration, change,
// reset). There are no composition rules (NIST SP 800-63B §3.1.1.2).
type PasswordPolicy struct {
	MinLength int // code points; default 8
	MaxLength int // code points; default 256
	// ContextWords are words a password may not contain, compared after
	// NFKC and lower-casing (words shorter than 4 characters are ignored).
	// New adds Config.ProductName. The account's email and the name part
	// of its address are always refused.
	ContextWords []string
	// Check may refuse a password that meets the other rules (e.g. a
	// breached-password lookup such as a k-anonymity query). It receives the
	// NFKC form. Its error's message is shown when it is an *Error.
	Check func(ctx context.Context, password string, u User) error
}

// minContextWord is the shortest context word (or email name part) that a
// password may not contain; shorter ones would refuse too much.
const minContextWord = 4

// Validate applies the policy to a new password for u, on its NFKC form:
// valid UTF-8, length in code points, not only spaces or one repeated
// character, not the account's email nor containing the name part of its
// address or a context word, not on the embedded list of the 100,000 most
// common passwords, then Check. WEAK_PASSWORD with the reason otherwise.
func (p PasswordPolicy) Validate(ctx context.Context, password string, u User) error {
	if !utf8.ValidString(password) {
		return NewError(CodeWeakPassword, "Password must be valid UTF-8")
	}
	password = norm.NFKC.String(password)
	n := utf8.RuneCountInString(password)
	switch {
	case n < p.MinLength:
		return NewError(CodeWeakPassword, fmt.Sprintf("Password must be at least %d characters", p.MinLength))
	case n > p.MaxLength:
		return NewError(CodeWeakPassword, fmt.Sprintf("Password must be at most %d characters", p.MaxLength))
	case strings.TrimSpace(password) == "":
		return NewError(CodeWeakPassword, "Password must not be only spaces")
	case n > 1 && strings.Count(password, password[:utf8RuneLen(password)]) == n:
		return NewError(CodeWeakPassword, "Password must not be one character repeated")
	}
	folded := foldPassword(password)
	if email := foldPassword(u.Email); email != "" {
		if folded == email || strings.Contains(folded, email) {
			return NewError(CodeWeakPassword, "Password must not contain your email address")
		}
		local, _, _ := strings.Cut(email, "@")
		local, _, _ = strings.Cut(local, "+") // sub-addressing: "ann+news" is "ann"
		for _, w := range []string{local, alphanumeric(local)} {
			if utf8.RuneCountInString(w) >= minContextWord && strings.Contains(folded, w) {
				return NewError(CodeWeakPassword, "Password must not contain the name part of your email address")
			}
		}
	}
	for _, w := range p.ContextWords {
		if w = foldPassword(strings.TrimSpace(w)); utf8.RuneCountInString(w) >= minContextWord && strings.Contains(folded, w) {
			return NewError(CodeWeakPassword, fmt.Sprintf("Password must not contain %q", w))
		}
	}
	if pwlist.Contains(folded) {
		return NewError(CodeWeakPassword, "Password is too common: it is on a list of frequently used passwords")
	}
	if p.Check != nil {
		if err := p.Check(ctx, password, u); err != nil {
			var e *Error
			if errors.As(err, &e) {
				return e
			}
			return WrapError(CodeWeakPassword, "Password is not allowed; choose another", err)
		}
	}
	return nil
}

// foldPassword is the form passwords are compared in with context words
// and the common-password list: NFKC, then lower case.
func foldPassword(p string) string { return strings.ToLower(norm.NFKC.String(p)) }

// utf8RuneLen is the byte length of the first rune of s.
func utf8RuneLen(s string) int {
	_, n := utf8.DecodeRuneInString(s)
	return n
}

// alphanumeric keeps the letters and digits of s ("ann.lee" -> "annlee").
func alphanumeric(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}
