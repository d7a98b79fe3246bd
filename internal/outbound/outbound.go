package outbound

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ErrBlocked matches (errors.Is) every refusal of the guard.
var ErrBlocked = errors.New("outbound: address not allowed")

// BlockedError is a refused destination: the host as given and the address
// it named or resolved to.
type BlockedError struct {
	Host   string
	Addr   netip.Addr // invalid when no address was reached (for example "localhost")
	Reason string     // "loopback", "private", "link-local", "cloud metadata", ...
}

func (e *BlockedError) Error() string {
	if e.Addr.IsValid() && e.Addr.String() != e.Host {
		return "outbound: " + e.Host + " resolves to " + e.Addr.String() + ", a " + e.Reason + " address, which is not allowed"
	}
	return "outbound: " + e.Host + " is a " + e.Reason + " address, which is not allowed"
}

// Is makes a BlockedError match ErrBlocked.
func (e *BlockedError) Is(target error) bool { return target == ErrBlocked }

// Resolver looks up the addresses of a host name; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// DialFunc opens a connection to address ("ip:port" when the guard calls
// it).
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// Guard decides which addresses outbound requests may reach and dials only
// those. The zero value refuses every non-public address and uses the
// system resolver and a plain net.Dialer. It is safe for concurrent use
// once configured.
type Guard struct {
	// AllowPrivate lets connections reach loopback, private (RFC 1918, IPv6
	// ULA), link-local, CGNAT and other non-public unicast addresses: for
	// development and tests. Unspecified, multicast and broadcast
	// addresses and the cloud metadata endpoints stay refused.
	AllowPrivate bool
	// Resolver resolves host names. Default net.DefaultResolver.
	Resolver Resolver
	// Dial opens the checked connection. Default a net.Dialer with a 10 s
	// timeout.
	Dial DialFunc
}

// metadata lists the cloud metadata and host-agent addresses, refused even
// when private targets are allowed.
var metadata = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
	netip.MustParseAddr("169.254.170.2"),   // AWS ECS task metadata
	netip.MustParseAddr("169.254.169.253"), // AWS DNS resolver
	netip.MustParseAddr("fd00:ec2::254"),   // AWS IMDS over IPv6
	netip.MustParseAddr("fd00:ec2::253"),   // AWS DNS over IPv6
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
	netip.MustParseAddr("168.63.129.16"),   // Azure WireServer
}

// special lists the non-public ranges that the netip predicates do not
// name, with the reason given.
var special = []struct {
	prefix netip.Prefix
	reason string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified"},
	{netip.MustParsePrefix("100.64.0.0/10"), "CGNAT"},
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("198.18.0.0/15"), "reserved"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible"},
	{netip.MustParsePrefix("64:ff9b::/96"), "NAT64"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "NAT64"},
	{netip.MustParsePrefix("100::/64"), "discard"},
	{netip.MustParsePrefix("2001::/23"), "reserved"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("2002::/16"), "6to4"},
	{netip.MustParsePrefix("fec0::/10"), "site-local"},
}

// Check returns why ip may not be reached ("" when it may). IPv4-mapped
// IPv6 addresses are judged as the IPv4 address they carry.
func (g *Guard) Check(ip netip.Addr) string {
	ip = ip.WithZone("").Unmap()
	switch {
	case !ip.IsValid():
		return "invalid"
	case ip.IsUnspecified():
		return "unspecified"
	case ip.IsMulticast():
		return "multicast"
	case ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "broadcast"
	}
	for _, m := range metadata {
		if ip == m {
			return "cloud metadata"
		}
	}
	if g.AllowPrivate {
		return ""
	}
	switch {
	case ip.IsLoopback():
		return "loopback"
	case ip.IsLinkLocalUnicast():
		return "link-local"
	case ip.IsPrivate():
		return "private"
	}
	for _, s := range special {
		if s.prefix.Contains(ip) {
			return s.reason
		}
	}
	if !ip.IsGlobalUnicast() {
		return "non-public"
	}
	return ""
}

// isLocalhost reports whether host is localhost or a name under it (RFC
// 6761 §6.3), which always means this machine.
func isLocalhost(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	return h == "localhost" || strings.HasSuffix(h, ".localhost")
}

// literal returns the address host names without a lookup: an IP literal
// (brackets and zone allowed) or an IPv4 address in one of the legacy forms
// that C resolvers still accept (127.1, 0x7f.0.0.1, 2130706433).
func literal(host string) (netip.Addr, bool) {
	h := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if ip, err := netip.ParseAddr(h); err == nil {
		return ip, true
	}
	return ParseLegacyIPv4(h)
}

