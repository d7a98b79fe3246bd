// Package oapitest checks, in tests, that HTTP answers are the ones the
// repository's openapi.yaml documents. Handler wraps the handler of an
// end-to-end test server: every answer is validated against the document
// (status, headers, content type and body schema) with kin-openapi's
// openapi3filter, and a mismatch fails the test. It is for tests only.
package oapitest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

const modulePath = "github.com/authos/authos"

var (
	loadOnce sync.Once
	loaded   *spec
	loadErr  error
)

// spec is the parsed document and a router over its paths.
type spec struct {
	doc    *openapi3.T
	router routers.Router
	errSch *openapi3.Schema // components.schemas.Error
}

// moduleRoot walks up from the working directory to the directory holding
// the go.mod of this module.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil {
			sc := bufio.NewScanner(bytes.NewReader(b))
			for sc.Scan() {
				if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "module" && f[1] == modulePath {
					return dir, nil
				}
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of %s above the working directory", modulePath)
		}
		dir = parent
	}
}

// Load parses and validates openapi.yaml at the module root.
func Load() (*openapi3.T, error) {
	doc, err := parse()
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, invalid(err)
	}
	return doc, nil
}

// parse reads openapi.yaml at the module root without validating it.
func parse() (*openapi3.T, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	loader := openapi3.NewLoader()
	loader.IncludeOrigin = true // line numbers for the document's own tests
	doc, err := loader.LoadFromFile(filepath.Join(root, "openapi.yaml"))
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	return doc, nil
}

func invalid(err error) error {
	return fmt.Errorf("openapi.yaml is not a valid OpenAPI document: %w", err)
}

func load() (*spec, error) {
	loadOnce.Do(func() {
		doc, err := parse()
		if err != nil {
			loadErr = err
			return
		}
		// The servers are validated here; the rest of the document by
		// NewRouter, which validates what it routes (validating twice
		// costs seconds under the race detector, in every test binary).
		if err := doc.Servers.Validate(context.Background()); err != nil {
			loadErr = invalid(err)
			return
		}
		// Route on paths alone: test servers listen on random loopback
		// ports, not on the documented server URL.
		routed := *doc
		routed.Servers = nil
		router, err := legacy.NewRouter(&routed)
		if err != nil {
			loadErr = invalid(err)
			return
		}
		ref := doc.Components.Schemas["Error"]
		if ref == nil || ref.Value == nil {
			loadErr = errors.New("openapi.yaml: no Error schema in components")
			return
		}
		loaded = &spec{doc: doc, router: router, errSch: ref.Value}
	})
	return loaded, loadErr
}

// Document returns the parsed openapi.yaml; a document that does not load
// or validate fails t.
func Document(t testing.TB) *openapi3.T {
	t.Helper()
	s, err := load()
	if err != nil {
		t.Fatal(err)
	}
	return s.doc
}

// Handler returns h wrapped so that each answer it writes is checked
// against openapi.yaml; every mismatch is reported with t.Errorf. A route
// the document does not list may only answer the 404 or 405 error
// envelope, as every unknown route or method does.
func Handler(t testing.TB, h http.Handler) http.Handler {
	t.Helper()
	return Under(t, "", h)
}

// Under is Handler for h serving the document's routes under the base
// path prefix ("/id"): an answer to a path under prefix is checked against
// the document's route for the path without it; an answer to any other
// path may only be the 404 or 405 error envelope.
func Under(t testing.TB, prefix string, h http.Handler) http.Handler {
	t.Helper()
	s, err := load()
	if err != nil {
		t.Fatal(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		check := s.check
		probe := r
		if prefix != "" {
			rest, ok := strings.CutPrefix(r.URL.Path, prefix)
			if ok && strings.HasPrefix(rest, "/") {
				u := *r.URL
				u.Path, u.RawPath = rest, ""
				probe = r.Clone(r.Context())
				probe.URL = &u
			} else {
				check = func(req *http.Request, status int, header http.Header, body []byte) error {
					return s.checkUnrouted(req, status, header, body, fmt.Errorf("the path is outside the base path %s", prefix))
				}
			}
		}
		if err := check(probe, rec.status, w.Header(), rec.body.Bytes()); err != nil {
			t.Errorf("openapi.yaml does not document this answer: %s %s -> %d %s\n%v\nbody: %.600s",
				r.Method, r.URL.Path, rec.status, w.Header().Get("Content-Type"), err, rec.body.Bytes())
		}
	})
}

