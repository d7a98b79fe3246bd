// Package storetest is the conformance suite for store.Storage backends.
//
// Every backend (store/memory, store/sqlite, store/postgres) runs it from its
// own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Storage { return memory.New() })
//	}
//
// The suite checks the documented contract of package store only: sentinel
// errors, case-insensitive emails, single-use tokens, refresh-token rotation
// with reuse detection, atomic counters, outbox leases, transactions and copy
// safety. All times it uses are whole milliseconds, so backends that keep
// millisecond precision pass.
//
// The sections of the core run on every backend. Each capability (see
// package store) has a section of its own that runs when the backend offers
// the capability and is skipped, with a message, when it does not; such a
// section also checks that the backend's transactions offer the capability.
package storetest
