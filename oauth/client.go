package oauth

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"golang.org/x/oauth2"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/authos/authos/internal/outbound"
)

// errTooLarge is a provider response over Config.MaxResponseBytes.
var errTooLarge = errors.New("oauth: provider response too large")

// capClient is the one HTTP client of every outbound call: connections
// through the address guard, no redirects followed, a timeout on each
// exchange and a cap on each response body.
type capClient struct {
	*http.Client
}

func newCapClient(g *outbound.Guard, timeout time.Duration, maxBytes int64) *capClient {
	c := g.Client(timeout)
	c.Transport = capTransport{next: c.Transport, max: maxBytes}
	return &capClient{Client: c}
}

// capTransport fails the reading of a body longer than max.
type capTransport struct {
	next http.RoundTripper
	max  int64
}

func (t capTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := t.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	res.Body = &capBody{rc: res.Body, left: t.max}
	return res, nil
}

type capBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *capBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly max from a longer one.
		var one [1]byte
		if n, _ := b.rc.Read(one[:]); n > 0 {
			return 0, errTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *capBody) Close() error { return b.rc.Close() }

// ctx makes x/oauth2 and go-oidc use the client.
func (s *Service) ctx(ctx context.Context) context.Context {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, s.client.Client)
	return oidc.ClientContext(ctx, s.client.Client)
}
