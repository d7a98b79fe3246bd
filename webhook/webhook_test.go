package webhook_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/authos/authos"
	"github.com/authos/authos/internal/oapitest"
	"github.com/authos/authos/store"
	"github.com/authos/authos/webhook"
)

// rename changes acme's name: one organization.updated event.
func (h *harness) rename(name string) {
	h.t.Helper()
	h.do("PATCH", "/api/organizations/acme", h.owner, map[string]string{"name": name}, 200)
}

func TestEndpointsCRUDAndErrors(t *testing.T) {
	h := newHarness(t, nil, webhook.Config{AllowPrivateTargets: true})
	base := "/api/organizations/acme/webhooks"
	r := h.do("POST", base, h.owner, map[string]any{"name": "Billing", "url": "https://hooks.example.com/a", "events": []string{"member.added", "organization.updated", "member.added"}}, 201)
	secret, _ := r.body["secret"].(string)
	key, err := webhook.DecodeSecret(secret)
	if !strings.HasPrefix(secret, "whsec_") || err != nil || len(key) != 32 {
		t.Fatalf("secret %q: want whsec_ + base64 of 32 bytes (%v)", secret, err)
	}
	w := r.body["webhook"].(map[string]any)
	id := w["id"].(string)
	if w["enabled"] != true || len(w["events"].([]any)) != 2 || w["secret"] != nil {
		t.Errorf("created: %s", r.raw)
	}
	// The secret is stored sealed, never in the clear.
	ws := h.st.(store.WebhookStore)
	e, err := ws.GetWebhookEndpoint(context.Background(), h.org.ID, id)
	if err != nil || strings.Contains(string(e.Secret), secret) || strings.Contains(string(e.Secret), secret[6:]) {
		t.Fatalf("stored secret: %q, %v", e.Secret, err)
	}
	r = h.do("GET", base+"/"+id, h.owner, nil, 200)
	if strings.Contains(string(r.raw), secret[6:]) {
		t.Error("GET shows the secret")
	}

	for _, c := range []struct {
		body   map[string]any
		status int
		code   authos.ErrorCode
	}{
		{map[string]any{"name": "x1", "url": "ftp://hooks.example.com/", "events": []string{"*"}}, 400, authos.CodeInvalidWebhookURL},
		{map[string]any{"name": "x2", "url": "https://u:p@hooks.example.com/", "events": []string{"*"}}, 400, authos.CodeInvalidWebhookURL},
		{map[string]any{"name": "x3", "url": "http://169.254.169.254/latest/meta-data", "events": []string{"*"}}, 400, authos.CodeInvalidWebhookURL},
		{map[string]any{"name": "x4", "url": "https://hooks.example.com/", "events": []string{"user.nope"}}, 400, authos.CodeInvalidWebhookEvent},
		{map[string]any{"name": "x5", "url": "https://hooks.example.com/", "events": []string{}}, 400, authos.CodeInvalidWebhookEvent},
		{map[string]any{"name": "BILLING", "url": "https://hooks.example.com/", "events": []string{"*"}}, 409, authos.CodeWebhookNameExists},
		{map[string]any{"name": " ", "url": "https://hooks.example.com/", "events": []string{"*"}}, 400, authos.CodeBadRequest},
	} {
		h.wantError(h.send("POST", base, h.owner, c.body), c.status, c.code)
	}
	h.do("POST", base, h.owner, map[string]any{"name": "Other", "url": "https://hooks.example.com/b", "events": []string{"*"}}, 201)
	h.wantError(h.send("PATCH", base+"/"+id, h.owner, map[string]any{"name": "other"}), 409, authos.CodeWebhookNameExists)
	h.wantError(h.send("PATCH", base+"/"+id, h.owner, map[string]any{"url": "gopher://x"}), 400, authos.CodeInvalidWebhookURL)
	h.wantError(h.send("PATCH", base+"/"+id, h.owner, map[string]any{"events": []string{"bad.type"}}), 400, authos.CodeInvalidWebhookEvent)
	r = h.do("PATCH", base+"/"+id, h.owner, map[string]any{"name": "Billing v2", "enabled": false, "events": []string{"webhook.test"}}, 200)
	if w := r.body["webhook"].(map[string]any); w["name"] != "Billing v2" || w["enabled"] != false {
		t.Errorf("patched: %s", r.raw)
	}
	if l := h.do("GET", base, h.owner, nil, 200).body["webhooks"].([]any); len(l) != 2 {
		t.Errorf("list: %v", l)
	}

	// Members, other organizations and API keys without the scope are refused.
	member := h.login("member@example.com")
	h.wantError(h.send("GET", base, member, nil), 403, authos.CodeNotOrganizationMember)
	reader := h.do("POST", "/api/organizations/acme/api-keys", h.owner, map[string]any{"name": "ro", "scopes": []string{"webhooks:read"}}, 201).body["key"].(string)
	writer := h.do("POST", "/api/organizations/acme/api-keys", h.owner, map[string]any{"name": "rw", "scopes": []string{"webhooks:read", "webhooks:write"}}, 201).body["key"].(string)
	h.do("GET", base, reader, nil, 200)
	h.wantError(h.send("POST", base, reader, map[string]any{"name": "k", "url": "https://hooks.example.com/k", "events": []string{"*"}}), 403, authos.CodeForbidden)
	h.do("POST", base, writer, map[string]any{"name": "k", "url": "https://hooks.example.com/k", "events": []string{"*"}}, 201)
	h.wantError(h.send("GET", "/api/organizations/acme/webhooks/nope", h.owner, nil), 404, authos.CodeNotFound)

	h.do("DELETE", base+"/"+id, h.owner, nil, 204)
	h.wantError(h.send("GET", base+"/"+id, h.owner, nil), 404, authos.CodeNotFound)
}

