// Package hotpathtest measures the hot paths of the root package on real
// stores: BenchmarkRefresh (Authos.Refresh end to end, SQLite and
// PostgreSQL) against BenchmarkRawRotationTx (one plain transaction
// inserting a row and updating another on the same database handle),
// BenchmarkLogin (a password login on SQLite with the default Argon2id)
// against BenchmarkRawArgon2id, and BenchmarkGetUserHTTP (GET /api/user
// with a cached token, over loopback HTTP) against BenchmarkBareHandlerHTTP;
// and tests that bound the statements a refresh and GET /api/user run. It
// has tests only; they live outside the root so that a host module
// importing the root does not list the SQL drivers in its go.sum.
package hotpathtest
