package authos_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/authos/authos"
	"github.com/authos/authos/device"
	"github.com/authos/authos/internal/oapitest"
	"github.com/authos/authos/mfa"
	"github.com/authos/authos/oauth"
	"github.com/authos/authos/saml"
	"github.com/authos/authos/scim"
	"github.com/authos/authos/store/memory"
	"github.com/authos/authos/webhook"
)

// servedByExampleServer marks the operations that the example server, not
// the library's handlers, serves (x-served-by: examples/server).
const servedByExampleServer = "examples/server"

// openapiOp is one operation of openapi.yaml, as the checks see it.
type openapiOp struct {
	method   string // upper case
	path     string
	line     int
	op       *openapi3.Operation
	codes    []string // x-error-codes
	servedBy string   // x-served-by, "" for the library's handlers
}

func (o openapiOp) route() string { return o.method + " " + o.path }

// where names the operation's line in openapi.yaml.
func (o openapiOp) where() string { return fmt.Sprintf("openapi.yaml:%d: %s", o.line, o.route()) }

// secured reports whether the operation lists a security requirement.
func (o openapiOp) secured() bool { return o.op.Security != nil && len(*o.op.Security) > 0 }

// openapiOps lists the operations of the parsed document, sorted by route.
func openapiOps(t *testing.T) []openapiOp {
	t.Helper()
	doc := oapitest.Document(t)
	var ops []openapiOp
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			o := openapiOp{method: method, path: path, op: op}
			if op.Origin != nil && op.Origin.Key != nil {
				o.line = op.Origin.Key.Line
			}
			if raw, ok := op.Extensions["x-error-codes"]; ok {
				list, ok := raw.([]any)
				if !ok {
					t.Fatalf("%s: x-error-codes is not a list: %v", o.where(), raw)
				}
				for _, c := range list {
					code, ok := c.(string)
					if !ok {
						t.Fatalf("%s: x-error-codes holds %v, not a string", o.where(), c)
					}
					o.codes = append(o.codes, code)
				}
			}
			if raw, ok := op.Extensions["x-served-by"]; ok {
				if o.servedBy, _ = raw.(string); o.servedBy != servedByExampleServer {
					t.Fatalf("%s: x-served-by %v; the only other server is %q", o.where(), raw, servedByExampleServer)
				}
			}
			ops = append(ops, o)
		}
	}
	if len(ops) == 0 {
		t.Fatal("openapi.yaml documents no operation")
	}
	slices.SortFunc(ops, func(a, b openapiOp) int { return strings.Compare(a.route(), b.route()) })
	return ops
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
// mfa's, device's, scim's and webhook's, and one handler serving them all, mounted as a
// host would.
func openapiService(t *testing.T) ([]string, http.Handler) {
	t.Helper()
	a := openapiAuthos(t)
	if _, err := mfa.New(a, mfa.Config{}); err != nil {
		t.Fatal(err)
	}
	if _, err := device.New(a, device.Config{}); err != nil {
		t.Fatal(err)
	}
	if _, err := scim.New(a, scim.Config{}); err != nil {
		t.Fatal(err)
	}
	if _, err := webhook.New(a, webhook.Config{}); err != nil {
		t.Fatal(err)
	}
	if _, err := oauth.New(a, oauth.Config{}); err != nil {
		t.Fatal(err)
	}
	if _, err := saml.New(a, saml.Config{}); err != nil {
		t.Fatal(err)
	}
	return a.Routes(), a.Handler()
}

func TestOpenAPIDocumentsExactlyTheMountedRoutes(t *testing.T) {
	mounted := map[string]bool{}
	routes, _ := openapiService(t)
	for _, r := range routes {
		mounted[r] = true
	}
	if len(mounted) == 0 {
		t.Fatal("Routes() is empty")
	}
	documented := map[string]bool{}
	for _, op := range openapiOps(t) {
		documented[op.route()] = true
		switch {
		case op.servedBy != "" && mounted[op.route()]:
			t.Errorf("%s is marked x-served-by %s, but the library serves it", op.where(), op.servedBy)
		case op.servedBy == "" && !mounted[op.route()]:
			t.Errorf("%s is documented but not mounted by the library's handlers", op.where())
		}
	}
	for _, r := range routes {
		if !documented[r] {
			t.Errorf("mounted route %q is missing from openapi.yaml", r)
		}
	}
}

