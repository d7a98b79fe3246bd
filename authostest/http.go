package authostest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Response is a decoded HTTP answer.
type Response struct {
	Status int
	Header http.Header
	Body   map[string]any // the JSON object, when the answer is JSON
	Raw    []byte
}

// NewJSONRequest builds a request to url with headers hdr and body: a
// string is sent as is, anything else (but nil) is marshalled to JSON.
func NewJSONRequest(t testing.TB, method, url string, hdr map[string]string, body any) *http.Request {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return req
}

// Send performs req with c and decodes a JSON answer; a JSON content type
// with a body that is not a JSON object fails the test.
func Send(t testing.TB, c *http.Client, req *http.Request) Response {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }() // read to the end; closing only frees the connection
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", req.Method, req.URL.Path, err)
	}
	r := Response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") && len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			t.Fatalf("%s %s: bad JSON %q", req.Method, req.URL.Path, raw)
		}
	}
	return r
}

// CheckEnvelope asserts the catalog error envelope: a message, an RFC 3339
// UTC timestamp and a JSON content type.
func CheckEnvelope(t testing.TB, r Response) {
	t.Helper()
	if msg, _ := r.Body["error"].(string); msg == "" {
		t.Errorf("envelope without error message: %s", r.Raw)
	}
	ts, _ := r.Body["timestamp"].(string)
	if _, err := time.Parse(time.RFC3339, ts); err != nil || !strings.HasSuffix(ts, "Z") {
		t.Errorf("envelope timestamp %q is not RFC 3339 UTC", ts)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type = %q", ct)
	}
}
