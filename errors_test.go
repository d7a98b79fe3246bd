package authos

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readCatalogTSV returns code -> status from an error-codes.tsv file.
func readCatalogTSV(t *testing.T, path string) map[ErrorCode]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := f.Close(); err != nil {
			t.Error(err)
		}
	}()
	r := csv.NewReader(f)
	r.Comma = '\t'
	r.LazyQuotes = true
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[ErrorCode]int{}
	for _, row := range rows[1:] {
		status, err := strconv.Atoi(row[2])
		if err != nil {
			t.Fatalf("row %v: %v", row, err)
		}
		if prev, ok := out[ErrorCode(row[1])]; ok && prev != status {
			t.Fatalf("code %s listed with statuses %d and %d", row[1], prev, status)
		}
		out[ErrorCode(row[1])] = status
	}
	return out
}

func TestCatalogMatchesTSV(t *testing.T) {
	want := readCatalogTSV(t, "testdata/error-codes.tsv")
	project := map[ErrorCode]bool{}
	for _, c := range projectCodes() {
		project[c] = true
		if _, dup := want[c]; dup {
			t.Errorf("project code %s is already in the catalog", c)
		}
	}
	for code, status := range want {
		if !code.known() {
			t.Errorf("catalog code %s has no constant", code)
			continue
		}
		if got := code.HTTPStatus(); got != status {
			t.Errorf("%s.HTTPStatus() = %d; want %d", code, got, status)
		}
		if code.Description() == "" {
			t.Errorf("%s has no description", code)
		}
	}
	for _, code := range Codes() {
		if _, ok := want[code]; !ok && !project[code] {
			t.Errorf("code %s is neither in the TSV nor a project code", code)
		}
	}
	if got, wantN := len(Codes()), len(want)+len(project); got != wantN {
		t.Errorf("len(Codes()) = %d; want %d", got, wantN)
	}
	for code, status := range map[ErrorCode]int{CodeServiceUnavailable: 503, CodeMethodNotAllowed: 405,
		CodeSessionRevoked: 401, CodePayloadTooLarge: 413, CodeInvalidToken: 400} {
		if got := code.HTTPStatus(); got != status {
			t.Errorf("%s.HTTPStatus() = %d; want %d", code, got, status)
		}
	}
}

func TestErrorIsAndAs(t *testing.T) {
	cause := errors.New("disk on fire")
	err := error(WrapError(CodeDatabaseError, "", cause))
	if !errors.Is(err, CodeDatabaseError) {
		t.Error("errors.Is(err, CodeDatabaseError) = false")
	}
	if errors.Is(err, CodeNotFound) {
		t.Error("errors.Is(err, CodeNotFound) = true")
	}
	if !errors.Is(err, cause) {
		t.Error("cause not reachable with errors.Is")
	}
	if strings.Contains(err.Error(), "disk") {
		t.Errorf("Error() = %q exposes the cause", err.Error())
	}
	if got := AsError(errors.New("x")).Code; got != CodeInternalServerError {
		t.Errorf("AsError(plain).Code = %s", got)
	}
}

func TestWriteErrorEnvelope(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name       string
		err        error
		status     int
		code       string
		retryAfter string
	}{
		{"unknown error hides its cause", errors.New("pq: password=hunter2 SELECT secret"), 500, "INTERNAL_SERVER_ERROR", ""},
		{"catalog error", NewError(CodeWeakPassword, "too short"), 400, "WEAK_PASSWORD", ""},
		{"rate limited", &Error{Code: CodeRateLimitExceeded, RetryAfter: 1500 * time.Millisecond}, 429, "RATE_LIMIT_EXCEEDED", "2"},
		{"unavailable without delay", NewError(CodeServiceUnavailable, ""), 503, "SERVICE_UNAVAILABLE", "1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			writeErrorAt(rec, httptest.NewRequest("GET", "/x", nil), tc.err, logger, now, "en")
			if rec.Code != tc.status {
				t.Errorf("status = %d; want %d", rec.Code, tc.status)
			}
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if body["error_code"] != tc.code || body["timestamp"] != "2030-01-02T03:04:05Z" || body["error"] == "" {
				t.Errorf("body = %v", body)
			}
			if strings.Contains(rec.Body.String(), "hunter2") || strings.Contains(rec.Body.String(), "SELECT") {
				t.Errorf("body leaks the cause: %s", rec.Body)
			}
			if got := rec.Header().Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After = %q; want %q", got, tc.retryAfter)
			}
		})
	}
	if !strings.Contains(logs.String(), "hunter2") {
		t.Error("the internal cause was not logged")
	}
	// Load shed on purpose (503 with Retry-After) is not an error line.
	logs.Reset()
	shed := &Error{Code: CodeServiceUnavailable, RetryAfter: time.Second, Err: errors.New("password hashing queue is full")}
	rec := httptest.NewRecorder()
	writeErrorAt(rec, httptest.NewRequest("POST", "/api/auth/login", nil), shed, logger, now, "en")
	if logs.Len() != 0 {
		t.Errorf("a 503 with Retry-After was logged at the default level: %s", logs.String())
	}
	// Unlogged, it is still the client's 503 with Retry-After, and no cause.
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != 503 || body["error_code"] != "SERVICE_UNAVAILABLE" ||
		rec.Header().Get("Retry-After") != "1" || strings.Contains(rec.Body.String(), "queue") {
		t.Errorf("the shed answer: %d, Retry-After %q, %s (%v); want 503 SERVICE_UNAVAILABLE, Retry-After 1, no cause",
			rec.Code, rec.Header().Get("Retry-After"), rec.Body, err)
	}
}
