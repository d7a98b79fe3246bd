// Package fasthash is the deliberately weak password hash of the tests: a
// salted SHA-256 with its own PHC-like identifier, which the production
// hasher (Argon2id) refuses. authostest.FastHasher exposes it to hosts'
// tests; the root package's own tests use it directly, since they cannot
// import authostest.
package fasthash
