package authos

import (
	"context"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestMemoryRateLimiterGCRA(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	rl := newMemoryRateLimiter(func() time.Time { return now })
	l := Limit{Rate: 5, Period: time.Minute, Burst: 5} // one per 12 s, 5 at once
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		d, _ := rl.Allow(ctx, "k", l)
		if !d.Allowed {
			t.Fatalf("event %d refused", i+1)
		}
	}
	d, _ := rl.Allow(ctx, "k", l)
	if d.Allowed || d.RetryAfter != 12*time.Second {
		t.Fatalf("6th event = %+v; want refused with RetryAfter 12s", d)
	}
	if d, _ := rl.Allow(ctx, "other", l); !d.Allowed {
		t.Error("another key was limited")
	}
	now = now.Add(12 * time.Second)
	if d, _ := rl.Allow(ctx, "k", l); !d.Allowed {
		t.Error("event after RetryAfter refused")
	}
	if d, _ := rl.Allow(ctx, "k", l); d.Allowed {
		t.Error("second event after one interval allowed")
	}
}

func TestClientIPTrustsOnlyConfiguredProxies(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	cases := []struct {
		remote, xff, want string
	}{
		{"203.0.113.9:5555", "1.2.3.4", "203.0.113.9"},             // untrusted peer: header ignored
		{"10.0.0.2:5555", "1.2.3.4", "1.2.3.4"},                    // trusted proxy
		{"10.0.0.2:5555", "6.6.6.6, 1.2.3.4, 10.0.0.7", "1.2.3.4"}, // right-most untrusted hop
		{"10.0.0.2:5555", "", "10.0.0.2"},                          //
		{"10.0.0.2:5555", "garbage", "10.0.0.2"},                   //
		{"[::ffff:10.0.0.2]:1", "2001:db8::1", "2001:db8::1"},      //
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := clientIP(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), trusted); got != c.want {
			t.Errorf("clientIP(%s, XFF %q) = %s; want %s", c.remote, c.xff, got, c.want)
		}
	}
}
