package e2e_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/store"
)

// loginAs registers (verified) and logs in, returning the access token.
func (h *harness) loginAs(email string) string {
	h.t.Helper()
	h.registerVerified(email, passwordFor(email))
	return h.wantOK(h.login(email, passwordFor(email)), 200).str("access_token")
}

// passwordFor is the test password of email: distinct per account, and
// without the address or its name part, which the password policy refuses.
func passwordFor(email string) string {
	sum := sha256.Sum256([]byte(email))
	return "pw " + hex.EncodeToString(sum[:8])
}

func (h *harness) owner() string {
	h.t.Helper()
	if _, _, err := h.a.EnsurePlatformOwner(context.Background(), "po@example.com", "platform owner password"); err != nil {
		h.t.Fatal(err)
	}
	return h.wantOK(h.login("po@example.com", "platform owner password"), 200).str("access_token")
}

func (h *harness) doKey(method, path, key string) response {
	h.t.Helper()
	return h.doWith(method, path, map[string]string{"X-API-Key": key}, nil)
}

func (h *harness) invite(token, org, email string) string {
	h.t.Helper()
	r := h.wantOK(h.do("POST", "/api/organizations/"+org+"/invitations", token, map[string]string{"email": email, "role": "member"}), 201)
	if r.str("token") == "" {
		h.t.Fatalf("no invitation token: %s", r.raw)
	}
	return r.str("token")
}

