package authos_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/authos/authos"
	"github.com/authos/authos/device"
	"github.com/authos/authos/mfa"
	"github.com/authos/authos/store/memory"
)

// openapiOp is one operation of openapi.yaml's paths section.
type openapiOp struct {
	method   string // upper case
	path     string
	line     int
	codes    []string // x-error-codes
	statuses []string // response keys ("200", "401", ...)
	secured  bool     // has an operation-level security requirement
}

func (o openapiOp) route() string { return o.method + " " + o.path }

var openapiMethods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

// indentOf counts the leading spaces of line.
func indentOf(line string) int { return len(line) - len(strings.TrimLeft(line, " ")) }

// yamlKey returns the key of a "key:" or "key: value" line, unquoted.
func yamlKey(trimmed string) (key, value string, ok bool) {
	if strings.HasPrefix(trimmed, "- ") || strings.HasPrefix(trimmed, "#") {
		return "", "", false
	}
	k, v, found := strings.Cut(trimmed, ":")
	if !found {
		return "", "", false
	}
	if v != "" && v[0] != ' ' {
		return "", "", false // "http://..." and the like
	}
	return strings.Trim(k, `"'`), strings.TrimSpace(v), true
}

// inlineList parses "[A, B, C]".
func inlineList(v string) ([]string, error) {
	if !strings.HasPrefix(v, "[") || !strings.HasSuffix(v, "]") {
		return nil, fmt.Errorf("want an inline list [A, B], got %q", v)
	}
	var out []string
	for _, s := range strings.Split(strings.Trim(v, "[]"), ",") {
		if s = strings.Trim(strings.TrimSpace(s), `"'`); s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// parseOpenAPIPaths reads the operations of the top-level paths: section of
// an OpenAPI document laid out with two-space indentation (path at 2,
// method at 4, operation fields at 6, response statuses at 8). It is not a
// YAML parser; it only has to read this project's document.
func parseOpenAPIPaths(doc string) ([]openapiOp, error) {
	var ops []openapiOp
	var path string
	var cur *openapiOp
	inPaths, inResponses, sawPaths := false, false, false
	sc := bufio.NewScanner(strings.NewReader(doc))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), " \r")
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if strings.Contains(line, "\t") && strings.HasPrefix(strings.TrimLeft(line, " "), "\t") {
			return nil, fmt.Errorf("line %d: tab indentation", n)
		}
		ind := indentOf(line)
		if ind == 0 {
			inPaths = trimmed == "paths:"
			sawPaths = sawPaths || inPaths
			continue
		}
		if !inPaths {
			continue
		}
		key, value, isKey := yamlKey(trimmed)
		switch {
		case ind == 2 && isKey:
			if !strings.HasPrefix(key, "/") {
				return nil, fmt.Errorf("line %d: path %q does not start with /", n, key)
			}
			path, cur = key, nil
		case ind == 4 && isKey:
			cur = nil
			if slices.Contains(openapiMethods, key) {
				if path == "" {
					return nil, fmt.Errorf("line %d: operation outside a path", n)
				}
				ops = append(ops, openapiOp{method: strings.ToUpper(key), path: path, line: n})
				cur = &ops[len(ops)-1]
			} else if key != "parameters" && key != "summary" && key != "description" && key != "servers" {
				return nil, fmt.Errorf("line %d: unexpected path item field %q", n, key)
			}
		case ind == 6 && isKey && cur != nil:
			inResponses = key == "responses"
			switch key {
			case "x-error-codes":
				codes, err := inlineList(value)
				if err != nil {
					return nil, fmt.Errorf("line %d: x-error-codes: %v", n, err)
				}
				cur.codes = codes
			case "security":
				cur.secured = true
			}
		case ind == 8 && isKey && cur != nil && inResponses:
			cur.statuses = append(cur.statuses, key)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !sawPaths {
		return nil, fmt.Errorf("no top-level paths: section")
	}
	return ops, nil
}

// parseErrorCodeEnum returns the enum of the ErrorCode schema.
func parseErrorCodeEnum(doc string) ([]string, error) {
	lines := strings.Split(doc, "\n")
	for i, line := range lines {
		if strings.TrimRight(line, " \r") != "    ErrorCode:" {
			continue
		}
		var codes []string
		inEnum := false
		for _, l := range lines[i+1:] {
			l = strings.TrimRight(l, " \r")
			t := strings.TrimSpace(l)
			if t == "" {
				continue
			}
			if indentOf(l) <= 4 {
				break // next schema
			}
			switch {
			case indentOf(l) == 6:
				inEnum = t == "enum:"
			case inEnum && strings.HasPrefix(t, "- "):
				codes = append(codes, strings.Trim(strings.TrimPrefix(t, "- "), `"'`))
			}
		}
		if len(codes) == 0 {
			return nil, fmt.Errorf("ErrorCode schema has no block enum")
		}
		return codes, nil
	}
	return nil, fmt.Errorf("no ErrorCode schema (indented 4) in the document")
}

func loadOpenAPI(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func openapiAuthos(t *testing.T) *authos.Authos {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	kr, err := authos.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	a, err := authos.New(context.Background(), authos.Config{Store: memory.New(), Keyring: kr})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// openapiService returns the routes the document covers, authos's and
// mfa's and device's, and one handler serving them all, mounted as a host would.
func openapiService(t *testing.T) ([]string, http.Handler) {
	t.Helper()
	a := openapiAuthos(t)
	mf, err := mfa.New(a, mfa.Config{})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/", a.Handler())
	for _, prefix := range []string{"/api/user/mfa", "/api/user/mfa/", "/api/auth/mfa/", "/api/platform/users/"} {
		mux.Handle(prefix, mf.Handler())
	}
	dev, err := device.New(a, device.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"/auth/device/", "/auth/token", "/activate"} {
		mux.Handle(prefix, dev.Handler())
	}
	return slices.Concat(a.Routes(), mf.Routes(), dev.Routes()), mux
}

func TestOpenAPIDocumentsExactlyTheMountedRoutes(t *testing.T) {
	ops, err := parseOpenAPIPaths(loadOpenAPI(t))
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	documented := map[string]int{}
	for _, op := range ops {
		if prev, dup := documented[op.route()]; dup {
			t.Errorf("openapi.yaml:%d: %s documented twice (first at line %d)", op.line, op.route(), prev)
		}
		documented[op.route()] = op.line
	}
	mounted := map[string]bool{}
	routes, _ := openapiService(t)
	for _, r := range routes {
		mounted[r] = true
		if _, ok := documented[r]; !ok {
			t.Errorf("mounted route %q is missing from openapi.yaml", r)
		}
	}
	for r, line := range documented {
		if !mounted[r] {
			t.Errorf("openapi.yaml:%d: %q is documented but not mounted by Handler", line, r)
		}
	}
	if len(mounted) == 0 {
		t.Fatal("Routes() is empty")
	}
}

func TestOpenAPIErrorCodeEnumIsTheCatalog(t *testing.T) {
	enum, err := parseErrorCodeEnum(loadOpenAPI(t))
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	var want []string
	for _, c := range authos.Codes() {
		want = append(want, string(c))
	}
	got := slices.Clone(enum)
	slices.Sort(got)
	slices.Sort(want)
	if len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Error("the error_code enum lists a code twice")
	}
	for _, c := range want {
		if _, found := slices.BinarySearch(got, c); !found {
			t.Errorf("error_code enum lacks %s", c)
		}
	}
	for _, c := range got {
		if _, found := slices.BinarySearch(want, c); !found {
			t.Errorf("error_code enum lists %s, which authos.Codes() does not have", c)
		}
	}
}

// Every code an operation lists is in the catalog and has a documented
// response of its status; every documented error status has a code.
func TestOpenAPIOperationErrorCodes(t *testing.T) {
	ops, err := parseOpenAPIPaths(loadOpenAPI(t))
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	for _, op := range ops {
		if len(op.codes) == 0 {
			t.Errorf("openapi.yaml:%d: %s has no x-error-codes", op.line, op.route())
			continue
		}
		hasSuccess := false
		covered := map[string]bool{}
		for _, c := range op.codes {
			code := authos.ErrorCode(c)
			if !code.Known() {
				t.Errorf("openapi.yaml:%d: %s lists unknown code %s", op.line, op.route(), c)
				continue
			}
			status := strconv.Itoa(code.HTTPStatus())
			covered[status] = true
			if !slices.Contains(op.statuses, status) {
				t.Errorf("openapi.yaml:%d: %s lists %s but documents no %s response", op.line, op.route(), c, status)
			}
		}
		for _, s := range op.statuses {
			switch {
			case strings.HasPrefix(s, "2"):
				hasSuccess = true
			case !covered[s]:
				t.Errorf("openapi.yaml:%d: %s documents a %s response but lists no code with that status", op.line, op.route(), s)
			}
		}
		if !hasSuccess {
			t.Errorf("openapi.yaml:%d: %s documents no 2xx response", op.line, op.route())
		}
	}
}

// An operation is marked with a security requirement exactly when the
// mounted route refuses a request without a token.
func TestOpenAPISecurityMatchesHandler(t *testing.T) {
	ops, err := parseOpenAPIPaths(loadOpenAPI(t))
	if err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	_, h := openapiService(t)
	for _, op := range ops {
		path := strings.NewReplacer("{id}", "some-id", "{user_id}", "some-user").Replace(op.path)
		req := httptest.NewRequest(op.method, path, strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var body struct {
			Code string `json:"error_code"`
		}
		json.Unmarshal(rec.Body.Bytes(), &body)
		// RequireAuth challenges with WWW-Authenticate; a body-level 401
		// (an empty refresh token) does not.
		needsToken := rec.Code == http.StatusUnauthorized && body.Code == string(authos.CodeUnauthorized) &&
			rec.Header().Get("WWW-Authenticate") != ""
		if needsToken != op.secured {
			t.Errorf("openapi.yaml:%d: %s: security documented %v, but without a token the handler answers %d %s",
				op.line, op.route(), op.secured, rec.Code, body.Code)
		}
		if needsToken && !slices.Contains(op.codes, string(authos.CodeUnauthorized)) {
			t.Errorf("openapi.yaml:%d: %s requires a token but does not list UNAUTHORIZED", op.line, op.route())
		}
	}
}

func TestParseOpenAPIPaths(t *testing.T) {
	doc := `openapi: 3.1.0
paths:
  /a/{id}:
    parameters:
      - name: id
    get:
      x-error-codes: [NOT_FOUND, "UNAUTHORIZED"]
      security:
        - bearerAuth: []
      responses:
        "200":
          description: ok
        '404': {$ref: "#/x"}
        401:
          description: x
  "/b":
    post:
      responses:
        "201":
          description: created
components:
  schemas:
    ErrorCode:
      type: string
      enum:
        - A
        - "B"
    Other:
      enum: [C]
`
	ops, err := parseOpenAPIPaths(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := []openapiOp{
		{method: "GET", path: "/a/{id}", line: 6, codes: []string{"NOT_FOUND", "UNAUTHORIZED"}, statuses: []string{"200", "404", "401"}, secured: true},
		{method: "POST", path: "/b", line: 17, statuses: []string{"201"}},
	}
	if fmt.Sprint(ops) != fmt.Sprint(want) {
		t.Errorf("parsed\n%+v\nwant\n%+v", ops, want)
	}
	enum, err := parseErrorCodeEnum(doc)
	if err != nil || !slices.Equal(enum, []string{"A", "B"}) {
		t.Errorf("enum = %v, %v", enum, err)
	}
	if _, err := parseOpenAPIPaths("openapi: 3.1.0\n"); err == nil {
		t.Error("a document without paths parsed")
	}
}
