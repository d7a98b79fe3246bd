// Package httpx holds HTTP helpers shared by the root package and the
// feature packages that are no part of the public API.
package httpx

import (
	"encoding/json"
	"net/http"
)

// WriteJSON writes v as JSON with status, uncached (RFC 6749 §5.1: token
// responses carry Cache-Control: no-store and Pragma: no-cache).
func WriteJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache") // HTTP/1.0 caches
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v) // a write error means the client is gone; the status is already sent
	}
}