// Check validates one answer to req (whose body may have been consumed)
// against the document.
func Check(req *http.Request, status int, header http.Header, body []byte) error {
	s, err := load()
	if err != nil {
		return err
	}
	return s.check(req, status, header, body)
}

func (s *spec) check(req *http.Request, status int, header http.Header, body []byte) error {
	method := req.Method
	if method == http.MethodHead {
		method = http.MethodGet // ServeMux answers HEAD with the GET handler
	}
	if status == http.StatusBadRequest && !cleanTarget(req.URL) {
		// The document's rule for every path: a path or query value with a
		// control character is refused with 400 BAD_REQUEST before routing.
		return s.checkEnvelope(req, header, body, "BAD_REQUEST")
	}
	probe := &http.Request{Method: method, URL: req.URL, Header: req.Header, Host: req.Host}
	route, params, err := s.router.FindRoute(probe)
	if err != nil {
		var re *routers.RouteError
		if !errors.As(err, &re) {
			return err
		}
		return s.checkUnrouted(req, status, header, body, err)
	}
	if req.Method == http.MethodHead {
		return nil
	}
	resp := route.Operation.Responses.Status(status)
	if resp == nil {
		resp = route.Operation.Responses.Default()
	}
	if resp != nil && resp.Value != nil && len(resp.Value.Content) == 0 && len(body) > 0 {
		return fmt.Errorf("the %d response is documented without a body, but it has %d bytes", status, len(body))
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: probe, PathParams: params, Route: route,
		},
		Status: status,
		Header: header,
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
		},
	}
	in.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// checkUnrouted accepts, for a route or method the document does not list,
// only the error envelope with 404 or 405 (405 with Allow).
func (s *spec) checkUnrouted(req *http.Request, status int, header http.Header, body []byte, routeErr error) error {
	switch status {
	case http.StatusNotFound:
	case http.StatusMethodNotAllowed:
		if header.Get("Allow") == "" {
			return errors.New("405 without an Allow header")
		}
	default:
		return fmt.Errorf("%s %s is not documented (%v), yet it answered %d", req.Method, req.URL.Path, routeErr, status)
	}
	return s.checkEnvelope(req, header, body, "")
}

// checkEnvelope validates an error answer against the Error schema and,
// unless code is empty, its error_code.
func (s *spec) checkEnvelope(req *http.Request, header http.Header, body []byte, code string) error {
	if req.Method == http.MethodHead {
		return nil
	}
	if ct := header.Get("Content-Type"); ct != "application/json" {
		return fmt.Errorf("error answer with Content-Type %q, want application/json", ct)
	}
	v, err := decodeJSON(body)
	if err != nil {
		return err
	}
	if err := s.errSch.VisitJSON(v, openapi3.MultiErrors(), openapi3.VisitAsResponse(), openapi3.EnableJSONSchema2020()); err != nil {
		return fmt.Errorf("not the Error envelope: %w", err)
	}
	if m, _ := v.(map[string]any); code != "" && m["error_code"] != code {
		return fmt.Errorf("error_code %v, want %s", m["error_code"], code)
	}
	return nil
}

// cleanTarget reports whether the request's path and query keys and values
// are valid UTF-8 without control characters.
func cleanTarget(u *url.URL) bool {
	clean := func(s string) bool {
		if !utf8.ValidString(s) {
			return false
		}
		for _, r := range s {
			if unicode.IsControl(r) {
				return false
			}
		}
		return true
	}
	if !clean(u.Path) {
		return false
	}
	q, _ := url.ParseQuery(u.RawQuery)
	for k, vs := range q {
		if !clean(k) {
			return false
		}
		for _, v := range vs {
			if !clean(v) {
				return false
			}
		}
	}
	return true
}

func decodeJSON(b []byte) (any, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("body is not JSON: %w", err)
	}
	return v, nil
}

// recorder passes an answer through and keeps its status and body.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 && code >= 200 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush forwards to the underlying writer when it can flush.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
