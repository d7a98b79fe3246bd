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
		{"duplicate member", "", `{"email":"a@b.co","email":"c@d.co"}`, CodeBadRequest},
		{"member in another case", "", `{"EMAIL":"a@b.co"}`, CodeBadRequest},
		{"invalid UTF-8", "", "{\"email\":\"a\xffb\"}", CodeBadRequest},
		{"NUL escape", "", `{"email":"a\u0000b"}`, CodeBadRequest},
		{"C1 control", "", `{"email":"a\u0085b"}`, CodeBadRequest},
		{"DEL", "", `{"email":"a\u007fb"}`, CodeBadRequest},
		{"tab and newline", "", `{"email":"a\tb\nc\r"}`, ""},
		{"lone high surrogate", "", `{"email":"\ud800"}`, CodeBadRequest},
		{"lone low surrogate", "", `{"email":"x\udc00y"}`, CodeBadRequest},
		{"high surrogate then letter", "", `{"email":"\ud800\u0041"}`, CodeBadRequest},
		{"surrogate pair", "", `{"email":"\ud83d\ude00"}`, ""},
		{"escaped backslash before u", "", `{"email":"\\ud800"}`, ""},
		{"literal replacement character", "", "{\"email\":\"\\ufffd \ufffd\"}", ""},
		{"NUL in a member name", "", `{"e\u0000":1}`, CodeBadRequest},
		{"two objects", "", `{"n":1}{"n":2}`, CodeBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(c.body))
			if c.ct != "" {
				r.Header.Set("Content-Type", c.ct)
			}
			var v in
			err := decodeJSON(httptest.NewRecorder(), r, 100, &v)
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

