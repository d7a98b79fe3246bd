package authos

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/authos/authos/internal/i18n"
)

// ErrorCode is a machine-readable error code of the catalog. Its value is the
// wire string sent as error_code. ErrorCode implements error, so
// errors.Is(err, CodeTokenExpired) reports whether err carries that code.
type ErrorCode string

// Codes the project adds to the catalog.
const (
	// CodeServiceUnavailable: maintenance or overload; retry after Retry-After (HTTP 503).
	CodeServiceUnavailable ErrorCode = "SERVICE_UNAVAILABLE"
	// CodeMethodNotAllowed: the route exists but not for this method (HTTP 405).
	CodeMethodNotAllowed ErrorCode = "METHOD_NOT_ALLOWED"
	// CodeSessionRevoked: the token's session was revoked (logout, reuse of a
	// rotated refresh token, password reset) (HTTP 401).
	CodeSessionRevoked ErrorCode = "SESSION_REVOKED"
	// CodePayloadTooLarge: the request body exceeds the size limit (HTTP 413).
	CodePayloadTooLarge ErrorCode = "PAYLOAD_TOO_LARGE"
	// CodeInvalidToken: an emailed verification or reset token is unknown,
	// expired or already used (HTTP 400).
	CodeInvalidToken ErrorCode = "INVALID_TOKEN"
	// CodePreconditionFailed: the resource changed since the version the
	// request's If-Match names (HTTP 412; SCIM ETags).
	CodePreconditionFailed ErrorCode = "PRECONDITION_FAILED"
)

type catalogEntry struct {
	status      int
	group       string
	description string
	resolution  string
}

func init() {
	// Project codes are part of the same table; see projectCodes.
	maps.Copy(catalog, projectCatalog)
}

var projectCatalog = map[ErrorCode]catalogEntry{
	CodeServiceUnavailable: {503, "General", "Service temporarily unavailable", "Retry after the Retry-After delay"},
	CodeMethodNotAllowed:   {405, "General", "Method not allowed for this route", "Use a method listed in the Allow header"},
	CodeSessionRevoked:     {401, "Authentication", "Session has been revoked", "Log in again"},
	CodePayloadTooLarge:    {413, "General", "Request body too large", "Send a smaller body"},
	CodeInvalidToken:       {400, "Authentication", "Token invalid, expired or already used", "Request a new link"},
	CodePreconditionFailed: {412, "General", "The resource has changed", "Read the resource again and retry with its current version"},
}

// projectCodes returns the codes authos adds to the AuthOS catalog.
func projectCodes() []ErrorCode {
	return slices.Sorted(maps.Keys(projectCatalog))
}

// Codes returns every code (catalog and project), sorted.
func Codes() []ErrorCode {
	return slices.Sorted(maps.Keys(catalog))
}

// HTTPStatus is the HTTP status the catalog assigns to c; 500 for an unknown code.
func (c ErrorCode) HTTPStatus() int {
	if e, ok := catalog[c]; ok {
		return e.status
	}
	return http.StatusInternalServerError
}

// Description is the catalog's description of c.
func (c ErrorCode) Description() string { return catalog[c].description }

// Resolution is the catalog's advice to the client for c (may be empty).
func (c ErrorCode) Resolution() string { return catalog[c].resolution }

// Group is the catalog group of c (General, Authentication, ...).
func (c ErrorCode) Group() string { return catalog[c].group }

// known reports whether c is in the catalog.
func (c ErrorCode) known() bool { _, ok := catalog[c]; return ok }

// Error implements error.
func (c ErrorCode) Error() string { return string(c) }

// Error is an error with a catalog code, a message safe to show to clients,
// and an internal cause that is logged and never shown.
type Error struct {
	Code    ErrorCode
	Message string // public; defaults to the code's description
	Err     error  // internal cause; never sent to clients

	// RetryAfter sets the Retry-After header (429, 503).
	RetryAfter time.Duration
	// Fields are extra members of the JSON envelope (e.g. preauth_token).
	Fields map[string]any
}

// NewError returns an error with code and public message (empty: the
// catalog description).
func NewError(code ErrorCode, message string) *Error {
	return &Error{Code: code, Message: message}
}

// WrapError is NewError with an internal cause.
func WrapError(code ErrorCode, message string, cause error) *Error {
	return &Error{Code: code, Message: message, Err: cause}
}

// Error returns the code and the public message only.
func (e *Error) Error() string { return string(e.Code) + ": " + e.PublicMessage() }

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.Err }

// Is matches an ErrorCode or an *Error with the same code.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case ErrorCode:
		return e.Code == t
	case *Error:
		return e.Code == t.Code
	}
	return false
}

