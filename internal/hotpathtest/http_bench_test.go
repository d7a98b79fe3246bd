package hotpathtest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
)

// getOnce sends req with c and returns the answer's body, failing unless
// the status is 200. The body is read to the end so that the connection
// is reused.
func getOnce(b *testing.B, c *http.Client, req *http.Request) []byte {
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close() // read to the end above
	if err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	return body
}

// serveGet starts srv's handler h behind httptest.NewServer and returns its
// client and a GET /api/user request carrying token.
func serveGet(b *testing.B, h http.Handler, token string) (*http.Client, *http.Request) {
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	req, err := http.NewRequest("GET", srv.URL+"/api/user", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return srv.Client(), req
}

// BenchmarkGetUserHTTP is GET /api/user with a token the verified-token
// cache already holds, through httptest.NewServer and an http.Client that
// keeps its connection alive, on a SQLite file store: the request and
// answer over loopback, routing, the cached token verification, the
// profile read and its JSON. BenchmarkBareHandlerHTTP is the same exchange
// with a handler that only writes a profile of the same shape.
func BenchmarkGetUserHTTP(b *testing.B) {
	st, _ := benchBackend(b, "sqlite")
	inst := authostest.New(b, func(c *authos.Config) { c.Store = st })
	token := authostest.Token(b, inst, "bench@example.test")
	c, req := serveGet(b, inst.Handler(), token)
	getOnce(b, c, req) // the token enters the cache
	b.ReportAllocs()
	for b.Loop() {
		getOnce(b, c, req)
	}
}

// BenchmarkBareHandlerHTTP is the primitive of BenchmarkGetUserHTTP: a
// handler that encodes a Profile like the one GET /api/user answers, with
// the same server, client and request.
func BenchmarkBareHandlerHTTP(b *testing.B) {
	inst := authostest.New(b)
	token := authostest.Token(b, inst, "bench@example.test")
	u, err := inst.Store().GetUserByEmail(context.Background(), "bench@example.test")
	if err != nil {
		b.Fatal(err)
	}
	prof, err := inst.GetProfile(context.Background(), u.ID)
	if err != nil {
		b.Fatal(err)
	}
	c, req := serveGet(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(prof) // a failed write means the client left
	}), token)
	getOnce(b, c, req)
	b.ReportAllocs()
	for b.Loop() {
		getOnce(b, c, req)
	}
}