// TestDecodeJSONNested: the strict rules apply at every depth, through
// embedded structs, slices and maps; maps take any member name but refuse
// duplicates.
func TestDecodeJSONNested(t *testing.T) {
	type Inner struct {
		Name string `json:"name"`
	}
	type Embedded struct {
		Slug string `json:"slug"`
	}
	type outer struct {
		Embedded
		Inner  Inner             `json:"inner"`
		List   []Inner           `json:"list"`
		Labels map[string]string `json:"labels"`
		Plain  string
		Skip   string `json:"-"`
	}
	cases := []struct {
		body string
		ok   bool
	}{
		{`{"slug":"x","inner":{"name":"a"},"list":[{"name":"b"}],"labels":{"Any":"1","any":"2"},"Plain":"p"}`, true},
		{`{"SLUG":"x"}`, false},
		{`{"inner":{"Name":"a"}}`, false},
		{`{"inner":{"name":"a","name":"b"}}`, false},
		{`{"list":[{"name":"a"},{"NAME":"b"}]}`, false},
		{`{"labels":{"k":"1","k":"2"}}`, false},
		{`{"labels":{"k":"a\u0000"}}`, false},
		{`{"plain":"p"}`, false},
		{`{"Skip":"x"}`, false},
		{`{"list":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, false},
	}
	for _, c := range cases {
		var v outer
		err := decodeJSONBytes([]byte(c.body), &v)
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v; want ok=%v", c.body, err, c.ok)
		}
		if err != nil && !errors.Is(err, CodeBadRequest) {
			t.Errorf("%s: err = %v; want BAD_REQUEST", c.body, err)
		}
	}
}

// TestParseForm: repeated parameters, control characters and invalid UTF-8
// in a form body are refused; a clean body fills PostForm and Form.
func TestParseForm(t *testing.T) {
	cases := []struct {
		ct, body string
		code     ErrorCode
	}{
		{"application/x-www-form-urlencoded", "grant_type=x&client_id=abc", ""},
		{"application/x-www-form-urlencoded; charset=utf-8", "a=%C3%A9", ""},
		{"application/json", `{"a":1}`, CodeBadRequest},
		{"application/x-www-form-urlencoded", "client_id=a&client_id=b", CodeBadRequest},
		{"application/x-www-form-urlencoded", "client_id=a%00b", CodeBadRequest},
		{"application/x-www-form-urlencoded", "client_id=a%0Ab", CodeBadRequest},
		{"application/x-www-form-urlencoded", "client_id=a%FFb", CodeBadRequest},
		{"application/x-www-form-urlencoded", "a%00=b", CodeBadRequest},
		{"application/x-www-form-urlencoded", "a=%zz", CodeBadRequest},
		{"application/x-www-form-urlencoded", "a=" + strings.Repeat("b", 200), CodePayloadTooLarge},
	}
	for _, c := range cases {
		r := httptest.NewRequest("POST", "/token?q=1", strings.NewReader(c.body))
		r.Header.Set("Content-Type", c.ct)
		err := parseForm(httptest.NewRecorder(), r, 100)
		if c.code == "" {
			if err != nil {
				t.Errorf("%q: err = %v", c.body, err)
			} else if r.PostForm.Get("q") != "" || r.Form.Get("q") != "1" || len(r.PostForm) == 0 {
				t.Errorf("%q: PostForm %v Form %v", c.body, r.PostForm, r.Form)
			}
			continue
		}
		if !errors.Is(err, c.code) {
			t.Errorf("%q: err = %v; want %s", c.body, err, c.code)
		}
	}
}

// TestWrapMuxRefusesControlCharactersInTarget: a path or query value with
// a control character or invalid UTF-8 never reaches a handler.
func TestWrapMuxRefusesControlCharactersInTarget(t *testing.T) {
	reached := false
	h := wrapMux(func(mux *http.ServeMux) {
		mux.HandleFunc("GET /orgs/{org}", func(w http.ResponseWriter, r *http.Request) { reached = true })
	}, nil)
	for _, target := range []string{"/orgs/a%00b", "/orgs/a%01b", "/orgs/a%7Fb", "/orgs/a%C2%85b", "/orgs/a%FFb", "/orgs/a?x=%00", "/orgs/a?%0A=1"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), `"BAD_REQUEST"`) || reached {
			t.Errorf("%s: %d %s (handler reached: %v)", target, rec.Code, rec.Body, reached)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/orgs/%C3%A9t%C3%A9?x=caf%C3%A9", nil))
	if rec.Code != 200 || !reached {
		t.Errorf("clean target: %d", rec.Code)
	}
}

func TestWrapMuxEnvelopes(t *testing.T) {
	h := wrapMux(func(mux *http.ServeMux) {
		mux.HandleFunc("POST /thing", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
		mux.HandleFunc("GET /boom", func(w http.ResponseWriter, r *http.Request) { panic("secret-panic-value") })
		mux.HandleFunc("GET /dir/", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	}, nil)
	cases := []struct {
		method, path string
		status       int
		code         string
		location     string
	}{
		{"POST", "/thing", 204, "", ""},
		{"GET", "/dir/x", 204, "", ""},
		{"GET", "/dir", 307, "", "/dir/"},          // the mux's trailing-slash redirect
		{"GET", "/a/../nope", 307, "", "/nope"},    // and its clean-path one
		{"POST", "/a/../thing", 307, "", "/thing"}, //
		{"GET", "/nope", 404, "NOT_FOUND", ""},
		{"GET", "/thing", 405, "METHOD_NOT_ALLOWED", ""},
		{"GET", "/boom", 500, "INTERNAL_SERVER_ERROR", ""},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != c.status {
			t.Errorf("%s %s: status %d; want %d", c.method, c.path, rec.Code, c.status)
		}
		if loc := rec.Header().Get("Location"); loc != c.location {
			t.Errorf("%s %s: Location %q; want %q", c.method, c.path, loc, c.location)
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
	for _, s := range []string{`{"email":"a@b.co","password":"x"}`, `{}`, `[]`, `{"email":1}`, `{"a":`, "\x00", `{"email":"\ud800"}`,
		`{"email":"a","email":"b"}`, `{"EMAIL":"a"}`, `{"email":"\ud83d\ude00\\ud800"}`, `{"email":"a\u0000"}`, "{\"email\":\"\xff\"}"} {
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
		// Whatever the strict decoder accepts, encoding/json accepts too,
		// with the same value; it is valid UTF-8 without forbidden controls.
		var std LoginInput
		if err := json.Unmarshal(body, &std); err != nil || std != v {
			t.Fatalf("encoding/json disagrees: %+v vs %+v (%v)", std, v, err)
		}
		for _, s := range []string{v.Email, v.Password, v.Org} {
			if !cleanText(s, true) {
				t.Fatalf("accepted a control character or invalid UTF-8: %q", s)
			}
		}
		again, _ := json.Marshal(v)
		var w LoginInput
		if err := decodeJSONBytes(again, &w); err != nil || w != v {
			t.Fatalf("round trip: %+v vs %+v (%v)", v, w, err)
		}
	})
}

// FuzzParseForm: the form parser never panics, and whatever it accepts has
// each parameter once, in clean UTF-8, and round-trips through encoding.
func FuzzParseForm(f *testing.F) {
	for _, s := range []string{"a=1&b=2", "a=1&a=2", "a=%00", "a=%zz", "=", "a", "%FF=1", "grant_type=x&client_id=y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		form, err := parseFormBody(body)
		if err != nil {
			if AsError(err).Code != CodeBadRequest {
				t.Fatalf("error code %s", AsError(err).Code)
			}
			return
		}
		for k, vs := range form {
			if len(vs) != 1 || !cleanText(k, false) || !cleanText(vs[0], false) {
				t.Fatalf("accepted %q=%q", k, vs)
			}
		}
		again, err := parseFormBody(form.Encode())
		if err != nil || again.Encode() != form.Encode() {
			t.Fatalf("round trip: %v vs %v (%v)", form, again, err)
		}
	})
}