// PublicMessage is the message sent to clients.
func (e *Error) PublicMessage() string {
	if e.Message != "" {
		return e.Message
	}
	if d := e.Code.Description(); d != "" {
		return d
	}
	return "Unexpected server error"
}

// WithField returns a copy of e with one more envelope field.
func (e *Error) WithField(key string, value any) *Error {
	c := *e
	c.Fields = maps.Clone(e.Fields)
	if c.Fields == nil {
		c.Fields = map[string]any{}
	}
	c.Fields[key] = value
	return &c
}

// AsError returns err as an *Error: itself when it is (or wraps) one, a
// catalog code when it is a bare ErrorCode, INTERNAL_SERVER_ERROR otherwise.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var c ErrorCode
	if errors.As(err, &c) {
		return &Error{Code: c}
	}
	return &Error{Code: CodeInternalServerError, Err: err}
}

// envelope reserved keys that Fields cannot override.
var reservedFields = []string{"error", "error_code", "timestamp"}

// writeError writes err as the JSON error envelope
// {"error", "error_code", "timestamp", ...Fields} with the code's status.
// The message is in the language of r's Accept-Language (English when it
// names none authos has); the code is the same in every language.
// An error without a catalog code becomes INTERNAL_SERVER_ERROR; its cause is
// logged with logger (nil: slog.Default()) and never written.
func writeError(w http.ResponseWriter, r *http.Request, err error, logger *slog.Logger) {
	writeErrorAt(w, r, err, logger, time.Now(), i18n.English)
}

// logFailure logs the 5xx answer (status) to r with e, under msg; other
// answers are not logged. A refusal with Retry-After sheds load on purpose
// (the hash pool's full queue): it is logged at Debug, since a flood must
// not write an error line per request, and no line is built that the
// logger then drops.
func logFailure(logger *slog.Logger, r *http.Request, e *Error, status int, msg string) {
	if status < 500 {
		return
	}
	level, ctx := slog.LevelError, context.Background()
	if e.RetryAfter > 0 {
		level = slog.LevelDebug
	}
	if r != nil {
		ctx = r.Context()
	}
	if !logger.Enabled(ctx, level) {
		return
	}
	attrs := []any{"error_code", string(e.Code)}
	if r != nil {
		attrs = append(attrs, "method", r.Method, "path", r.URL.Path)
	}
	if e.Err != nil {
		attrs = append(attrs, "cause", e.Err.Error())
	}
	logger.Log(ctx, level, msg, attrs...)
}

// setRetryHeaders sets the Retry-After of the answer (status) with e: its
// RetryAfter in whole seconds, rounded up, else 1 for 429 and 503. A 503
// also closes the connection: the server is shedding load, and closing
// frees what the connection holds on the server (a goroutine and its
// buffers) while the client waits to retry. It returns the seconds set
// from e.RetryAfter (0 when it has none).
func setRetryHeaders(h http.Header, e *Error, status int) int {
	secs := 0
	if e.RetryAfter > 0 {
		secs = int((e.RetryAfter + time.Second - 1) / time.Second)
		h.Set("Retry-After", strconv.Itoa(secs))
	} else if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "1")
	}
	if status == http.StatusServiceUnavailable {
		h.Set("Connection", "close")
	}
	return secs
}

// writeErrorAt writes the envelope with the message in the language of
// r's Accept-Language, else lang.
func writeErrorAt(w http.ResponseWriter, r *http.Request, err error, logger *slog.Logger, now time.Time, lang string) {
	e := AsError(err)
	status := e.Code.HTTPStatus()
	if logger == nil {
		logger = slog.Default()
	}
	logFailure(logger, r, e, status, "authos: request failed")
	body := make(map[string]any, 3+len(e.Fields))
	for k, v := range e.Fields {
		if !slices.Contains(reservedFields, k) {
			body[k] = v
		}
	}
	if r != nil {
		lang = i18n.Negotiate(r.Header.Get("Accept-Language"), lang)
	}
	body["error"] = localMessage(lang, e)
	body["error_code"] = string(e.Code)
	body["timestamp"] = now.UTC().Format(time.RFC3339)
	h := w.Header()
	if secs := setRetryHeaders(h, e, status); e.RetryAfter > 0 {
		if _, ok := body["retry_after"]; !ok {
			body["retry_after"] = secs
		}
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache") // an error can carry a secret (MFA_REQUIRED's preauth_token)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Add("Vary", "Accept-Language") // the message is in the request's language
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body) // a write error means the client is gone; the status is already sent
}
