package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authos/authos/internal/oapitest"
)

// The operations openapi.yaml marks "x-served-by: examples/server" are
// served by this server (the library's own routes are checked by the root
// package's openapi_test.go).
func TestDocumentedExampleServerRoutesAreServed(t *testing.T) {
	s := mustSetup(t, map[string]string{envDatabaseURL: "memory:"})
	n := 0
	for path, item := range oapitest.Document(t).Paths.Map() {
		for method, op := range item.Operations() {
			if op.Extensions["x-served-by"] != "examples/server" {
				continue
			}
			n++
			req := httptest.NewRequest(method, defaultBaseURL+path, strings.NewReader(""))
			req.Header.Set("Sec-Fetch-Site", "same-origin")
			rec := httptest.NewRecorder()
			s.handler.ServeHTTP(rec, req)
			if rec.Code == http.StatusNotFound || rec.Code == http.StatusMethodNotAllowed {
				t.Errorf("%s %s is documented as served by the example server; it answers %d", method, path, rec.Code)
			}
		}
	}
	if n == 0 {
		t.Fatal("openapi.yaml marks no operation x-served-by: examples/server")
	}
}