// CheckHost refuses a host that is by itself (without a lookup) a
// destination the guard would refuse: localhost and IP literals of refused
// ranges. Use it to validate a URL when it is saved; the dial-time check
// stays the real guard, since a name may resolve anywhere.
func (g *Guard) CheckHost(host string) error {
	if isLocalhost(host) && !g.AllowPrivate {
		return &BlockedError{Host: host, Reason: "loopback"}
	}
	if ip, ok := literal(host); ok {
		if reason := g.Check(ip); reason != "" {
			return &BlockedError{Host: host, Addr: ip.Unmap(), Reason: reason}
		}
	}
	return nil
}

// CheckURL validates an outbound URL when it is saved: absolute http or
// https with a host, no userinfo, no fragment, and a host CheckHost
// accepts.
func (g *Guard) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("outbound: not a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("outbound: the scheme must be http or https")
	case u.Host == "" || u.Hostname() == "":
		return errors.New("outbound: the URL has no host")
	case u.User != nil:
		return errors.New("outbound: the URL may not hold credentials")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return errors.New("outbound: the URL may not hold a fragment")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return errors.New("outbound: invalid port")
		}
	}
	return g.CheckHost(u.Hostname())
}

// DialContext resolves address's host, refuses it when every address it
// names is refused, and dials an allowed address itself (never the name
// again), so the address checked is the address connected to: a name that
// resolves differently the second time (DNS rebinding) gains nothing.
// Only TCP is allowed.
func (g *Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, errors.New("outbound: network " + network + " not allowed")
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	if ip, ok := literal(host); ok {
		addrs = []netip.Addr{ip}
	} else {
		if isLocalhost(host) && !g.AllowPrivate {
			return nil, &BlockedError{Host: host, Reason: "loopback"}
		}
		lookup := "ip"
		switch network {
		case "tcp4":
			lookup = "ip4"
		case "tcp6":
			lookup = "ip6"
		}
		r := g.Resolver
		if r == nil {
			r = net.DefaultResolver
		}
		if addrs, err = r.LookupNetIP(ctx, lookup, host); err != nil {
			return nil, err
		}
		if len(addrs) == 0 {
			return nil, errors.New("outbound: " + host + " has no address")
		}
	}
	var refused error
	dial := g.Dial
	if dial == nil {
		dial = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	var lastErr error
	for _, ip := range addrs {
		if reason := g.Check(ip); reason != "" {
			if refused == nil {
				refused = &BlockedError{Host: host, Addr: ip.WithZone("").Unmap(), Reason: reason}
			}
			continue
		}
		conn, err := dial(ctx, network, net.JoinHostPort(ip.WithZone("").Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	if lastErr != nil {
		return nil, lastErr
	}
	return nil, refused
}

// Client returns an HTTP client whose every connection goes through
// DialContext: no proxy (a proxy would be the only address checked), no
// redirects followed (the 3xx answer is returned as it is), and timeout
// on the whole exchange.
func (g *Guard) Client(timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           g.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16,
	}
	return &http.Client{Transport: tr, Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// ParseLegacyIPv4 parses the IPv4 notations of inet_aton(3) that
// netip.ParseAddr refuses but many resolvers and browsers accept: one to
// four dot-separated parts, each decimal, octal (leading 0) or hexadecimal
// (0x); the last part fills the remaining bytes (127.1 is 127.0.0.1,
// 2130706433 is 127.0.0.1). ok is false for anything else, host names
// included.
func ParseLegacyIPv4(s string) (ip netip.Addr, ok bool) {
	if s == "" || len(s) > 64 {
		return netip.Addr{}, false
	}
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		v, ok := parsePart(p)
		if !ok {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	last := len(vals) - 1
	for _, v := range vals[:last] {
		if v > 0xff {
			return netip.Addr{}, false
		}
	}
	if vals[last] >= 1<<(8*(4-last)) {
		return netip.Addr{}, false
	}
	var n uint32
	for i, v := range vals[:last] {
		n |= uint32(v) << (24 - 8*i)
	}
	n |= uint32(vals[last])
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

// parsePart parses one part of an inet_aton address.
func parsePart(p string) (uint64, bool) {
	base := 10
	digits := p
	switch {
	case len(p) > 2 && (p[:2] == "0x" || p[:2] == "0X"):
		base, digits = 16, p[2:]
	case len(p) > 1 && p[0] == '0':
		base, digits = 8, p[1:]
	}
	if digits == "" || len(digits) > 11 {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		var d uint64
		switch {
		case c >= '0' && c <= '9':
			d = uint64(c - '0')
		case base == 16 && c >= 'a' && c <= 'f':
			d = uint64(c-'a') + 10
		case base == 16 && c >= 'A' && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			return 0, false
		}
		if d >= uint64(base) {
			return 0, false
		}
		v = v*uint64(base) + d
	}
	return v, true
}
