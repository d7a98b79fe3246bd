package oauth

import (
	"context"

	"github.com/authos/authos/internal/outbound"
)

// SetDialer makes s resolve names with r and open connections with d (a
// test's stubs: nothing is dialled for real).
func SetDialer(s *Service, r outbound.Resolver, d outbound.DialFunc) {
	s.guard.Resolver, s.guard.Dial = r, d
}

// ErrTooLarge is the error of a provider response over the cap.
var ErrTooLarge = errTooLarge

// MaxDiscovery is the bound of the discovery cache.
const MaxDiscovery = maxDiscovery

// Discover fetches (or reuses) the discovery document of a generic
// provider at issuer.
func Discover(s *Service, ctx context.Context, issuer string) error {
	_, err := s.oidcProvider(ctx, conn{name: "x", kind: kindOIDC, issuer: issuer})
	return err
}

// DiscoveryLen is how many discovery documents s keeps.
func DiscoveryLen(s *Service) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.discovery)
}

// ConfirmResendAfter is how long a sign-in through an unconfirmed identity
// sends no new confirmation link after the last one.
const ConfirmResendAfter = confirmResendAfter

// ConfirmPurpose is the token purpose of the record of identity id's
// current confirmation link.
func ConfirmPurpose(id string) string { return confirmPurpose(id) }
