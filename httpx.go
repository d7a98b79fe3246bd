package authos

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// defaultMaxBodyBytes is the request body limit of JSON endpoints.
const defaultMaxBodyBytes = 64 << 10

// wrapMux turns the routes that routes registers on a mux into a handler
// that answers every error in the JSON envelope: unknown routes (404
// NOT_FOUND), known routes with another method (405 METHOD_NOT_ALLOWED with
// Allow) and recovered panics (500).
//
// The routes are registered twice: on the mux that serves, beside a "/"
// pattern that catches whatever no route matches, so that a request is
// routed once, and on a second mux that the catch-all asks which of 404,
// 405 or a redirect applies.
func wrapMux(routes func(*http.ServeMux), logger *slog.Logger) http.Handler {
	if logger == nil {
		logger = slog.Default()
	}
	probe := http.NewServeMux()
	routes(probe)
	mux := http.NewServeMux()
	routes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// No route matched: let the probe tell 404 from 405 and redirects.
		h, pattern := probe.Handler(r)
		if pattern != "" { // a redirect the serving mux would have sent
			h.ServeHTTP(w, r)
			return
		}
		p := &headerProbe{header: http.Header{}}
		h.ServeHTTP(p, r)
		switch {
		case p.status == http.StatusMethodNotAllowed:
			w.Header().Set("Allow", p.header.Get("Allow"))
			writeError(w, r, NewError(CodeMethodNotAllowed, "Method "+r.Method+" is not allowed on this route"), logger)
		case p.status >= 300 && p.status < 400 && p.header.Get("Location") != "":
			http.Redirect(w, r, p.header.Get("Location"), p.status)
		default:
			writeError(w, r, NewError(CodeNotFound, "No such route"), logger)
		}
	})
	return recoverPanics(logger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkTarget(r.URL); err != nil {
			writeError(w, r, err, logger)
			return
		}
		mux.ServeHTTP(w, r)
	}))
}

// checkTarget refuses a request whose path (hence its path values, such as
// {org} or {id}) or query values hold control characters or invalid UTF-8
// once unescaped, before any handler, and so any store, sees them.
func checkTarget(u *url.URL) error {
	if !cleanText(u.Path, false) {
		return NewError(CodeBadRequest, "The request path must not contain control characters")
	}
	if u.RawQuery == "" {
		return nil
	}
	q, _ := url.ParseQuery(u.RawQuery) // malformed pairs are skipped, as handlers do
	for k, vs := range q {
		if !cleanText(k, false) {
			return NewError(CodeBadRequest, "Query parameters must not contain control characters")
		}
		for _, v := range vs {
			if !cleanText(v, false) {
				return NewError(CodeBadRequest, "Query parameters must not contain control characters")
			}
		}
	}
	return nil
}

// cleanText reports whether s is valid UTF-8 without control characters
// (tab, line feed and carriage return are allowed when multiline is set).
func cleanText(s string, multiline bool) bool {
	printable := true // the common case: printable ASCII only
	for i := 0; i < len(s) && printable; i++ {
		printable = s[i] >= 0x20 && s[i] < 0x7f
	}
	if printable {
		return true
	}
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if lineBreak := r == '\t' || r == '\n' || r == '\r'; unicode.IsControl(r) && (!multiline || !lineBreak) {
			return false
		}
	}
	return true
}

// headerProbe records what the mux's fallback handler would answer.
type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header         { return p.header }
func (p *headerProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *headerProbe) WriteHeader(status int)      { p.status = status }