func TestOpenAPIErrorCodeEnumIsTheCatalog(t *testing.T) {
	ref := oapitest.Document(t).Components.Schemas["ErrorCode"]
	if ref == nil || ref.Value == nil || len(ref.Value.Enum) == 0 {
		t.Fatal("openapi.yaml: no ErrorCode schema with an enum")
	}
	var got, want []string
	for _, v := range ref.Value.Enum {
		s, ok := v.(string)
		if !ok {
			t.Fatalf("ErrorCode enum holds %v, not a string", v)
		}
		got = append(got, s)
	}
	for _, c := range authos.Codes() {
		want = append(want, string(c))
	}
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

// isPage reports whether a response is an HTML page (whose error statuses
// need not map to a catalog code: a page may refuse a form with 415).
func isPage(r *openapi3.ResponseRef) bool {
	return r != nil && r.Value != nil && r.Value.Content.Get("text/html") != nil && r.Value.Content.Get("application/json") == nil
}

// Every code an operation lists is in the catalog and has a documented
// response of its status; every documented JSON error status has a code.
func TestOpenAPIOperationErrorCodes(t *testing.T) {
	for _, op := range openapiOps(t) {
		if len(op.codes) == 0 {
			t.Errorf("%s has no x-error-codes", op.where())
			continue
		}
		statuses := op.op.Responses.Map()
		covered := map[string]bool{}
		for _, c := range op.codes {
			code := authos.ErrorCode(c)
			if !slices.Contains(authos.Codes(), code) {
				t.Errorf("%s lists unknown code %s", op.where(), c)
				continue
			}
			status := strconv.Itoa(code.HTTPStatus())
			covered[status] = true
			if statuses[status] == nil {
				t.Errorf("%s lists %s but documents no %s response", op.where(), c, status)
			}
		}
		hasSuccess := false
		for s, r := range statuses {
			switch {
			case strings.HasPrefix(s, "2"):
				hasSuccess = true
			case strings.HasPrefix(s, "3"): // 304 Not Modified is no error; a redirect is a browser route's success
				hasSuccess = hasSuccess || s != "304"
			case !covered[s] && !isPage(r):
				t.Errorf("%s documents a %s response but lists no code with that status", op.where(), s)
			}
		}
		if !hasSuccess {
			t.Errorf("%s documents no 2xx response", op.where())
		}
	}
}

// Every operation states its security: a requirement exactly when the
// mounted route refuses a request without a token, and "security: []"
// when it is public (the document has no top-level default).
func TestOpenAPISecurityMatchesHandler(t *testing.T) {
	doc := oapitest.Document(t)
	if len(doc.Security) != 0 {
		t.Errorf("openapi.yaml has a top-level security requirement; every operation states its own")
	}
	_, h := openapiService(t)
	h = oapitest.Handler(t, h)
	for _, op := range openapiOps(t) {
		if op.op.Security == nil {
			t.Errorf("%s states no security; a public operation says security: []", op.where())
		}
		if op.servedBy != "" {
			continue
		}
		path := strings.NewReplacer("{id}", "some-id", "{user_id}", "some-user", "{org}", "acme", "{service}", "app").Replace(op.path)
		req := httptest.NewRequest(op.method, path, strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var body struct {
			Code string `json:"error_code"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &body) // pages answer HTML; Code stays empty
		// RequireAuth challenges with WWW-Authenticate; a body-level 401
		// (an empty refresh token) does not.
		needsToken := rec.Code == http.StatusUnauthorized && body.Code == string(authos.CodeUnauthorized) &&
			rec.Header().Get("WWW-Authenticate") != ""
		if needsToken != op.secured() {
			t.Errorf("%s: security documented %v, but without a token the handler answers %d %s",
				op.where(), op.secured(), rec.Code, body.Code)
		}
		if needsToken && !slices.Contains(op.codes, string(authos.CodeUnauthorized)) {
			t.Errorf("%s requires a token but does not list UNAUTHORIZED", op.where())
		}
	}
}

// The document declares its license and each operation's id once.
func TestOpenAPIInfo(t *testing.T) {
	doc := oapitest.Document(t)
	if !doc.IsOpenAPI31OrLater() {
		t.Errorf("openapi.yaml declares %q; the document uses OpenAPI 3.1 (license identifier, type lists)", doc.OpenAPI)
	}
	if l := doc.Info.License; l == nil || l.Name != "Apache-2.0" || l.Identifier != "Apache-2.0" {
		t.Errorf("info.license = %+v; want name and identifier Apache-2.0", l)
	}
	ids := map[string]string{}
	for _, op := range openapiOps(t) {
		if op.op.OperationID == "" {
			t.Errorf("%s has no operationId", op.where())
			continue
		}
		if prev, dup := ids[op.op.OperationID]; dup {
			t.Errorf("%s reuses operationId %s of %s", op.where(), op.op.OperationID, prev)
		}
		ids[op.op.OperationID] = op.route()
	}
}
