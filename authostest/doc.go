// Package authostest holds helpers for tests of authos and of the packages
// built on it: fresh stores on every backend, a settable clock and a
// keyring. It is for tests only (it imports testing); production code never
// imports it.
package authostest
