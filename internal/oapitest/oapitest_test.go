package oapitest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const (
	errorBody = `{"error":"Invalid email or password","error_code":"INVALID_CREDENTIALS","timestamp":"2025-01-15T10:30:00Z"}`
	mfaBody   = `{"error":"A second factor is required","error_code":"MFA_REQUIRED","timestamp":"2025-01-15T10:30:00Z","preauth_token":"abc","mfa_required":true,"expires_in":300}`
)

func jsonHeader(extra ...string) http.Header {
	h := http.Header{"Content-Type": {"application/json"}}
	for i := 0; i+1 < len(extra); i += 2 {
		h.Set(extra[i], extra[i+1])
	}
	return h
}

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		name, method, path string
		status             int
		header             http.Header
		body               string
		wantErr            string // "" for a documented answer
	}{
		{"documented error", "POST", "/api/auth/login", 401, jsonHeader(), errorBody, ""},
		{"MFA_REQUIRED matches the login 401 once", "POST", "/api/auth/login", 401, jsonHeader(), mfaBody, ""},
		{"MFA_REQUIRED without its token", "POST", "/api/auth/login", 401, jsonHeader(),
			`{"error":"x","error_code":"MFA_REQUIRED","timestamp":"2025-01-15T10:30:00Z"}`, "doesn't match"},
		{"a preauth token on another code", "POST", "/api/auth/login", 401, jsonHeader(),
			`{"error":"x","error_code":"INVALID_CREDENTIALS","timestamp":"2025-01-15T10:30:00Z","preauth_token":"abc"}`, "doesn't match"},
		{"undocumented status", "POST", "/api/auth/login", 418, jsonHeader(), errorBody, "status is not supported"},
		{"body of the wrong shape", "POST", "/api/auth/login", 200, jsonHeader(), `{"access_token":1}`, "doesn't match"},
		{"unknown error code", "POST", "/api/auth/login", 400, jsonHeader(),
			`{"error":"x","error_code":"NOPE","timestamp":"2025-01-15T10:30:00Z"}`, "doesn't match"},
		{"wrong content type", "POST", "/api/auth/login", 400, http.Header{"Content-Type": {"text/plain"}}, errorBody, "Content-Type"},
		{"body where none is documented", "POST", "/api/auth/logout", 204, http.Header{}, "{}", "without a body"},
		{"no body as documented", "POST", "/api/auth/logout", 204, http.Header{}, "", ""},
		{"unknown route, 404 envelope", "GET", "/nope", 404, jsonHeader(), strings.Replace(errorBody, "INVALID_CREDENTIALS", "NOT_FOUND", 1), ""},
		{"unknown route, 200", "GET", "/nope", 200, jsonHeader(), `{}`, "not documented"},
		{"other method, 405 with Allow", "GET", "/api/auth/login", 405, jsonHeader("Allow", "POST"),
			strings.Replace(errorBody, "INVALID_CREDENTIALS", "METHOD_NOT_ALLOWED", 1), ""},
		{"other method, 405 without Allow", "GET", "/api/auth/login", 405, jsonHeader(),
			strings.Replace(errorBody, "INVALID_CREDENTIALS", "METHOD_NOT_ALLOWED", 1), "Allow"},
		{"unknown route, not the envelope", "GET", "/nope", 404, jsonHeader(), `{"message":"not here"}`, "Error envelope"},
		{"control character in the path, 400 envelope", "GET", "/api/organizations/ac%00me", 400, jsonHeader(),
			strings.Replace(errorBody, "INVALID_CREDENTIALS", "BAD_REQUEST", 1), ""},
		{"control character in the query, 400 envelope", "GET", "/api/organizations?x=%01", 400, jsonHeader(),
			strings.Replace(errorBody, "INVALID_CREDENTIALS", "BAD_REQUEST", 1), ""},
		{"control character, another code", "GET", "/api/organizations/ac%00me", 400, jsonHeader(),
			strings.Replace(errorBody, "INVALID_CREDENTIALS", "INVALID_SLUG", 1), "want BAD_REQUEST"},
		{"clean path, undocumented 400", "GET", "/api/organizations/acme", 400, jsonHeader(),
			strings.Replace(errorBody, "INVALID_CREDENTIALS", "BAD_REQUEST", 1), "status is not supported"},
		{"path parameter", "DELETE", "/api/user/sessions/abc", 404, jsonHeader(),
			strings.Replace(errorBody, "INVALID_CREDENTIALS", "NOT_FOUND", 1), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(c.method, c.path, nil)
			err := Check(req, c.status, c.header, []byte(c.body))
			switch {
			case c.wantErr == "" && err != nil:
				t.Errorf("documented answer refused: %v", err)
			case c.wantErr != "" && err == nil:
				t.Errorf("undocumented answer accepted; want an error about %q", c.wantErr)
			case c.wantErr != "" && !strings.Contains(err.Error(), c.wantErr):
				t.Errorf("error %q does not mention %q", err, c.wantErr)
			}
		})
	}
}

// fakeT records the failures Handler reports.
type fakeT struct {
	testing.TB
	errs []string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Errorf(format string, args ...any) {
	f.errs = append(f.errs, format)
}

func TestHandlerReportsUndocumentedAnswers(t *testing.T) {
	ft := &fakeT{TB: t}
	h := Handler(ft, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/api/auth/login" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(errorBody))
			return
		}
		w.WriteHeader(http.StatusTeapot)
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/api/auth/login", nil))
	if rec.Code != 401 || rec.Body.String() != errorBody {
		t.Errorf("the wrapper changed the answer: %d %s", rec.Code, rec.Body)
	}
	if len(ft.errs) != 0 {
		t.Errorf("documented answer reported: %v", ft.errs)
	}
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/api/auth/register", nil))
	if len(ft.errs) != 1 {
		t.Errorf("an undocumented 418 gave %d reports, want 1", len(ft.errs))
	}
}

// Under checks an answer under the base path against the route without
// it, and lets only the 404 envelope answer outside it.
func TestUnderChecksWithoutTheBasePath(t *testing.T) {
	notFound := strings.Replace(errorBody, "INVALID_CREDENTIALS", "NOT_FOUND", 1)
	ft := &fakeT{TB: t}
	h := Under(ft, "/id", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/id/api/auth/login", "/api/auth/login":
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(errorBody))
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(notFound))
		}
	}))
	for _, c := range []struct {
		path    string
		reports int
	}{
		{"/id/api/auth/login", 0}, // the documented 401 of /api/auth/login
		{"/id/nope", 0},           // an unknown route's 404
		{"/idx/api/user", 0},      // outside the base path, 404
		{"/api/auth/login", 1},    // outside the base path, 401
	} {
		ft.errs = nil
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", c.path, nil))
		if len(ft.errs) != c.reports {
			t.Errorf("POST %s: %d reports, want %d", c.path, len(ft.errs), c.reports)
		}
	}
}
