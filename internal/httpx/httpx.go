// Package httpx holds HTTP helpers shared by the root package and the
// feature packages that are no part of the public API.
package httpx

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// MaxBearerBytes caps a bearer token before it is parsed (CVE-2025-30204).
const MaxBearerBytes = 8 << 10

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

// BearerToken extracts the token of an "Authorization: Bearer <token>"
// header. It returns "" when the header is absent, not Bearer, or malformed.
func BearerToken(r *http.Request) string { return ParseBearer(r.Header.Get("Authorization")) }

// ParseBearer returns the token of an Authorization header value of the
// Bearer scheme (RFC 6750 §2.1), or "": another scheme, no token, a token
// with whitespace, or a header longer than MaxBearerBytes plus the scheme.
func ParseBearer(h string) string {
	if len(h) > MaxBearerBytes+16 {
		return ""
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	tok = strings.TrimSpace(tok)
	if tok == "" || strings.ContainsAny(tok, " \t\r\n") {
		return ""
	}
	return tok
}

// AppendQuery returns uri with the parameters q added to its query: after
// "?" when it has none, after "&" when it has one (neither when uri ends
// with the separator already), before any fragment. q is encoded as
// url.Values.Encode does (sorted by key). An empty q leaves uri as it is.
func AppendQuery(uri string, q url.Values) string {
	if len(q) == 0 {
		return uri
	}
	base, frag, hasFrag := strings.Cut(uri, "#")
	switch {
	case !strings.Contains(base, "?"):
		base += "?"
	case !strings.HasSuffix(base, "?") && !strings.HasSuffix(base, "&"):
		base += "&"
	}
	base += q.Encode()
	if hasFrag {
		base += "#" + frag
	}
	return base
}

// Redirect answers 302 Found to to, never cached, with a Location header
// and no body: http.Redirect's handling of to (a path is resolved against
// the request's; non-ASCII is escaped), without the short HTML body it
// writes for GET, which the browser never shows and openapi.yaml does not
// list.
func Redirect(w http.ResponseWriter, r *http.Request, to string) {
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(bodyless{w}, r, to, http.StatusFound)
}

// bodyless passes the status and headers of an answer on, and drops its
// body and the Content-Type that announced it.
type bodyless struct{ http.ResponseWriter }

func (b bodyless) WriteHeader(code int) {
	b.Header().Del("Content-Type")
	b.ResponseWriter.WriteHeader(code)
}

func (bodyless) Write(p []byte) (int, error) { return len(p), nil }
