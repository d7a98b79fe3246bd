package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	elimity "github.com/elimity-com/scim"
	"github.com/elimity-com/scim/schema"
	filter "github.com/scim2/filter-parser/v2"

	"github.com/authos/authos"
	"github.com/authos/authos/store"
)

// FuzzPatch: a request body goes through the rewriting of real clients'
// shapes (normalizeBody), its PATCH paths through the filter parser, and
// the operations are applied to a user document that is then stored and
// projected, without a panic: the rewritten body of valid JSON is valid
// JSON and rewriting it again changes nothing, the patched document still
// encodes as JSON, and reading it back either succeeds or answers
// BAD_REQUEST.
func FuzzPatch(f *testing.F) {
	for _, s := range []struct{ body, attrs string }{
		{`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"active":false}}]}`, ""},
		{`{"Operations":[{"op":"Replace","path":"active","value":"False"}]}`, "userName"},
		{`{"Operations":[{"op":"Add","path":"emails[type eq \"work\"].value","value":"a@b.co"}]}`, "emails.value"},
		{`{"Operations":[{"op":"remove","path":"emails[type eq \"work\" and primary eq true]"}]}`, ""},
		{`{"Operations":[{"op":"replace","value":{"name.givenName":"Ada","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"x"}}}}]}`, "name.givenName"},
		{`{"Operations":[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"R&D"}]}`, ""},
		{`{"Operations":[{"op":"Remove","path":"members","value":[{"value":"u1"}]}]}`, ""},
		{`{"Operations":[{"op":"replace","path":"emails[value co \"x\"].primary","value":"TRUE"}]}`, ""},
		{`{"userName":"x","active":"true","emails":[{"value":"x@y.z","primary":"False"}]}`, ""},
		{`not json`, "a,b"},
	} {
		f.Add([]byte(s.body), s.attrs)
	}
	base := store.SCIMUser{UserName: "ada@example.com", DisplayName: "Ada", ExternalID: "e1", Active: true,
		Emails:     []store.SCIMEmail{{Value: "ada@example.com", Type: "work", Primary: true}, {Value: "ada@home.example", Type: "home"}},
		Attributes: []byte(`{"name":{"givenName":"Ada","familyName":"Lovelace"},"title":"Countess"}`)}
	f.Fuzz(func(t *testing.T, body []byte, attrs string) {
		out := normalizeBody(body)
		if json.Valid(body) {
			if !json.Valid(out) {
				t.Fatalf("normalizeBody(%q) = %q, not JSON", body, out)
			}
			if again := normalizeBody(out); !bytes.Equal(again, out) {
				t.Fatalf("normalizeBody is not stable: %q then %q", out, again)
			}
		}
		var req struct {
			Operations []struct {
				Op    string          `json:"op"`
				Path  *string         `json:"path"`
				Value json.RawMessage `json:"value"`
			} `json:"Operations"`
		}
		if json.Unmarshal(out, &req) != nil {
			return
		}
		var ops []elimity.PatchOperation
		for _, o := range req.Operations {
			op := elimity.PatchOperation{Op: strings.ToLower(o.Op)}
			if o.Path != nil {
				p, err := filter.ParsePath([]byte(*o.Path))
				if err != nil {
					continue
				}
				op.Path = &p
			}
			if len(o.Value) > 0 {
				dec := json.NewDecoder(bytes.NewReader(o.Value))
				dec.UseNumber()
				if dec.Decode(&op.Value) != nil {
					continue
				}
			}
			ops = append(ops, op)
		}
		doc := userDoc(base)
		_ = applyPatch(doc, schema.CoreUserSchema(), ops)
		if _, err := json.Marshal(doc); err != nil {
			t.Fatalf("the patched document does not encode: %v", err)
		}
		u := base
		if err := fromDoc(&u, doc); err != nil {
			var e *authos.Error
			if !errors.As(err, &e) || e.Code != authos.CodeBadRequest {
				t.Fatalf("fromDoc: %v", err)
			}
		}
		for _, o := range ops {
			if o.Path != nil && o.Path.ValueExpression != nil {
				_ = matches(o.Path.ValueExpression, map[string]any{"value": "u1", "type": "work", "primary": true})
				_ = equalities(o.Path.ValueExpression)
			}
		}
		r := httptest.NewRequest("GET", "/scim/v2/Users?attributes="+url.QueryEscape(attrs)+"&excludedAttributes="+url.QueryEscape(attrs), nil)
		res := projectionOf(r).apply(doc)
		if _, err := json.Marshal(res); err != nil {
			t.Fatalf("the projected document does not encode: %v", err)
		}
	})
}
