package outbound

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"
)

// stubResolver answers from a table; a name with several entries answers
// them in turn, one per lookup (the last repeats).
type stubResolver struct {
	mu      sync.Mutex
	answers map[string][][]string
	calls   map[string]int
}

func (r *stubResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	seq, ok := r.answers[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	if r.calls == nil {
		r.calls = map[string]int{}
	}
	i := min(r.calls[host], len(seq)-1)
	r.calls[host]++
	var out []netip.Addr
	for _, s := range seq[i] {
		out = append(out, netip.MustParseAddr(s))
	}
	return out, nil
}

// stubDialer never touches the network: it records each address dialled
// and answers every request on an in-memory pipe with the response that
// respond writes.
type stubDialer struct {
	mu      sync.Mutex
	dialled []string
	respond func(req *http.Request) string
}

func (d *stubDialer) Dial(_ context.Context, _, address string) (net.Conn, error) {
	d.mu.Lock()
	d.dialled = append(d.dialled, address)
	d.mu.Unlock()
	client, server := net.Pipe()
	go func() {
		defer func() { _ = server.Close() }()
		br := bufio.NewReader(server)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, req.Body)
			resp := "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"
			if d.respond != nil {
				resp = d.respond(req)
			}
			if _, err := io.WriteString(server, resp); err != nil {
				return
			}
		}
	}()
	return client, nil
}

func (d *stubDialer) addrs() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.dialled...)
}

func newStubs() (*stubResolver, *stubDialer) {
	return &stubResolver{answers: map[string][][]string{
		"public.example":   {{"93.184.216.34"}},
		"intranet.example": {{"10.0.0.1"}},
		"metadata.example": {{"169.254.169.254"}},
		"ula.example":      {{"fd00::1"}},
		"cgnat.example":    {{"100.64.1.1"}},
		"mapped.example":   {{"::ffff:10.0.0.1"}},
		"mcast.example":    {{"224.0.0.1"}},
		"loop.example":     {{"127.0.0.1", "::1"}},
		"mixed.example":    {{"10.0.0.1", "93.184.216.34"}},
		"rebind.example":   {{"93.184.216.34"}, {"10.0.0.5"}},
	}}, &stubDialer{}
}

// blockedTargets are the hosts the guard must refuse (as "host:port").
var blockedTargets = []string{
	"localhost:80", "LOCALHOST.:80", "api.localhost:80",
	"127.1:80", "127.0.0.1:80", "2130706433:80", "0x7f.0.0.1:80", "0177.0.0.1:80",
	"[::1]:80", "0.0.0.0:80", "0:80", "[::]:80",
	"[::ffff:127.0.0.1]:80", "[::ffff:169.254.169.254]:80", "[::ffff:10.0.0.1]:443",
	"169.254.169.254:80", "[fd00:ec2::254]:80", "[fe80::1%25eth0]:80", "[fe80::1]:80",
	"100.64.0.1:80", "100.100.100.200:80", "168.63.129.16:80", "192.168.1.1:80", "172.16.0.1:80",
	"224.0.0.1:80", "255.255.255.255:80", "[ff02::1]:80", "[64:ff9b::7f00:1]:80", "[2002:7f00:1::]:80",
	"intranet.example:443", "metadata.example:80", "ula.example:443", "cgnat.example:80",
	"mapped.example:80", "mcast.example:80", "loop.example:80",
}

func TestDialRefusesNonPublicAddresses(t *testing.T) {
	res, dial := newStubs()
	g := &Guard{Resolver: res, Dial: dial.Dial}
	for _, target := range blockedTargets {
		target = strings.Replace(target, "%25", "%", 1)
		conn, err := g.DialContext(context.Background(), "tcp", target)
		if conn != nil {
			_ = conn.Close()
		}
		var be *BlockedError
		if !errors.Is(err, ErrBlocked) || !errors.As(err, &be) || be.Reason == "" {
			t.Errorf("dial %s: %v; want a refusal", target, err)
		}
	}
	if got := dial.addrs(); len(got) != 0 {
		t.Fatalf("the dialer was called for refused targets: %q", got)
	}
	if _, err := g.DialContext(context.Background(), "udp", "93.184.216.34:53"); err == nil || errors.Is(err, ErrBlocked) {
		t.Errorf("udp: %v; want an error other than a refused address", err)
	}
}

