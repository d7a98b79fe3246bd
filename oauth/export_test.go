package oauth

import "github.com/authos/authos/internal/outbound"

// SetDialer makes s resolve names with r and open connections with d (a
// test's stubs: nothing is dialled for real).
func SetDialer(s *Service, r outbound.Resolver, d outbound.DialFunc) {
	s.guard.Resolver, s.guard.Dial = r, d
}

// ErrTooLarge is the error of a provider response over the cap.
var ErrTooLarge = errTooLarge
