package scim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	testbackends "github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/internal/oapitest"
	"github.com/authos/authos/scim"
	"github.com/authos/authos/store"
)

const password = "correct horse battery"

// harness runs authos's and scim's handlers on one httptest server, with
// an active organization "acme" on the pro tier owned by owner@example.com;
// every answer is checked against openapi.yaml.
type harness struct {
	t     *testing.T
	a     *authos.Authos
	sc    *scim.Service
	st    store.Storage
	srv   *httptest.Server
	owner string // access token
	org   authos.Organization
	token string // SCIM token of acme
}

func newHarness(t *testing.T, st store.Storage) *harness {
	t.Helper()
	return newHarnessWith(t, st, nil, scim.Config{})
}

// newHarnessWith is newHarness with the authos Config changed by mutate
// (when not nil) and the SCIM Config sc.
func newHarnessWith(t *testing.T, st store.Storage, mutate func(*authos.Config), sc scim.Config) *harness {
	t.Helper()
	h := &harness{t: t, st: st}
	h.srv = httptest.NewUnstartedServer(nil)
	cfg := authos.Config{
		Store: st, Keyring: authostest.Keyring(t), Hasher: authostest.FastHasher{}, BaseURL: "http://" + h.srv.Listener.Addr().String(),
		Logger: slog.New(slog.DiscardHandler), AutoApproveOrgs: true,
		RateLimits: authos.RateLimits{Disabled: true},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	a, err := authos.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.a = a
	if h.sc, err = scim.New(a, sc); err != nil {
		t.Fatal(err)
	}
	h.srv.Config.Handler = oapitest.Handler(t, a.Handler()) // every answer as openapi.yaml documents it
	h.srv.Start()
	t.Cleanup(h.srv.Close)
	h.owner = h.login("owner@example.com")
	h.org = h.newOrg(h.owner, "acme", authos.TierPro)
	h.token = h.scimToken(h.owner, "acme")
	return h
}

// login registers a verified account and returns an access token.
func (h *harness) login(email string) string {
	h.t.Helper()
	return authostest.Token(h.t, h.a, email, authostest.Password(password))
}

// newOrg creates an organization owned by the token's user on tier.
func (h *harness) newOrg(owner, slug, tier string) authos.Organization {
	h.t.Helper()
	r := h.do("POST", "/api/organizations", owner, map[string]string{"slug": slug, "name": slug}, 201)
	id := r.body["organization"].(map[string]any)["id"].(string)
	ctx := context.Background()
	o, err := h.st.GetOrg(ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	o.Tier = tier
	if err := h.st.UpdateOrg(ctx, o); err != nil {
		h.t.Fatal(err)
	}
	return o
}

func (h *harness) scimToken(owner, slug string) string {
	h.t.Helper()
	r := h.do("POST", "/api/organizations/"+slug+"/scim-tokens", owner, map[string]string{"name": "IdP"}, 201)
	tok, _ := r.body["token"].(string)
	if !strings.HasPrefix(tok, "scim_") {
		h.t.Fatalf("token = %q", tok)
	}
	return tok
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

// send performs a request with a bearer token and a JSON body (a string
// is sent as is).
func (h *harness) send(method, path, bearer string, body any, hdr map[string]string) response {
	h.t.Helper()
	req := authostest.NewJSONRequest(h.t, method, h.srv.URL+path, hdr, body)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if strings.HasPrefix(path, "/scim/") && body != nil {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }() // read to the end; closing only frees the connection
	r := response{status: resp.StatusCode, header: resp.Header}
	var buf strings.Builder
	_, _ = fmt.Fprint(&buf, "")
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err == nil {
		r.body = m
	}
	r.raw, _ = json.Marshal(m)
	return r
}

// do is send expecting status.
func (h *harness) do(method, path, bearer string, body any, status int) response {
	h.t.Helper()
	r := h.send(method, path, bearer, body, nil)
	if r.status != status {
		h.t.Fatalf("%s %s: %d %s; want %d", method, path, r.status, r.raw, status)
	}
	return r
}

// scim calls the SCIM API with the organization's token.
func (h *harness) scim(method, path string, body any) response {
	h.t.Helper()
	return h.send(method, path, h.token, body, nil)
}

// checkSCIMError asserts SCIM's error schema with the catalog fields.
func checkSCIMError(t *testing.T, r response, status int, code authos.ErrorCode, scimType string) {
	t.Helper()
	if r.status != status || r.body["error_code"] != string(code) || r.body["status"] != strconv.Itoa(status) {
		t.Errorf("got %d %s; want %d %s", r.status, r.raw, status, code)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/scim+json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if s, _ := r.body["schemas"].([]any); len(s) != 1 || s[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
		t.Errorf("schemas = %v", r.body["schemas"])
	}
	if ts, _ := r.body["timestamp"].(string); ts == "" {
		t.Errorf("no timestamp: %s", r.raw)
	}
	if d, _ := r.body["detail"].(string); d == "" {
		t.Errorf("no detail: %s", r.raw)
	}
	if got, _ := r.body["scimType"].(string); got != scimType {
		t.Errorf("scimType = %q; want %q", got, scimType)
	}
}

// get returns the value at a dotted path ("emails.0.value") of v.
func get(v any, path string) (any, bool) {
	for _, part := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[part]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// scimStore is the SCIM capability of the harness's store.
func (h *harness) scimStore() store.SCIMStore { return h.st.(store.SCIMStore) }

// memberState is "active", "suspended" or "absent": the SCIM user with
// userName in the organization and its membership.
func (h *harness) memberState(orgID, userName string) string {
	h.t.Helper()
	ctx := context.Background()
	l, _, err := h.scimStore().ListSCIMUsers(ctx, orgID, store.SCIMQuery{Count: 2,
		Filter: store.SCIMCompare{Attr: store.SCIMAttrUserName, Op: store.SCIMEq, Value: userName}})
	if err != nil {
		h.t.Fatal(err)
	}
	if len(l) == 0 {
		return "absent"
	}
	m, err := h.st.GetMember(ctx, orgID, l[0].UserID)
	if err != nil {
		h.t.Fatalf("SCIM user %s without membership: %v", userName, err)
	}
	if m.Status == store.MemberSuspended {
		return "suspended"
	}
	return "active"
}

// groupMembers returns the userNames of the members of the group named
// displayName, sorted.
func (h *harness) groupMembers(orgID, displayName string) ([]string, bool) {
	h.t.Helper()
	ctx := context.Background()
	gs, _, err := h.scimStore().ListSCIMGroups(ctx, orgID, store.SCIMQuery{Count: 2,
		Filter: store.SCIMCompare{Attr: store.SCIMAttrDisplayName, Op: store.SCIMEq, Value: displayName}})
	if err != nil || len(gs) != 1 {
		return nil, false
	}
	ids, err := h.scimStore().ListSCIMGroupMembers(ctx, orgID, gs[0].ID)
	if err != nil {
		h.t.Fatal(err)
	}
	names := []string{}
	for _, id := range ids {
		u, err := h.scimStore().GetSCIMUser(ctx, orgID, id)
		if err != nil {
			h.t.Fatal(err)
		}
		names = append(names, u.UserName)
	}
	slices.Sort(names)
	return names, true
}

// eachBackend runs fn on a fresh store of every backend.
func eachBackend(t *testing.T, fn func(t *testing.T, st store.Storage)) {
	testbackends.Each(t, fn)
}

func postgresURL() string { return os.Getenv(testbackends.PostgresEnv) }

func jsonNumber(s string) json.Number { return json.Number(s) }