// TestOrganizationLifecycle is the acceptance story of the organizations issue.
func TestOrganizationLifecycle(t *testing.T) {
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			h := newHarness(t, b.Open(t), noLimits)
			po := h.owner()
			alice := h.loginAs("alice@example.com")

			created := h.wantOK(h.do("POST", "/api/organizations", alice, map[string]string{"slug": "Acme", "name": "Acme Inc"}), 201)
			org := created.body["organization"].(map[string]any)
			if org["slug"] != "acme" || org["status"] != "pending" || created.body["membership"].(map[string]any)["role"] != "owner" {
				t.Fatalf("created = %s", created.raw)
			}
			orgID := org["id"].(string)
			svc := func(slug string) map[string]any {
				return map[string]any{"slug": slug, "name": "App " + slug, "service_type": "web", "redirect_uris": []string{"https://app.example.com/cb"}}
			}
			h.wantError(h.do("POST", "/api/organizations/acme/services", alice, svc("one")), 403, authos.CodeOrganizationNotActive)

			h.wantError(h.do("POST", "/api/platform/organizations/"+orgID+"/approve", alice, map[string]string{"tier": "free"}), 403, authos.CodePlatformOwnerRequired)
			h.wantOK(h.do("POST", "/api/platform/organizations/"+orgID+"/approve", po, map[string]string{"tier": "free"}), 200)
			h.wantError(h.do("POST", "/api/platform/organizations/"+orgID+"/approve", po, map[string]string{"tier": "free"}), 409, authos.CodeConflict)

			s1 := h.wantOK(h.do("POST", "/api/organizations/acme/services", alice, svc("one")), 201)
			service := s1.body["service"].(map[string]any)
			if service["client_id"] == "" || service["client_secret"] == "" {
				t.Fatalf("service = %s", s1.raw)
			}
			h.wantOK(h.do("POST", "/api/organizations/acme/services", alice, svc("two")), 201)
			h.wantError(h.do("POST", "/api/organizations/acme/services", alice, svc("three")), 400, authos.CodeServiceLimitExceeded)
			list := h.wantOK(h.do("GET", "/api/organizations/acme/services", alice, nil), 200)
			if l := list.body["services"].([]any); len(l) != 2 || l[0].(map[string]any)["client_secret"] != nil {
				t.Fatalf("services = %s", list.raw)
			}

			// Invitations bound to the invitee's verified email.
			bobTok := h.invite(alice, "acme", "bob@example.com")
			carolTok := h.invite(alice, "acme", "carol@example.com")
			bob := h.loginAs("bob@example.com")
			mallory := h.loginAs("mallory@example.com")
			h.wantError(h.do("POST", "/api/invitations/accept", mallory, map[string]string{"token": bobTok}), 403, authos.CodeForbidden)
			mine := h.wantOK(h.do("GET", "/api/invitations", bob, nil), 200)
			if l := mine.body["invitations"].([]any); len(l) != 1 || l[0].(map[string]any)["organization"] != "acme" {
				t.Fatalf("bob's invitations = %s", mine.raw)
			}
			h.wantOK(h.do("POST", "/api/invitations/accept", bob, map[string]string{"token": bobTok}), 200)
			h.wantError(h.do("POST", "/api/invitations/accept", bob, map[string]string{"token": bobTok}), 400, authos.CodeInvitationAlreadyAccepted)
			h.wantError(h.do("GET", "/api/organizations/acme/members", mallory, nil), 403, authos.CodeNotOrganizationMember)
			h.wantError(h.do("POST", "/api/organizations/acme/invitations", bob, map[string]string{"email": "x@example.com"}), 403, authos.CodeForbidden)
			daveTok := h.invite(alice, "acme", "dave@example.com")
			carol := h.loginAs("carol@example.com")
			h.wantOK(h.do("POST", "/api/invitations/accept", carol, map[string]string{"token": carolTok}), 200)
			members := h.wantOK(h.do("GET", "/api/organizations/acme/members", bob, nil), 200)
			if members.body["total"].(float64) != 3 || members.body["limit"].(map[string]any)["max"].(float64) != 3 {
				t.Fatalf("members = %s", members.raw)
			}
			dave := h.loginAs("dave@example.com")
			h.wantError(h.do("POST", "/api/invitations/accept", dave, map[string]string{"token": daveTok}), 400, authos.CodeTeamLimitExceeded)

			// An API key and a service token, then suspension.
			kr := h.wantOK(h.do("POST", "/api/organizations/acme/api-keys", alice, map[string]any{"name": "ci", "scopes": []string{"organization:read", "services:read"}}), 201)
			key := kr.str("key")
			if !strings.HasPrefix(key, "ak_") {
				t.Fatalf("api key = %s", kr.raw)
			}
			h.wantOK(h.doKey("GET", "/api/organizations/acme", key), 200)
			h.wantError(h.doKey("GET", "/api/organizations/acme/members", key), 403, authos.CodeForbidden) // no members:read scope
			svcTok := serviceTokens(t, h, "bob@example.com", service["client_id"].(string), service["client_secret"].(string))

			h.clock.Advance(time.Second) // distinct audit timestamps
			h.wantOK(h.do("POST", "/api/platform/organizations/"+orgID+"/suspend", po, map[string]string{"reason": "unpaid"}), 200)
			h.wantError(h.doKey("GET", "/api/organizations/acme", key), 403, authos.CodeOrganizationNotActive)
			// The service's refresh token is redeemed by its client at the token
			// endpoint only; a suspended organization's client is refused there.
			h.wantError(h.do("POST", "/api/auth/refresh", "", map[string]string{"refresh_token": svcTok.RefreshToken}), 401, authos.CodeUnauthorized)
			refreshForm := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {svcTok.RefreshToken},
				"client_id": {service["client_id"].(string)}, "client_secret": {service["client_secret"].(string)}}
			if r := h.tokenEndpoint(refreshForm); r.status != 400 || r.str("error") != "unauthorized_client" || r.str("error_code") != string(authos.CodeOrganizationNotActive) {
				t.Fatalf("refresh of a suspended organization's service: %d %s", r.status, r.raw)
			}
			h.wantError(h.do("POST", "/api/organizations/acme/api-keys", alice, map[string]any{"name": "x"}), 403, authos.CodeOrganizationNotActive)

			h.clock.Advance(time.Minute) // past the refresh grace window: the refused refresh did not rotate
			h.wantOK(h.do("POST", "/api/platform/organizations/"+orgID+"/activate", po, nil), 200)
			h.wantOK(h.doKey("GET", "/api/organizations/acme", key), 200)
			if r := h.tokenEndpoint(refreshForm); r.status != 200 || r.str("refresh_token") == "" {
				t.Fatalf("refresh after the organization is active again: %d %s", r.status, r.raw)
			}

			// The audit log holds each platform action.
			audit := h.wantOK(h.do("GET", "/api/platform/audit-log?target_id="+orgID, po, nil), 200)
			var actions []string
			for _, e := range audit.body["entries"].([]any) {
				actions = append(actions, e.(map[string]any)["action"].(string))
			}
			if got := strings.Join(actions, ","); got != "activate_organization,suspend_organization,approve_organization" {
				t.Fatalf("audit actions = %s", got)
			}

			// Roles: only owners change roles; the last owner stays.
			aliceID := userID(t, h, alice)
			h.wantError(h.do("DELETE", "/api/organizations/acme/members/"+aliceID, alice, nil), 409, authos.CodeConflict)
			h.wantError(h.do("PATCH", "/api/organizations/acme/members/"+userID(t, h, carol), bob, map[string]string{"role": "admin"}), 403, authos.CodeForbidden)
			h.wantOK(h.do("POST", "/api/organizations/acme/transfer-ownership", alice, map[string]string{"user_id": userID(t, h, bob)}), 204)
			h.wantOK(h.do("DELETE", "/api/organizations/acme/members/"+aliceID, alice, nil), 204) // alice (now admin) leaves
			h.wantError(h.do("GET", "/api/organizations/acme", alice, nil), 403, authos.CodeNotOrganizationMember)
		})
	}
}

