package hotpathtest_test

import (
	"context"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/internal/randx"
)

// newSQLiteAuthos is an instance on a SQLite file store with the default
// password hasher (Argon2id with the default parameters and pool), as the
// example server runs it.
func newSQLiteAuthos(b *testing.B) *authos.Authos {
	b.Helper()
	ctx := context.Background()
	st, _ := benchBackend(b, "sqlite")
	a, err := authos.New(ctx, authos.Config{Store: st, Keyring: authostest.Keyring(b), BaseURL: "https://id.example.test"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := a.ProcessOutbox(ctx); err != nil { // this process delivers its outbox itself
		b.Fatal(err)
	}
	return a
}

// BenchmarkLogin is a password login end to end (lockout counters, user
// and password reads, one Argon2id verification with the default
// parameters, session and refresh token stored, access token signed) for a
// verified user on a SQLite file store; BenchmarkRawArgon2id is the hash
// alone. Both run serially, one operation at a time.
func BenchmarkLogin(b *testing.B) {
	a := newSQLiteAuthos(b)
	ctx := context.Background()
	const email, password = "ann@example.test", "a long benchmark password"
	authostest.Token(b, a, email, authostest.Password(password))
	in := authos.LoginInput{Email: email, Password: password, ClientIP: "192.0.2.1"}
	if _, err := a.Login(ctx, in); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := a.Login(ctx, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawArgon2id is one argon2.IDKey with the default parameters of
// authos.NewArgon2id (m=19456 KiB, t=2, p=1, 16-byte salt, 32-byte key),
// the primitive BenchmarkLogin is measured against.
func BenchmarkRawArgon2id(b *testing.B) {
	pw, salt := []byte("a long benchmark password"), randx.Bytes(16)
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		argon2.IDKey(pw, salt, 2, 19456, 1, 32)
	}
}

// reportCPU, deferred before the benchmark loop, reports the process's CPU
// time per operation as cpu-ns/op: unlike ns/op, it does not grow when
// other processes compete for the cores, so a ratio of two benchmarks
// stays meaningful on a loaded machine (bench/ratios shows both).
func reportCPU(b *testing.B) func() {
	start, ok := processCPU()
	return func() {
		end, ok2 := processCPU()
		if ok && ok2 && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
	}
}