func TestDialConnectsToTheCheckedAddress(t *testing.T) {
	res, dial := newStubs()
	g := &Guard{Resolver: res, Dial: dial.Dial}
	ctx := context.Background()
	for _, target := range []string{"public.example:443", "mixed.example:443", "93.184.216.34:80", "[::ffff:93.184.216.34]:80", "[2606:2800:220:1::1]:443"} {
		conn, err := g.DialContext(ctx, "tcp", target)
		if err != nil {
			t.Fatalf("dial %s: %v", target, err)
		}
		_ = conn.Close()
	}
	want := []string{"93.184.216.34:443", "93.184.216.34:443", "93.184.216.34:80", "93.184.216.34:80", "[2606:2800:220:1::1]:443"}
	if got := dial.addrs(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("dialled %q; want %q (the mixed name's private address never)", got, want)
	}

	// DNS rebinding: public on the first lookup, private on the second.
	conn, err := g.DialContext(ctx, "tcp", "rebind.example:443")
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.Close()
	if _, err := g.DialContext(ctx, "tcp", "rebind.example:443"); !errors.Is(err, ErrBlocked) {
		t.Fatalf("rebound name: %v; want a refusal", err)
	}
	if got := dial.addrs(); len(got) != 6 || got[5] != "93.184.216.34:443" {
		t.Fatalf("dialled %q after the rebinding", got)
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	res, dial := newStubs()
	var location string
	dial.respond = func(*http.Request) string {
		return "HTTP/1.1 302 Found\r\nLocation: " + location + "\r\nContent-Length: 0\r\n\r\n"
	}
	g := &Guard{Resolver: res, Dial: dial.Dial}
	c := g.Client(5 * time.Second)
	for _, to := range []string{"http://localhost/", "http://127.1/", "http://[::1]/", "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/",
		"http://intranet.example/", "http://metadata.example/latest/meta-data/", "http://ula.example/", "http://169.254.169.254/"} {
		location = to
		before := len(dial.addrs())
		resp, err := c.Post("http://public.example/hook", "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatalf("redirect to %s: %v", to, err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != to {
			t.Errorf("redirect to %s: got %d; want the 302 itself", to, resp.StatusCode)
		}
		for _, a := range dial.addrs()[before:] {
			if a != "93.184.216.34:80" {
				t.Errorf("redirect to %s: dialled %s", to, a)
			}
		}
		// A client that followed it would be refused at dial time.
		resp, err = c.Get(to)
		if err == nil {
			_ = resp.Body.Close()
		}
		if !errors.Is(err, ErrBlocked) {
			t.Errorf("GET %s: %v; want a refusal", to, err)
		}
	}
	for _, a := range dial.addrs() {
		if a != "93.184.216.34:80" {
			t.Fatalf("dialled %s", a)
		}
	}
}

func TestAllowPrivate(t *testing.T) {
	res, dial := newStubs()
	g := &Guard{AllowPrivate: true, Resolver: res, Dial: dial.Dial}
	for _, target := range []string{"localhost:8080", "127.0.0.1:8080", "[::1]:8080", "intranet.example:80", "cgnat.example:80", "ula.example:80"} {
		if target == "localhost:8080" {
			res.answers["localhost"] = [][]string{{"127.0.0.1"}}
		}
		conn, err := g.DialContext(context.Background(), "tcp", target)
		if err != nil {
			t.Errorf("dial %s with private targets allowed: %v", target, err)
			continue
		}
		_ = conn.Close()
	}
	for _, target := range []string{"169.254.169.254:80", "[::ffff:169.254.169.254]:80", "metadata.example:80", "[fd00:ec2::254]:80",
		"0.0.0.0:80", "224.0.0.1:80", "255.255.255.255:80"} {
		if _, err := g.DialContext(context.Background(), "tcp", target); !errors.Is(err, ErrBlocked) {
			t.Errorf("dial %s with private targets allowed: %v; want a refusal", target, err)
		}
	}
	if n := len(dial.addrs()); n != 6 {
		t.Fatalf("dialled %q", dial.addrs())
	}
}

func TestCheckURL(t *testing.T) {
	strict, loose := &Guard{}, &Guard{AllowPrivate: true}
	for _, c := range []struct {
		url           string
		strict, loose bool // accepted
	}{
		{"https://hooks.example.com/authos", true, true},
		{"http://hooks.example.com:8080/x?y=1", true, true},
		{"https://93.184.216.34/", true, true},
		{"ftp://hooks.example.com/", false, false},
		{"https:///nohost", false, false},
		{"https://user:pw@hooks.example.com/", false, false},
		{"https://hooks.example.com/#frag", false, false},
		{"https://hooks.example.com:0/", false, false},
		{"https://hooks.example.com:99999/", false, false},
		{"/relative", false, false},
		{"http://localhost:3000/", false, true},
		{"http://127.1/", false, true},
		{"http://[::1]/", false, true},
		{"http://[::ffff:127.0.0.1]/", false, true},
		{"http://10.0.0.1/", false, true},
		{"http://0.0.0.0/", false, false},
		{"http://169.254.169.254/latest/", false, false},
		{"http://[::ffff:a9fe:a9fe]/", false, false},
	} {
		if err := strict.CheckURL(c.url); (err == nil) != c.strict {
			t.Errorf("CheckURL(%q) = %v; accepted want %v", c.url, err, c.strict)
		}
		if err := loose.CheckURL(c.url); (err == nil) != c.loose {
			t.Errorf("CheckURL(%q) with private targets allowed = %v; accepted want %v", c.url, err, c.loose)
		}
	}
}

func TestParseLegacyIPv4(t *testing.T) {
	for in, want := range map[string]string{
		"127.1": "127.0.0.1", "127.0.1": "127.0.0.1", "2130706433": "127.0.0.1", "0x7f000001": "127.0.0.1",
		"0x7F.1": "127.0.0.1", "0177.0.0.01": "127.0.0.1", "0": "0.0.0.0", "10.0.0.1": "10.0.0.1",
		"169.254.43518": "169.254.169.254", "255.255.255.255": "255.255.255.255", "1.2.3.4": "1.2.3.4",
	} {
		ip, ok := ParseLegacyIPv4(in)
		if !ok || ip.String() != want {
			t.Errorf("ParseLegacyIPv4(%q) = %v, %v; want %s", in, ip, ok, want)
		}
	}
	for _, in := range []string{"", ".", "1.", ".1", "1..2", "1.2.3.4.5", "256.1", "1.256.1", "1.2.65536", "4294967296", "0x", "08", "09.1",
		"0xg", "cafe.be", "example.com", "1.2.3.-4", "+1", "1 .2", "0x1.0x2.0x3.0x100"} {
		if ip, ok := ParseLegacyIPv4(in); ok {
			t.Errorf("ParseLegacyIPv4(%q) = %v; want refusal", in, ip)
		}
	}
}
