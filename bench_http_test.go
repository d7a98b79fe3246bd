package authos

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/authos/authos/store/sqlite"
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

// BenchmarkGetUserHTTP is GET /api/user with a token the verified-token
// cache already holds, through httptest.NewServer and an http.Client that
// keeps its connection alive, on a SQLite file store: the request and
// answer over loopback, routing, the cached token verification, the
// profile read and its JSON. BenchmarkBareHandlerHTTP is the same exchange
// with a handler that only writes a profile of the same shape.
func BenchmarkGetUserHTTP(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "authos.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	a, _ := newTestAuthos(b, func(c *Config) { c.Store = st })
	u := verifiedUser(b, a, "bench@example.test", "correct horse battery")
	tr, err := a.CompleteLogin(ctx, u, LoginContext{Method: AMRPassword})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(a.Handler())
	b.Cleanup(srv.Close)
	c := srv.Client()
	req, err := http.NewRequest("GET", srv.URL+"/api/user", nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tr.AccessToken)
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
	a, _ := newTestAuthos(b, nil)
	u := verifiedUser(b, a, "bench@example.test", "correct horse battery")
	prof, err := a.GetProfile(context.Background(), u.ID)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(prof) // a failed write means the client left
	}))
	b.Cleanup(srv.Close)
	c := srv.Client()
	req, err := http.NewRequest("GET", srv.URL+"/api/user", nil)
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := testToken(b, a, "") // a header of the same size, unread
	req.Header.Set("Authorization", "Bearer "+raw)
	getOnce(b, c, req)
	b.ReportAllocs()
	for b.Loop() {
		getOnce(b, c, req)
	}
}
