package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authos/authos/internal/oapitest"
)

// The operations openapi.yaml marks "x-served-by: examples/server" (the
// health probes, library handlers that a host mounts where it likes) are
// served by this server, and their answers match the document (the
// library's own routes are checked by the root package's openapi_test.go).
func TestDocumentedExampleServerRoutesAreServed(t *testing.T) {
	s := mustSetup(t, map[string]string{envDatabaseURL: "memory:"})
	h := oapitest.Handler(t, s.handler)
	n := 0
	for path, item := range oapitest.Document(t).Paths.Map() {
		for method, op := range item.Operations() {
			if op.Extensions["x-served-by"] != "examples/server" {
				continue
			}
			n++
			req := httptest.NewRequest(method, defaultBaseURL+path, strings.NewReader(""))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Errorf("%s %s is documented as served by the example server; it answers %d %s", method, path, rec.Code, rec.Body)
			}
		}
	}
	if n == 0 {
		t.Fatal("openapi.yaml marks no operation x-served-by: examples/server")
	}
}