// recoverPanics returns middleware that turns a panic into a 500 envelope and logs
// the panic value and stack (never sent to the client).
func recoverPanics(logger *slog.Logger) func(http.Handler) http.Handler {
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
				writeError(w, r, NewError(CodeInternalServerError, ""), logger)
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// decodeJSON reads one JSON object from r's body into v: the body must be
// JSON (Content-Type application/json, or absent), at most maxBytes (<= 0:
// defaultMaxBodyBytes), contain no unknown fields and nothing after the
// object. Failures are *Error with BAD_REQUEST or PAYLOAD_TOO_LARGE whose
// message never echoes the body.
func decodeJSON(w http.ResponseWriter, r *http.Request, maxBytes int64, v any) error {
	if maxBytes <= 0 {
		maxBytes = defaultMaxBodyBytes
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

// parseForm reads an application/x-www-form-urlencoded body of at most
// maxBytes (<= 0: defaultMaxBodyBytes) into r.PostForm (and r.Form, with
// the query), strictly: a parameter may appear once only (RFC 6749 §3.1,
// §3.2), and names and values must be valid UTF-8 without control
// characters. Failures are *Error with BAD_REQUEST or PAYLOAD_TOO_LARGE.
// The OAuth endpoints of domain packages read their bodies with it.
func parseForm(w http.ResponseWriter, r *http.Request, maxBytes int64) error {
	if maxBytes <= 0 {
		maxBytes = defaultMaxBodyBytes
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return NewError(CodeBadRequest, "Send the request as application/x-www-form-urlencoded")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return NewError(CodePayloadTooLarge, fmt.Sprintf("Request body exceeds %d bytes", maxBytes))
		}
		return WrapError(CodeBadRequest, "Could not read the request body", err)
	}
	form, err := parseFormBody(string(body))
	if err != nil {
		return err
	}
	r.Body, r.PostForm, r.Form = http.NoBody, form, nil
	if err := r.ParseForm(); err != nil { // merges the query into r.Form
		return WrapError(CodeBadRequest, "Malformed query string", err)
	}
	return nil
}

// parseFormBody is the parser behind parseForm (fuzzed separately).
func parseFormBody(body string) (url.Values, error) {
	form, err := url.ParseQuery(body)
	if err != nil {
		return nil, WrapError(CodeBadRequest, "Malformed form body", err)
	}
	for k, vs := range form {
		if !cleanText(k, false) {
			return nil, NewError(CodeBadRequest, "Form parameter names must not contain control characters")
		}
		if len(vs) > 1 {
			return nil, NewError(CodeBadRequest, "Parameter "+shortName(strconv.Quote(k))+" must not be repeated")
		}
		if !cleanText(vs[0], false) {
			return nil, NewError(CodeBadRequest, "Parameter "+shortName(strconv.Quote(k))+" must not contain control characters")
		}
	}
	return form, nil
}

// decodeJSONBytes is the parser behind decodeJSON (fuzzed separately). It
// is stricter than encoding/json: the body must be valid UTF-8 (escaped
// lone surrogates included), every object member name must be unique and
// spelled exactly as the target's field (encoding/json would match "EMAIL"
// to "email" and let the last of two duplicates win), string values must
// not hold control characters other than tab, line feed and carriage
// return, and nesting is capped. A token pre-scan checks this (one pass over
// the body), then encoding/json decodes.
func decodeJSONBytes(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return NewError(CodeBadRequest, "Request body must be a JSON object")
	}
	if !utf8.Valid(body) {
		return NewError(CodeBadRequest, "Request body is not valid UTF-8")
	}
	if err := prescanJSON(body, reflect.TypeOf(v)); err != nil {
		return err
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
			return WrapError(CodeBadRequest, "Unknown field "+shortName(field), err)
		default:
			return WrapError(CodeBadRequest, "Malformed JSON body", err)
		}
	}
	return nil
}

// maxJSONDepth caps the nesting of request bodies (no endpoint takes more
// than a few levels).
const maxJSONDepth = 32

// jsonScan walks a body's tokens beside the Go type it decodes into.
type jsonScan struct {
	body []byte
	dec  *json.Decoder
}

// prescanJSON checks body against the strict rules of decodeJSONBytes for
// a value of type t (nil: any shape): exactly one JSON value, unique and
// exactly spelled member names, no control characters, no lone surrogates.
func prescanJSON(body []byte, t reflect.Type) error {
	s := &jsonScan{body: body, dec: json.NewDecoder(bytes.NewReader(body))}
	s.dec.UseNumber()
	if err := s.value(t, "", 0); err != nil {
		return err
	}
	if _, err := s.dec.Token(); err != io.EOF {
		return NewError(CodeBadRequest, "Request body must hold exactly one JSON object")
	}
	return nil
}

func malformed(err error) error { return WrapError(CodeBadRequest, "Malformed JSON body", err) }

// token reads the next token and checks strings (names and values) for
// control characters and lone surrogate escapes. field names the place for
// messages.
func (s *jsonScan) token(field string) (json.Token, error) {
	start := s.dec.InputOffset()
	tok, err := s.dec.Token()
	if err != nil {
		return nil, malformed(err)
	}
	str, ok := tok.(string)
	if !ok {
		return tok, nil
	}
	where := "Field " + field
	if field == "" {
		where = "A string"
	}
	for _, r := range str {
		switch {
		case r == utf8.RuneError && loneSurrogate(s.body[start:s.dec.InputOffset()]):
			return nil, NewError(CodeBadRequest, where+" is not valid UTF-8 (lone surrogate escape)")
		case isForbiddenControl(r):
			return nil, NewError(CodeBadRequest, where+" must not contain control characters")
		}
	}
	return tok, nil
}

