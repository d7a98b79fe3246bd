// Package outbound guards the HTTP requests authos makes to addresses that
// tenants or operators supply (webhook endpoints, and later OIDC discovery
// and SAML metadata URLs) against server-side request forgery (OWASP
// Server-Side Request Forgery Prevention; OWASP ASVS 5.0 V1.3.6 and
// V15.3.2): a name is resolved, every address is checked, and only a
// checked address is dialled, so DNS rebinding gains nothing. Loopback,
// private (RFC 1918, RFC 4193), link-local (RFC 3927, RFC 4291), CGNAT (RFC
// 6598), multicast, unspecified, reserved and documentation ranges (RFC
// 6890) and the cloud metadata endpoints are refused, IPv4-mapped IPv6
// addresses judged as the IPv4 address they carry, legacy IPv4 notations
// (127.1) parsed as inet_aton(3) does, and redirects are never followed.
// A host may allow private targets for development and tests.
package outbound
