package authos

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strings"
)

// DefaultMaxBodyBytes is the request body limit of JSON endpoints.
const DefaultMaxBodyBytes = 64 << 10

// WrapMux turns mux into a handler that answers every error in the JSON
// envelope: unknown routes (404 NOT_FOUND), known routes with another method
// (405 METHOD_NOT_ALLOWED with Allow) and recovered panics (500). Domain
// packages build their Handler with it so every package mounts alike.
func WrapMux(mux *http.ServeMux, logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	return Recover(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		// No pattern matched: let the mux tell 404 from 405 and redirects.
		probe := &headerProbe{header: http.Header{}}
		h.ServeHTTP(probe, r)
		switch {
		case probe.status == http.StatusMethodNotAllowed:
			w.Header().Set("Allow", probe.header.Get("Allow"))
			WriteError(w, r, NewError(CodeMethodNotAllowed, "Method "+r.Method+" is not allowed on this route"), logger)
		case probe.status >= 300 && probe.status < 400 && probe.header.Get("Location") != "":
			http.Redirect(w, r, probe.header.Get("Location"), probe.status)
		default:
			WriteError(w, r, NewError(CodeNotFound, "No such route"), logger)
		}
	}))
}

// headerProbe records what the mux's fallback handler would answer.
type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header         { return p.header }
func (p *headerProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *headerProbe) WriteHeader(status int)      { p.status = status }

// Recover returns middleware that turns a panic into a 500 envelope and logs
// the panic value and stack (never sent to the client).
func Recover(logger *slog.Logger) func(http.Handler) http.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger.Error("authos: panic serving request", "method", r.Method, "path", r.URL.Path,
					"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				WriteError(w, r, NewError(CodeInternalServerError, ""), logger)
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// DecodeJSON reads one JSON object from r's body into v: the body must be
// JSON (Content-Type application/json, or absent), at most maxBytes (<= 0:
// DefaultMaxBodyBytes), contain no unknown fields and nothing after the
// object. Failures are *Error with BAD_REQUEST or PAYLOAD_TOO_LARGE whose
// message never echoes the body.
func DecodeJSON(w http.ResponseWriter, r *http.Request, maxBytes int64, v any) error {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBodyBytes
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return NewError(CodeBadRequest, "Content-Type must be application/json")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return NewError(CodePayloadTooLarge, fmt.Sprintf("Request body exceeds %d bytes", maxBytes))
		}
		return WrapError(CodeBadRequest, "Could not read the request body", err)
	}
	return decodeJSONBytes(body, v)
}

// decodeJSONBytes is the parser behind DecodeJSON (fuzzed separately).
func decodeJSONBytes(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return NewError(CodeBadRequest, "Request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		switch {
		case errors.As(err, &ute) && ute.Field != "":
			return WrapError(CodeBadRequest, "Field "+ute.Field+" has the wrong type", err)
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field := strings.TrimPrefix(err.Error(), "json: unknown field ")
			if len(field) > 66 {
				field = field[:63] + `..."`
			}
			return WrapError(CodeBadRequest, "Unknown field "+field, err)
		default:
			return WrapError(CodeBadRequest, "Malformed JSON body", err)
		}
	}
	if dec.More() {
		return NewError(CodeBadRequest, "Request body must hold exactly one JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return NewError(CodeBadRequest, "Request body must hold exactly one JSON object")
	}
	return nil
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	if v != nil {
		_ = json.NewEncoder(w).Encode(v)
	}
}