// value reads one value that decodes into t.
func (s *jsonScan) value(t reflect.Type, field string, depth int) error {
	if depth > maxJSONDepth {
		return NewError(CodeBadRequest, "JSON nesting is too deep")
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := s.token(field)
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		return s.object(t, field, depth)
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && !opaqueJSON(t) && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for s.dec.More() {
			if err := s.value(elem, field+"[]", depth+1); err != nil {
				return err
			}
		}
		_, err := s.token(field)
		return err
	}
	return nil
}

// object reads the members of an object (its '{' already read).
func (s *jsonScan) object(t reflect.Type, field string, depth int) error {
	var fields map[string]jsonField
	var elem reflect.Type
	if t != nil && !opaqueJSON(t) {
		switch t.Kind() {
		case reflect.Struct:
			fields = structFields(t)
		case reflect.Map:
			elem = t.Elem()
		}
	}
	seen := make(map[string]struct{}, 8)
	for s.dec.More() {
		tok, err := s.token(field)
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		path := name
		if field != "" {
			path = field + "." + name
		}
		if _, dup := seen[name]; dup {
			return NewError(CodeBadRequest, "Field "+shortName(strconv.Quote(path))+" appears more than once")
		}
		seen[name] = struct{}{}
		vt := elem
		if fields != nil {
			f, ok := fields[name]
			if !ok {
				for exact := range fields {
					if strings.EqualFold(exact, name) {
						return NewError(CodeBadRequest, "Field "+shortName(strconv.Quote(path))+
							" must be spelled "+strconv.Quote(exact))
					}
				}
				return NewError(CodeBadRequest, "Unknown field "+shortName(strconv.Quote(path)))
			}
			vt = f.typ
		}
		if err := s.value(vt, path, depth+1); err != nil {
			return err
		}
	}
	_, err := s.token(field)
	return err
}

// shortName truncates a quoted field name for messages.
func shortName(q string) string {
	if len(q) > 66 {
		return q[:63] + `..."`
	}
	return q
}

// isForbiddenControl reports control characters refused in JSON strings:
// C0 (but tab, line feed, carriage return), DEL and C1.
func isForbiddenControl(r rune) bool {
	return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r'
}

// loneSurrogate reports whether raw (the text of one JSON string token,
// possibly preceded by separators) holds a \uD800-\uDFFF escape that is not
// part of a surrogate pair; encoding/json turns those into U+FFFD.
func loneSurrogate(raw []byte) bool {
	i := bytes.IndexByte(raw, '"')
	if i < 0 {
		return false
	}
	hex4 := func(at int) rune {
		if at+4 > len(raw) {
			return -1
		}
		n, err := strconv.ParseUint(string(raw[at:at+4]), 16, 16)
		if err != nil {
			return -1
		}
		return rune(n)
	}
	for i++; i < len(raw) && raw[i] != '"'; i++ {
		if raw[i] != '\\' {
			continue
		}
		i++
		if i >= len(raw) || raw[i] != 'u' {
			continue // a one-character escape such as \\ or \"
		}
		r := hex4(i + 1)
		i += 4
		switch {
		case r >= 0xD800 && r < 0xDC00:
			if i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				if r2 := hex4(i + 3); r2 >= 0xDC00 && r2 < 0xE000 {
					i += 6
					continue
				}
			}
			return true
		case r >= 0xDC00 && r < 0xE000:
			return true
		}
	}
	return false
}

// jsonField is a member a struct decodes.
type jsonField struct {
	typ reflect.Type
}

// opaqueJSON reports types that decode themselves (time.Time,
// json.RawMessage, ...): their insides are not checked against fields.
func opaqueJSON(t reflect.Type) bool {
	return t.Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(jsonUnmarshaler) ||
		t.Implements(textUnmarshaler) || reflect.PointerTo(t).Implements(textUnmarshaler) ||
		t.Kind() == reflect.Interface
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	fieldCache      sync.Map // reflect.Type -> map[string]jsonField
)

// structFields returns the JSON member names of struct t as encoding/json
// decodes them (tags, promoted fields of embedded structs), by exact name.
func structFields(t reflect.Type) map[string]jsonField {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]jsonField)
	}
	m := map[string]jsonField{}
	depthOf := map[string]int{}
	var walk func(t reflect.Type, depth int)
	walk = func(t reflect.Type, depth int) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			if tag == "-" {
				continue
			}
			name, _, _ := strings.Cut(tag, ",")
			ft := f.Type
			if f.Anonymous && name == "" {
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if ft.Kind() == reflect.Struct {
					walk(ft, depth+1)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if d, ok := depthOf[name]; ok && d <= depth {
				continue // a shallower field of the same name wins
			}
			m[name], depthOf[name] = jsonField{typ: ft}, depth
		}
	}
	walk(t, 0)
	fieldCache.Store(t, m)
	return m
}
