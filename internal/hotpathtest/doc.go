// Package hotpathtest measures the SQL of the hot paths of the root package
// on SQLite and PostgreSQL: BenchmarkRefresh (Authos.Refresh end to end)
// against BenchmarkRawRotationTx (one plain transaction inserting a row and
// updating another on the same database handle), and tests that bound the
// statements a refresh and GET /api/user run. It has tests only; they live
// outside the root so that a host module importing the root does not list
// the SQL drivers in its go.sum.
package hotpathtest
