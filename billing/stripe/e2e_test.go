package stripe_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	"github.com/authos/authos/billing/stripe"
	"github.com/authos/authos/internal/oapitest"
	"github.com/authos/authos/store"
	"github.com/authos/authos/store/memory"
)

// newAuthos builds a real authos with an in-memory store and b as billing,
// and an organization owned by a registered user.
func newAuthos(t *testing.T, b *stripe.Billing) (*authos.Authos, authos.Organization) {
	t.Helper()
	return newAuthosOn(t, b, memory.New())
}

// newAuthosOn is newAuthos on the store st.
func newAuthosOn(t *testing.T, b *stripe.Billing, st store.Storage) (*authos.Authos, authos.Organization) {
	t.Helper()
	ctx := context.Background()
	key := make([]byte, 32)
	rand.Read(key)
	kr, err := authos.NewKeyring(key)
	if err != nil {
		t.Fatal(err)
	}
	a, err := authos.New(ctx, authos.Config{
		Store:   st,
		Keyring: kr,
		Hasher:  authostest.FastHasher{},
		Billing: b,
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	u, err := a.Register(ctx, authos.RegisterInput{Email: "owner@example.com", Password: "correct horse battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	o, _, err := a.CreateOrganization(ctx, u.ID, authos.CreateOrgInput{Slug: "acme", Name: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Tier != authos.TierFree {
		t.Fatalf("new org tier %q", o.Tier)
	}
	return a, o
}

type webhookReply struct {
	status    int
	Received  bool   `json:"received"`
	Applied   bool   `json:"applied"`
	ErrorCode string `json:"error_code"`
	Error     string `json:"error"`
}

// post delivers payload to POST /webhooks/stripe through a.Handler().
func post(t *testing.T, a *authos.Authos, payload []byte, h http.Header) webhookReply {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/webhooks/stripe", bytes.NewReader(payload))
	for k, v := range h {
		r.Header[k] = v
	}
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	oapitest.Handler(t, a.Handler()).ServeHTTP(w, r)
	var rep webhookReply
	if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil {
		t.Fatalf("reply %d %q: %v", w.Code, w.Body.String(), err)
	}
	rep.status = w.Code
	return rep
}

func tierOf(t *testing.T, a *authos.Authos, orgID string) store.Organization {
	t.Helper()
	o, err := a.Store().GetOrg(context.Background(), orgID)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestEndToEndWebhookHTTP(t *testing.T) {
	b := newBilling(t, nil)
	a, org := newAuthos(t, b)
	ctx := context.Background()
	if !slices.Contains(a.Routes(), "POST /webhooks/stripe") {
		t.Fatalf("root serves no POST /webhooks/stripe route: %v", a.Routes())
	}

	// subscription.updated moves the tier.
	payload := eventJSON(t, "evt_up_1", "customer.subscription.updated", subscriptionObject(org.ID, "active", pricePro, "pro"))
	rep := post(t, a, payload, signed(payload, testSecret, time.Now()))
	if rep.status != http.StatusOK || !rep.Received || !rep.Applied {
		t.Fatalf("first delivery: %+v", rep)
	}
	o := tierOf(t, a, org.ID)
	if o.Tier != "pro" || o.StripeCustomerID != "cus_123" || o.StripeSubscriptionID != "sub_123" {
		t.Fatalf("after webhook: tier %q customer %q subscription %q", o.Tier, o.StripeCustomerID, o.StripeSubscriptionID)
	}
	entries, _, err := a.ListAudit(ctx, store.AuditFilter{TargetID: org.ID, Action: "update_organization_tier"})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].ActorID != "billing:stripe" {
		t.Fatalf("audit entries %+v", entries)
	}

	// Another path changes the tier meanwhile: approval onto enterprise.
	if _, err := a.TransitionOrganization(ctx, "platform-owner", authos.OrgTransition{OrgID: org.ID, Action: "approve", Tier: "enterprise"}); err != nil {
		t.Fatal(err)
	}

	// Stripe redelivers the same event (same body, fresh signature): nothing changes.
	rep = post(t, a, payload, signed(payload, testSecret, time.Now().Add(time.Second)))
	if rep.status != http.StatusOK || !rep.Received || rep.Applied {
		t.Fatalf("redelivery: %+v", rep)
	}
	if o := tierOf(t, a, org.ID); o.Tier != "enterprise" || o.Status != store.OrgActive {
		t.Fatalf("redelivery changed the org: tier %q status %q", o.Tier, o.Status)
	}
	entries, _, _ = a.ListAudit(ctx, store.AuditFilter{TargetID: org.ID, Action: "update_organization_tier"})
	if len(entries) != 1 {
		t.Fatalf("redelivery wrote audit: %d entries", len(entries))
	}

	// Bad signature, wrong secret, old timestamp: 400 BAD_REQUEST, nothing changes.
	other := eventJSON(t, "evt_up_2", "customer.subscription.updated", subscriptionObject(org.ID, "active", priceStart, "starter"))
	for name, h := range map[string]http.Header{
		"bad signature": {"Stripe-Signature": {"t=" + strconv.FormatInt(time.Now().Unix(), 10) + ",v1=" + string(bytes.Repeat([]byte("ab"), 32))}},
		"wrong secret":  signed(other, "whsec_attacker", time.Now()),
		"old timestamp": signed(other, testSecret, time.Now().Add(-10*time.Minute)),
		"no signature":  {},
	} {
		rep := post(t, a, other, h)
		if rep.status != http.StatusBadRequest || rep.ErrorCode != "BAD_REQUEST" {
			t.Errorf("%s: %+v, want 400 BAD_REQUEST", name, rep)
		}
		if bytes.Contains([]byte(rep.Error), []byte(testSecret)) {
			t.Errorf("%s: reply echoes the secret", name)
		}
	}
	if o := tierOf(t, a, org.ID); o.Tier != "enterprise" {
		t.Fatalf("refused webhooks changed the tier to %q", o.Tier)
	}
	// The refused event was not recorded: once signed properly it applies.
	rep = post(t, a, other, signed(other, testSecret, time.Now()))
	if rep.status != http.StatusOK || !rep.Applied {
		t.Fatalf("properly signed after refusals: %+v", rep)
	}
	if o := tierOf(t, a, org.ID); o.Tier != "starter" {
		t.Fatalf("tier %q, want starter", o.Tier)
	}

	// An event of another type is recorded only.
	inv := eventJSON(t, "evt_inv_1", "invoice.paid", map[string]any{"id": "in_1", "object": "invoice"})
	if rep := post(t, a, inv, signed(inv, testSecret, time.Now())); rep.status != http.StatusOK || !rep.Applied {
		t.Fatalf("invoice.paid: %+v", rep)
	}
	if rep := post(t, a, inv, signed(inv, testSecret, time.Now())); rep.status != http.StatusOK || rep.Applied {
		t.Fatalf("invoice.paid again: %+v", rep)
	}
	if o := tierOf(t, a, org.ID); o.Tier != "starter" {
		t.Fatalf("invoice.paid changed the tier to %q", o.Tier)
	}

	// The subscription ends: back to free.
	del := eventJSON(t, "evt_del_1", "customer.subscription.deleted", subscriptionObject(org.ID, "canceled", priceStart, "starter"))
	if rep := post(t, a, del, signed(del, testSecret, time.Now())); rep.status != http.StatusOK || !rep.Applied {
		t.Fatalf("subscription.deleted: %+v", rep)
	}
	if o := tierOf(t, a, org.ID); o.Tier != authos.TierFree {
		t.Fatalf("tier %q after deletion, want free", o.Tier)
	}
}

func TestEndToEndConcurrentRedelivery(t *testing.T) {
	b := newBilling(t, nil)
	a, org := newAuthos(t, b)
	payload := eventJSON(t, "evt_race", "customer.subscription.created", subscriptionObject(org.ID, "active", pricePro, "pro"))
	var wg sync.WaitGroup
	var mu sync.Mutex
	applied := 0
	for range 8 {
		wg.Go(func() {
			rep := post(t, a, payload, signed(payload, testSecret, time.Now()))
			if rep.status != http.StatusOK {
				t.Errorf("concurrent delivery: %+v", rep)
			}
			if rep.Applied {
				mu.Lock()
				applied++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if applied != 1 {
		t.Fatalf("%d deliveries applied, want exactly 1", applied)
	}
	if o := tierOf(t, a, org.ID); o.Tier != "pro" {
		t.Fatalf("tier %q", o.Tier)
	}
}

// TestEndToEndDirect drives ParseWebhook and HandleBillingWebhook without HTTP.
func TestEndToEndDirect(t *testing.T) {
	api := subscriptionAPI(t, map[string]fakeSubscription{"sub_77": {"active", priceStart}})
	b := newBilling(t, func(c *stripe.Config) { c.APIBase = api })
	a, org := newAuthos(t, b)
	ctx := context.Background()

	payload := eventJSON(t, "evt_cs_1", "checkout.session.completed", map[string]any{
		"id": "cs_1", "object": "checkout.session", "mode": "subscription", "payment_status": "paid",
		"client_reference_id": org.ID, "customer": "cus_77", "subscription": "sub_77",
		"metadata": map[string]any{"org_id": org.ID, "tier": "pro"},
	})
	ev, err := b.ParseWebhook(ctx, payload, signed(payload, testSecret, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	ok, err := a.HandleBillingWebhook(ctx, ev)
	if err != nil || !ok {
		t.Fatalf("applied %v, err %v", ok, err)
	}
	o := tierOf(t, a, org.ID)
	if o.Tier != "starter" || o.StripeCustomerID != "cus_77" || o.StripeSubscriptionID != "sub_77" {
		t.Fatalf("org after checkout.session.completed: %+v", o)
	}
	if ok, err := a.HandleBillingWebhook(ctx, ev); err != nil || ok {
		t.Fatalf("second apply: applied %v, err %v", ok, err)
	}

	// A tier authos knows but Stripe has no price for cannot be bought.
	if _, err := b.Checkout(ctx, o, "enterprise", "owner@example.com"); !errors.Is(err, authos.CodeBadRequest) {
		t.Fatalf("checkout for a tier without price: %v, want BAD_REQUEST", err)
	}
}
