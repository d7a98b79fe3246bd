package authos

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestDecodeJSON(t *testing.T) {
	type in struct {
		Email string `json:"email"`
		N     int    `json:"n"`
	}
	cases := []struct {
		name, ct, body string
		code           ErrorCode
	}{
		{"ok", "application/json", `{"email":"a@b.co","n":1}`, ""},
		{"ok without content type", "", `{"email":"a@b.co"}`, ""},
		{"malformed", "application/json", `{"email":`, CodeBadRequest},
		{"empty", "application/json", ``, CodeBadRequest},
		{"unknown field", "application/json", `{"emial":"x"}`, CodeBadRequest},
		{"wrong type", "application/json", `{"n":"one"}`, CodeBadRequest},
		{"trailing data", "application/json", `{"n":1} {"n":2}`, CodeBadRequest},
		{"form post", "application/x-www-form-urlencoded", `email=x`, CodeBadRequest},
		{"too large", "application/json", `{"email":"` + strings.Repeat("a", 200) + `"}`, CodePayloadTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(c.body))
			if c.ct != "" {
				r.Header.Set("Content-Type", c.ct)
			}
			var v in
			err := DecodeJSON(httptest.NewRecorder(), r, 100, &v)
			if c.code == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if !errors.Is(err, c.code) {
				t.Fatalf("err = %v; want %s", err, c.code)
			}
		})
	}
}

func TestWrapMuxEnvelopes(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /thing", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	mux.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) { panic("secret-panic-value") })
	h := WrapMux(mux, nil)
	cases := []struct {
		method, path string
		status       int
		code         string
	}{
		{"POST", "/thing", 204, ""},
		{"GET", "/nope", 404, "NOT_FOUND"},
		{"GET", "/thing", 405, "METHOD_NOT_ALLOWED"},
		{"GET", "/boom", 500, "INTERNAL_SERVER_ERROR"},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != c.status {
			t.Errorf("%s %s: status %d; want %d", c.method, c.path, rec.Code, c.status)
		}
		if c.code == "" {
			continue
		}
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || body["error_code"] != c.code {
			t.Errorf("%s %s: body %s", c.method, c.path, rec.Body)
		}
		if strings.Contains(rec.Body.String(), "secret-panic-value") {
			t.Error("panic value leaked")
		}
		if c.status == 405 && rec.Header().Get("Allow") == "" {
			t.Error("405 without Allow header")
		}
	}
}

// FuzzDecodeJSON: the request decoder never panics, and whatever it accepts
// re-encodes and decodes to the same value.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"email":"a@b.co","password":"x"}`, `{}`, `[]`, `{"email":1}`, `{"a":`, "\x00", `{"email":"\ud800"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v LoginInput
		if err := decodeJSONBytes(body, &v); err != nil {
			if AsError(err).Code != CodeBadRequest {
				t.Fatalf("error code %s", AsError(err).Code)
			}
			return
		}
		again, _ := json.Marshal(v)
		var w LoginInput
		if err := decodeJSONBytes(again, &w); err != nil || w != v {
			t.Fatalf("round trip: %+v vs %+v (%v)", v, w, err)
		}
	})
}

// FuzzBearerToken: header parsing never panics and never returns a token
// with whitespace or beyond the size cap.
func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{"Bearer abc.def.ghi", "bearer x", "Basic Zm9v", "Bearer ", "Bearer a b", strings.Repeat(".", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		tok := parseBearer(h)
		if tok != "" && (strings.ContainsAny(tok, " \t\r\n") || len(tok) > maxTokenBytes+16) {
			t.Fatalf("parseBearer(%q) = %q", h, tok)
		}
	})
}