func TestPrivateTargetsRefusedUnlessAllowed(t *testing.T) {
	h := newHarness(t, nil, webhook.Config{})
	rc := newReceiver(t)
	for _, u := range []string{rc.srv.URL, "http://localhost:8080/", "http://127.1/", "http://[::1]/", "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/", "http://10.0.0.1/"} {
		h.wantError(h.send("POST", "/api/organizations/acme/webhooks", h.owner, map[string]any{"name": "n", "url": u, "events": []string{"*"}}), 400, authos.CodeInvalidWebhookURL)
	}
	// A host name is checked when it is dialled: an endpoint stored with a
	// loopback address (for example a name that now resolves there) is
	// never reached.
	ctx := context.Background()
	ws := h.st.(store.WebhookStore)
	_, _ = h.createEndpoint("public", "https://hooks.example.com/x", "*")
	es, _ := ws.ListWebhookEndpoints(ctx, h.org.ID)
	e := es[0]
	e.URL = rc.srv.URL
	if err := ws.UpdateWebhookEndpoint(ctx, e); err != nil {
		t.Fatal(err)
	}
	h.rename("Acme 2")
	h.flush()
	if n := len(rc.requests()); n != 0 {
		t.Fatalf("the loopback receiver got %d requests", n)
	}
	ds, _ := ws.ListWebhookDeliveries(ctx, store.WebhookDeliveryFilter{EndpointID: e.ID})
	if len(ds) != 1 || ds[0].Status != store.WebhookPending || ds[0].LastError != "address not allowed" {
		t.Fatalf("deliveries: %+v", ds)
	}
}

