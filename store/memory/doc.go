// Package memory is the in-memory store.Storage backend, for tests and
// single-process experiments. Nothing survives the process.
//
// One mutex guards all state. Each operation called on a *Store locks, works
// and unlocks, so it is atomic on its own. Store.Tx holds the lock for the
// whole transaction, runs fn against a deep clone of the state and swaps the
// clone in only when fn returns nil, so transactions are fully serialized and
// a failed one leaves nothing behind. Every value stored or returned is a copy:
// callers never share a slice with the store.
package memory
