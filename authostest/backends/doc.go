// Package backends opens fresh stores on every built-in backend (memory,
// SQLite and, when AUTHOS_TEST_POSTGRES_URL is set, PostgreSQL) for tests
// that must hold on each of them. It is apart from package authostest
// because it links the SQLite and PostgreSQL drivers: a host that imports
// only authostest does not depend on them. For tests only.
package backends