func userID(t *testing.T, h *harness, token string) string {
	t.Helper()
	return h.wantOK(h.do("GET", "/api/user", token, nil), 200).str("id")
}

// serviceTokens mints a token pair for the service through the login seam
// every first factor uses (the device and OAuth flows call it the same way).
// tokenEndpoint posts form to /auth/token and decodes the answer.
func (h *harness) tokenEndpoint(form url.Values) response {
	h.t.Helper()
	resp, err := h.srv.Client().PostForm(h.srv.URL+"/auth/token", form)
	if err != nil {
		h.t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	return response{status: resp.StatusCode, header: resp.Header, body: body, raw: raw}
}

func serviceTokens(t *testing.T, h *harness, email, clientID, secret string) *authos.TokenResponse {
	t.Helper()
	ctx := context.Background()
	c, err := h.a.AuthenticateClient(ctx, clientID, secret)
	if err != nil {
		t.Fatal(err)
	}
	u, err := h.a.Store().GetUserByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := h.a.CompleteLogin(ctx, u, authos.ServiceLoginContext(c, authos.AMRPassword))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestTokenAudienceSeparation: a service token is refused by every
// management route, and a management token by a host route that requires
// the service's audience.
func TestTokenAudienceSeparation(t *testing.T) {
	h := newHarness(t, backends(t, true)[0].Open(t), func(c *authos.Config) { noLimits(c); c.AutoApproveOrgs = true })
	alice := h.loginAs("alice@example.com")
	h.wantOK(h.do("POST", "/api/organizations", alice, map[string]string{"slug": "acme", "name": "Acme"}), 201)
	s := h.wantOK(h.do("POST", "/api/organizations/acme/services", alice, map[string]any{"slug": "shop", "name": "Shop", "service_type": "web"}), 201).body["service"].(map[string]any)
	clientID := s["client_id"].(string)
	svc := serviceTokens(t, h, "alice@example.com", clientID, s["client_secret"].(string))
	claims := decodeSegment(t, strings.Split(svc.AccessToken, ".")[1])
	if claims["aud"] != clientID && fmt.Sprint(claims["aud"]) != "["+clientID+"]" || claims["org"] != "acme" || claims["service"] != "shop" {
		t.Fatalf("service token claims = %v", claims)
	}
	checked := 0
	for _, pattern := range h.a.Routes() {
		method, path, _ := strings.Cut(pattern, " ")
		if strings.HasPrefix(path, "/.well-known") || strings.HasPrefix(path, "/webhooks") || !strings.HasPrefix(path, "/api/") {
			continue
		}
		path = strings.NewReplacer("{org}", "acme", "{id}", "x", "{user_id}", "x", "{service}", "shop").Replace(path)
		r := h.do(method, path, svc.AccessToken, nil)
		if r.status == 401 && r.str("error_code") == string(authos.CodeJWTError) {
			if !strings.Contains(r.str("error"), "audience (aud)") {
				t.Errorf("%s with a service token: message %q does not name the audience", pattern, r.str("error"))
			}
			checked++
			continue
		}
		// Public routes (login, register, ...) do not look at the token.
		if !strings.HasPrefix(path, "/api/auth/") || path == "/api/auth/logout" {
			t.Errorf("%s with a service token: %d %s", pattern, r.status, r.raw)
		}
	}
	if checked < 20 {
		t.Fatalf("only %d management routes checked", checked)
	}
	host := h.a.RequireAudience(clientID)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
	}))
	for tok, want := range map[string]int{svc.AccessToken: 200, alice: 401} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/shop/api", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		host.ServeHTTP(rec, req)
		if rec.Code != want || want == 401 && !strings.Contains(rec.Body.String(), `"JWT_ERROR"`) {
			t.Errorf("host route: %d %s; want %d", rec.Code, rec.Body, want)
		}
	}
}