// TestSignaturesVerifiedByTheOfficialLibrary: every delivery verifies with
// github.com/standard-webhooks/standard-webhooks/libraries, before, during
// and after a rotation; a changed byte does not.
func TestSignaturesVerifiedByTheOfficialLibrary(t *testing.T) {
	h := newHarness(t, nil, webhook.Config{AllowPrivateTargets: true})
	rc := newReceiver(t)
	id, secret := h.createEndpoint("main", rc.srv.URL+"/hook", "organization.updated")
	h.rename("Acme One")
	h.flush()
	got := rc.requests()
	if len(got) != 1 {
		t.Fatalf("received %d", len(got))
	}
	verify := func(secret string, r received) error {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		return wh.Verify(r.body, r.header)
	}
	r := got[0]
	if err := verify(secret, r); err != nil {
		t.Fatalf("official verifier: %v (headers %v)", err, r.header)
	}
	if err := webhook.Verify(secret, r.header, r.body, time.Now(), 0); err != nil {
		t.Fatalf("webhook.Verify: %v", err)
	}
	tampered := append([]byte(nil), r.body...)
	tampered[len(tampered)/2] ^= 1
	if verify(secret, received{header: r.header, body: tampered}) == nil || webhook.Verify(secret, r.header, tampered, time.Now(), 0) == nil {
		t.Fatal("a body with one byte changed verified")
	}
	p := payload(t, r.body)
	if p.Type != "organization.updated" || p.Data["org_id"] != h.org.ID || p.Data["event_id"] == "" || !strings.HasSuffix(p.Timestamp, "Z") {
		t.Errorf("payload %s", r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" || !strings.HasPrefix(r.header.Get("webhook-id"), "msg_") {
		t.Errorf("headers %v", r.header)
	}

	rot := h.do("POST", "/api/organizations/acme/webhooks/"+id+"/rotate-secret", h.owner, nil, 200)
	newSecret := rot.body["secret"].(string)
	if newSecret == secret || rot.body["webhook"].(map[string]any)["previous_secret_expires_at"] == nil {
		t.Fatalf("rotation: %s", rot.raw)
	}
	h.rename("Acme Two")
	h.flush()
	got = rc.requests()
	r = got[len(got)-1]
	if sigs := strings.Fields(r.header.Get("webhook-signature")); len(sigs) != 2 {
		t.Fatalf("during the rotation: signatures %q; want two", sigs)
	}
	for _, s := range []string{secret, newSecret} {
		if err := verify(s, r); err != nil {
			t.Errorf("during the rotation, %s...: %v", s[:10], err)
		}
	}
	h.clock.Advance(24*time.Hour + time.Second)
	h.relogin()
	h.rename("Acme Three")
	h.flush()
	got = rc.requests()
	r = got[len(got)-1]
	if sigs := strings.Fields(r.header.Get("webhook-signature")); len(sigs) != 1 {
		t.Fatalf("after the overlap: signatures %q; want one", sigs)
	}
	if err := verify(newSecret, r); err != nil {
		t.Errorf("after the overlap, the new secret: %v", err)
	}
	if verify(secret, r) == nil {
		t.Error("after the overlap, the old secret still verifies")
	}
}

func TestRetriesKeepTheWebhookID(t *testing.T) {
	h := newHarness(t, nil, webhook.Config{AllowPrivateTargets: true})
	rc := newReceiver(t, 500, 302, 204)
	id, secret := h.createEndpoint("main", rc.srv.URL, "organization.updated")
	h.rename("Acme X")
	start := h.clock.Now()
	h.flush()
	ctx := context.Background()
	ws := h.st.(store.WebhookStore)
	ds, _ := ws.ListWebhookDeliveries(ctx, store.WebhookDeliveryFilter{EndpointID: id})
	if len(ds) != 1 || ds[0].Status != store.WebhookPending || ds[0].ResponseStatus != 500 || ds[0].Attempts != 1 {
		t.Fatalf("after a 500: %+v", ds)
	}
	if d := ds[0].NextAttemptAt.Sub(start); d < 4*time.Second || d > 6*time.Second {
		t.Errorf("first retry after %v; want 5 s ± 20 %%", d)
	}
	if n, _ := h.wh.ProcessDeliveries(ctx); n != 0 {
		t.Fatalf("attempted %d before the retry was due", n)
	}
	h.clock.Advance(6 * time.Second)
	h.flush() // 302: a failure, not followed
	ds, _ = ws.ListWebhookDeliveries(ctx, store.WebhookDeliveryFilter{EndpointID: id})
	if ds[0].Status != store.WebhookPending || ds[0].ResponseStatus != 302 {
		t.Fatalf("after a 302: %+v", ds[0])
	}
	if d := ds[0].NextAttemptAt.Sub(h.clock.Now()); d < 16*time.Second || d > 24*time.Second {
		t.Errorf("second retry after %v; want 20 s ± 20 %%", d)
	}
	h.clock.Advance(25 * time.Second)
	h.flush()
	got := rc.requests()
	if len(got) != 3 {
		t.Fatalf("received %d; want 3", len(got))
	}
	for _, r := range got {
		if r.header.Get("webhook-id") != got[0].header.Get("webhook-id") || r.header.Get("webhook-id") != ds[0].ID {
			t.Errorf("webhook-id changed across retries: %q", r.header.Get("webhook-id"))
		}
		if webhook.Verify(secret, r.header, r.body, time.Now(), 0) != nil {
			t.Error("a retry does not verify")
		}
	}
	ds, _ = ws.ListWebhookDeliveries(ctx, store.WebhookDeliveryFilter{EndpointID: id})
	if ds[0].Status != store.WebhookDelivered || ds[0].Attempts != 3 {
		t.Fatalf("final: %+v", ds[0])
	}
}

func TestGiveUpAfterMaxAttempts(t *testing.T) {
	h := newHarness(t, nil, webhook.Config{AllowPrivateTargets: true, DisableAfter: 30 * 24 * time.Hour})
	rc := newReceiver(t, 503)
	id, _ := h.createEndpoint("main", rc.srv.URL, "organization.updated")
	h.rename("Acme X")
	h.flush()
	first := h.clock.Now()
	ws := h.st.(store.WebhookStore)
	ctx := context.Background()
	for range 20 {
		h.clock.Advance(20 * time.Hour) // more than the longest backoff (16 h + 20 %)
		h.flush()
	}
	ds, _ := ws.ListWebhookDeliveries(ctx, store.WebhookDeliveryFilter{EndpointID: id})
	if len(ds) != 1 || ds[0].Status != store.WebhookFailed || ds[0].Attempts != 12 || len(rc.requests()) != 12 {
		t.Fatalf("after the retries: %+v (%d requests)", ds, len(rc.requests()))
	}
	// One attempt per 20 h step: 11 steps from the first to the last.
	if span := ds[0].UpdatedAt.Sub(first); span != 11*20*time.Hour {
		t.Errorf("gave up after %v", span)
	}
}

func TestGoneDisablesAndFailingForDaysDisablesAndEmails(t *testing.T) {
	h := newHarness(t, nil, webhook.Config{AllowPrivateTargets: true})
	gone := newReceiver(t, 410)
	failing := newReceiver(t, 500)
	goneID, _ := h.createEndpoint("gone", gone.srv.URL, "organization.updated")
	failID, _ := h.createEndpoint("failing", failing.srv.URL, "organization.updated")
	h.rename("Acme 1")
	h.flush()
	ep := func(id string) map[string]any {
		return h.do("GET", "/api/organizations/acme/webhooks/"+id, h.owner, nil, 200).body["webhook"].(map[string]any)
	}
	if w := ep(goneID); w["enabled"] != false || w["disabled_reason"] != "gone" {
		t.Fatalf("after 410: %v", w)
	}
	if w := ep(failID); w["enabled"] != true || w["failing_since"] == nil {
		t.Fatalf("after a failure: %v", w)
	}
	if _, err := h.a.ProcessOutbox(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m := h.sentEmails(); len(m) != 1 || m[0].To != "owner@example.com" || !strings.Contains(m[0].Subject, `"gone"`) {
		t.Fatalf("emails after 410: %+v", m)
	}
	// Failures continue for five days (new events keep coming).
	for i := range 6 {
		h.clock.Advance(24 * time.Hour)
		h.relogin()
		h.rename("Acme day " + string(rune('a'+i)))
		h.flush()
	}
	if w := ep(failID); w["enabled"] != false || w["disabled_reason"] != "failing" {
		t.Fatalf("after five days of failures: %v", w)
	}
	if _, err := h.a.ProcessOutbox(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := h.sentEmails()
	if len(m) != 2 || m[1].To != "owner@example.com" || !strings.Contains(m[1].Subject, `"failing"`) || !strings.Contains(m[1].Text, "failed since") {
		t.Fatalf("emails: %+v", m)
	}
	n := len(failing.requests())
	h.rename("Acme later")
	h.flush()
	if len(failing.requests()) != n {
		t.Error("a disabled endpoint still receives deliveries")
	}
	// Enabling it again clears the failure record and resumes deliveries.
	h.do("PATCH", "/api/organizations/acme/webhooks/"+failID, h.owner, map[string]any{"enabled": true}, 200)
	if w := ep(failID); w["enabled"] != true || w["failing_since"] != nil || w["disabled_reason"] != nil {
		t.Fatalf("re-enabled: %v", w)
	}
}

func TestTimeoutIsAFailure(t *testing.T) {
	h := newHarness(t, nil, webhook.Config{AllowPrivateTargets: true, Timeout: 200 * time.Millisecond})
	rc := newReceiver(t)
	rc.delay = 2 * time.Second
	id, _ := h.createEndpoint("slow", rc.srv.URL, "organization.updated")
	h.rename("Acme slow")
	h.flush()
	ds, _ := h.st.(store.WebhookStore).ListWebhookDeliveries(context.Background(), store.WebhookDeliveryFilter{EndpointID: id})
	if len(ds) != 1 || ds[0].Status != store.WebhookPending || ds[0].LastError != "timeout" || ds[0].DurationMS > 1500 {
		t.Fatalf("after a timeout: %+v", ds)
	}
}

func TestFanOutByOrganizationAndFilter(t *testing.T) {
	h := newHarness(t, nil, webhook.Config{AllowPrivateTargets: true})
	all := newReceiver(t)
	some := newReceiver(t)
	h.createEndpoint("all", all.srv.URL, "*")
	h.createEndpoint("pw", some.srv.URL, "user.password_changed")
	// Another organization's events never reach acme's endpoints.
	other := h.login("other@example.com")
	h.do("POST", "/api/organizations", other, map[string]string{"slug": "globex", "name": "Globex"}, 201)
	h.do("PATCH", "/api/organizations/globex", other, map[string]string{"name": "Globex 2"}, 200)
	h.flush()
	for _, r := range all.requests() {
		if p := payload(t, r.body); p.Data["org_id"] != h.org.ID {
			t.Errorf("acme's endpoint got %s", r.body)
		}
	}
	// An account's own event goes to the organizations it belongs to.
	h.do("POST", "/api/user/password", h.owner, map[string]string{"current_password": password, "new_password": "another good passphrase"}, 204)
	h.flush()
	got := some.requests()
	if len(got) != 1 || payload(t, got[0].body).Type != "user.password_changed" {
		t.Fatalf("the filtered endpoint got %d", len(got))
	}
	if p := payload(t, got[0].body); p.Data["target_id"] == "" || p.Data["org_id"] != nil {
		t.Errorf("user event payload: %s", got[0].body)
	}
	n := len(all.requests())
	if n < 1 {
		t.Fatal("the * endpoint got nothing")
	}
	// Every body is one of openapi.yaml's payload schemas.
	schema := oapitest.Document(t).Components.Schemas["WebhookPayload"].Value
	for _, r := range append(all.requests(), got...) {
		var v any
		if err := json.Unmarshal(r.body, &v); err != nil {
			t.Fatal(err)
		}
		if err := schema.VisitJSON(v); err != nil {
			t.Errorf("%s does not match WebhookPayload: %v", r.body, err)
		}
	}
	for _, r := range all.requests() {
		if p := payload(t, r.body); p.Type == "organization.updated" && p.Data["org_id"] != h.org.ID {
			t.Errorf("leak: %s", r.body)
		}
	}
}

func TestDeliveryLogRetryAndTestSend(t *testing.T) {
	h := newHarness(t, nil, webhook.Config{AllowPrivateTargets: true})
	rc := newReceiver(t, 500)
	id, secret := h.createEndpoint("main", rc.srv.URL, "organization.updated", "member.role_changed")
	for i := range 3 {
		h.rename("Acme " + string(rune('A'+i)))
	}
	h.flush()
	base := "/api/organizations/acme/webhooks/" + id + "/deliveries"
	r := h.do("GET", base+"?limit=2", h.owner, nil, 200)
	l := r.body["deliveries"].([]any)
	next, _ := r.body["next_cursor"].(string)
	if len(l) != 2 || next == "" {
		t.Fatalf("page 1: %s", r.raw)
	}
	r = h.do("GET", base+"?limit=2&cursor="+next, h.owner, nil, 200)
	if l2 := r.body["deliveries"].([]any); len(l2) != 1 || r.body["next_cursor"] != nil {
		t.Fatalf("page 2: %s", r.raw)
	}
	d0 := l[0].(map[string]any)
	if d0["status"] != "pending" || d0["attempts"].(float64) != 1 || d0["response_status"].(float64) != 500 || d0["webhook_id"] != d0["id"] || d0["next_attempt_at"] == nil {
		t.Errorf("delivery: %v", d0)
	}
	if l := h.do("GET", base+"?status=delivered", h.owner, nil, 200).body["deliveries"].([]any); len(l) != 0 {
		t.Errorf("status=delivered: %v", l)
	}
	if l := h.do("GET", base+"?event_type=member.role_changed", h.owner, nil, 200).body["deliveries"].([]any); len(l) != 0 {
		t.Errorf("event_type filter: %v", l)
	}
	h.wantError(h.send("GET", base+"?status=bogus", h.owner, nil), 400, authos.CodeBadRequest)
	h.wantError(h.send("GET", base+"?limit=1000", h.owner, nil), 400, authos.CodeBadRequest)

	// Manual retry: due now, delivered with the same webhook-id.
	rc.mu.Lock()
	rc.script = []int{200}
	rc.mu.Unlock()
	did := d0["id"].(string)
	r = h.do("POST", base+"/"+did+"/retry", h.owner, nil, 202)
	if r.body["delivery"].(map[string]any)["status"] != "pending" {
		t.Fatalf("retry: %s", r.raw)
	}
	if _, err := h.wh.ProcessDeliveries(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := rc.requests()
	last := got[len(got)-1]
	if last.header.Get("webhook-id") != did {
		t.Errorf("retried with webhook-id %q; want %q", last.header.Get("webhook-id"), did)
	}
	if l := h.do("GET", base+"?status=delivered", h.owner, nil, 200).body["deliveries"].([]any); len(l) != 1 {
		t.Errorf("after the retry, delivered: %v", l)
	}
	h.wantError(h.send("POST", base+"/nope/retry", h.owner, nil), 404, authos.CodeNotFound)

	// Test send: synchronous, reported, logged, signed.
	r = h.do("POST", "/api/organizations/acme/webhooks/"+id+"/test", h.owner, nil, 200)
	if r.body["status"] != "delivered" || r.body["response_status"].(float64) != 200 || r.body["duration_ms"] == nil {
		t.Fatalf("test send: %s", r.raw)
	}
	got = rc.requests()
	last = got[len(got)-1]
	if p := payload(t, last.body); p.Type != "webhook.test" || webhook.Verify(secret, last.header, last.body, time.Now(), 0) != nil {
		t.Errorf("test message: %s", last.body)
	}
	rc.mu.Lock()
	rc.script = []int{503}
	rc.mu.Unlock()
	r = h.do("POST", "/api/organizations/acme/webhooks/"+id+"/test", h.owner, nil, 200)
	if r.body["status"] != "failed" || r.body["response_status"].(float64) != 503 {
		t.Fatalf("failing test send: %s", r.raw)
	}
	if l := h.do("GET", base+"?event_type=webhook.test", h.owner, nil, 200).body["deliveries"].([]any); len(l) != 2 {
		t.Errorf("test sends in the log: %v", l)
	}
}

func TestEventTypesRoute(t *testing.T) {
	h := newHarness(t, nil, webhook.Config{})
	r := h.do("GET", "/api/webhooks/event-types", "", nil, 200)
	l := r.body["event_types"].([]any)
	seen := map[string]bool{}
	for _, x := range l {
		et := x.(map[string]any)
		typ := et["type"].(string)
		seen[typ] = true
		ex := et["example"].(map[string]any)
		if et["description"] == "" || et["version"].(float64) < 1 || ex["type"] != typ || ex["timestamp"] == nil || ex["data"] == nil {
			t.Errorf("entry %v", et)
		}
	}
	for _, want := range []string{"webhook.test", "user.signup", "organization.suspended", "member.added", "invitation.accepted", "api_key.revoked"} {
		if !seen[want] {
			t.Errorf("catalog lacks %s", want)
		}
	}
}

func TestVerifyRefusals(t *testing.T) {
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	body := []byte(`{"type":"x"}`)
	now := time.Now()
	sig, err := webhook.Sign([]string{secret}, "msg_1", now, body)
	if err != nil {
		t.Fatal(err)
	}
	hdr := func(id, ts, sig string) http.Header {
		h := http.Header{}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", ts)
		h.Set("webhook-signature", sig)
		return h
	}
	ts := func(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
	if err := webhook.Verify(secret, hdr("msg_1", ts(now), sig), body, now, 0); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		h    http.Header
		want error
	}{
		"no headers":    {http.Header{}, webhook.ErrMissingHeaders},
		"bad timestamp": {hdr("msg_1", "soon", sig), webhook.ErrInvalidTimestamp},
		"old":           {hdr("msg_1", ts(now.Add(-10*time.Minute)), sig), webhook.ErrTimestampOutside},
		"other id":      {hdr("msg_2", ts(now), sig), webhook.ErrNoValidSignature},
		"v2 only":       {hdr("msg_1", ts(now), strings.Replace(sig, "v1,", "v2,", 1)), webhook.ErrNoValidSignature},
	} {
		if err := webhook.Verify(secret, c.h, body, now, 0); err != c.want {
			t.Errorf("%s: %v; want %v", name, err, c.want)
		}
	}
}
