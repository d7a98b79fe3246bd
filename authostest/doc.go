// Package authostest holds helpers for tests of hosts that embed authos, and
// of authos and the packages built on it. It is for tests only (it imports
// testing); production code never imports it.
//
// A host tests a protected route with an instance on the memory store and
// a signed-in user's token:
//
//	func TestOrders(t *testing.T) {
//		a := authostest.New(t)
//		h := a.RequireAuth(ordersHandler)
//		req := httptest.NewRequest("GET", "/orders", nil)
//		req.Header.Set("Authorization", "Bearer "+authostest.Token(t, a, "alice@example.com"))
//		rec := httptest.NewRecorder()
//		h.ServeHTTP(rec, req)
//		// check rec.Code and rec.Body
//	}
//
// New builds the instance with FastHasher (a cheap hasher that production
// instances refuse) and captures the outbox: Instance.Emails and
// Instance.Events return what it sent, without Run. Token creates a
// verified user when needed and signs them in. A service that only
// verifies tokens tests against NewProvider, an issuer on a local httptest
// server with discovery and JWKS. CoreOnly hides a store's capabilities,
// as a third-party backend without them would; Clock, Keyring and the HTTP
// helpers (NewJSONRequest, Send, CheckEnvelope) round it off.
//
// Fresh stores on the SQLite and PostgreSQL backends are in the subpackage
// authostest/backends, so that a host importing only authostest does not
// depend on their drivers.
package authostest