// TestParallelInvitationAccepts: 20 concurrent accepts against a team limit
// of 3 leave exactly 3 members.
func TestParallelInvitationAccepts(t *testing.T) {
	for _, b := range backends(t, true) {
		t.Run(b.Name, func(t *testing.T) {
			st := b.Open(t)
			h := newHarness(t, st, func(c *authos.Config) { noLimits(c); c.AutoApproveOrgs = true })
			owner := h.loginAs("owner@example.com")
			o := h.wantOK(h.do("POST", "/api/organizations", owner, map[string]string{"slug": "acme", "name": "Acme"}), 201)
			orgID := o.body["organization"].(map[string]any)["id"].(string)
			const n = 20
			tokens, access := make([]string, n), make([]string, n)
			for i := range n {
				email := fmt.Sprintf("u%02d@example.com", i)
				tokens[i] = h.invite(owner, "acme", email)
				access[i] = h.loginAs(email)
			}
			var wg sync.WaitGroup
			results := make([]response, n)
			for i := range n {
				wg.Go(func() {
					results[i] = h.do("POST", "/api/invitations/accept", access[i], map[string]string{"token": tokens[i]})
				})
			}
			wg.Wait()
			ok := 0
			for i, r := range results {
				switch {
				case r.status == 200:
					ok++
				case r.status == 400 && r.str("error_code") == string(authos.CodeTeamLimitExceeded):
				default:
					t.Errorf("accept %d: %d %s", i, r.status, r.raw)
				}
			}
			count, err := st.CountMembers(context.Background(), orgID)
			if err != nil || count != 3 || ok != 2 {
				t.Fatalf("members = %d (%v), accepted = %d; want 3 members, 2 accepted", count, err, ok)
			}
		})
	}
}

// TestValidationCodesOverHTTP: every input validation code of the catalog.
func TestValidationCodesOverHTTP(t *testing.T) {
	h := newHarness(t, memoryBackend(t), func(c *authos.Config) { noLimits(c); c.AutoApproveOrgs = true })
	alice := h.loginAs("alice@example.com")
	h.wantOK(h.do("POST", "/api/organizations", alice, map[string]string{"slug": "acme", "name": "Acme"}), 201)
	long := strings.Repeat("a", 51)
	cases := []struct {
		name, path, token string
		body              any
		code              authos.ErrorCode
	}{
		{"email", "/api/auth/register", "", map[string]string{"email": "no-at-sign", "password": "long enough pw"}, authos.CodeInvalidEmail},
		{"email domain", "/api/auth/register", "", map[string]string{"email": "a@localhost", "password": "long enough pw"}, authos.CodeInvalidEmail},
		{"password", "/api/auth/register", "", map[string]string{"email": "p@example.com", "password": "1234567"}, authos.CodeWeakPassword},
		{"slug chars", "/api/organizations", alice, map[string]string{"slug": "bad slug!", "name": "Name"}, authos.CodeInvalidSlug},
		{"slug unicode", "/api/organizations", alice, map[string]string{"slug": "café", "name": "Name"}, authos.CodeInvalidSlug},
		{"slug reserved", "/api/organizations", alice, map[string]string{"slug": "Admin", "name": "Name"}, authos.CodeReservedSlug},
		{"slug short", "/api/organizations", alice, map[string]string{"slug": "ab", "name": "Name"}, authos.CodeSlugTooShort},
		{"slug long", "/api/organizations", alice, map[string]string{"slug": long, "name": "Name"}, authos.CodeSlugTooLong},
		{"name short", "/api/organizations", alice, map[string]string{"slug": "fine", "name": " x "}, authos.CodeNameTooShort},
		{"name long", "/api/organizations", alice, map[string]string{"slug": "fine", "name": strings.Repeat("n", 101)}, authos.CodeNameTooLong},
		{"duplicate slug", "/api/organizations", alice, map[string]string{"slug": "ACME", "name": "Other"}, authos.CodeAlreadyExists},
		{"redirect uri", "/api/organizations/acme/services", alice, map[string]any{"slug": "app", "name": "App", "service_type": "web", "redirect_uris": []string{"ftp://x.example.com"}}, authos.CodeInvalidURL},
		{"redirect fragment", "/api/organizations/acme/services", alice, map[string]any{"slug": "app", "name": "App", "service_type": "web", "redirect_uris": []string{"https://x.example.com/#f"}}, authos.CodeInvalidURL},
		{"activation uri", "/api/organizations/acme/services", alice, map[string]any{"slug": "app", "name": "App", "service_type": "desktop", "device_activation_uri": "https://user:pw@x.example.com/"}, authos.CodeInvalidURL},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status := c.code.HTTPStatus()
			h.wantError(h.do("POST", c.path, c.token, c.body), status, c.code)
		})
	}
}

func memoryBackend(t *testing.T) store.Storage { return backends(t, true)[0].Open(t) }
