package stripe_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/billing/stripe"
)

func TestParseWebhookEvents(t *testing.T) {
	b := newBilling(t, nil)
	ctx := context.Background()
	at := testCreated
	sub := func(id string) authos.BillingEvent {
		return authos.BillingEvent{Source: "stripe", ID: id, Created: at, OrgID: "org_1", CustomerID: "cus_123", SubscriptionID: "sub_123"}
	}
	with := func(ev authos.BillingEvent, tier string) authos.BillingEvent { ev.Tier = tier; return ev }
	cases := []struct {
		name    string
		payload []byte
		want    authos.BillingEvent
	}{
		{
			name:    "subscription created, active: the price's tier, not the metadata's",
			payload: eventJSON(t, "evt_1", "customer.subscription.created", subscriptionObject("org_1", "active", pricePro, "starter")),
			want:    with(sub("evt_1"), "pro"),
		},
		{
			name:    "subscription updated, past_due: no change",
			payload: eventJSON(t, "evt_2", "customer.subscription.updated", subscriptionObject("org_1", "past_due", pricePro, "pro")),
			want:    sub("evt_2"),
		},
		{
			name:    "subscription updated, incomplete: no change",
			payload: eventJSON(t, "evt_2b", "customer.subscription.updated", subscriptionObject("org_1", "incomplete", pricePro, "pro")),
			want:    sub("evt_2b"),
		},
		{
			name:    "subscription updated, unknown price: the metadata tier is not taken",
			payload: eventJSON(t, "evt_3", "customer.subscription.updated", subscriptionObject("org_1", "active", "price_legacy", "enterprise")),
			want:    sub("evt_3"),
		},
		{
			name:    "subscription updated, canceled",
			payload: eventJSON(t, "evt_4", "customer.subscription.updated", subscriptionObject("org_1", "canceled", pricePro, "pro")),
			want:    with(sub("evt_4"), "free"),
		},
		{
			name:    "subscription updated, unpaid",
			payload: eventJSON(t, "evt_5", "customer.subscription.updated", subscriptionObject("org_1", "unpaid", pricePro, "pro")),
			want:    with(sub("evt_5"), "free"),
		},
		{
			name:    "subscription updated, paused",
			payload: eventJSON(t, "evt_5b", "customer.subscription.updated", subscriptionObject("org_1", "paused", pricePro, "pro")),
			want:    with(sub("evt_5b"), "free"),
		},
		{
			name:    "subscription created, incomplete_expired",
			payload: eventJSON(t, "evt_6", "customer.subscription.created", subscriptionObject("org_1", "incomplete_expired", pricePro, "pro")),
			want:    with(sub("evt_6"), "free"),
		},
		{
			name:    "subscription created, unknown status: no change",
			payload: eventJSON(t, "evt_6b", "customer.subscription.created", subscriptionObject("org_1", "something_new", pricePro, "pro")),
			want:    sub("evt_6b"),
		},
		{
			name:    "subscription deleted",
			payload: eventJSON(t, "evt_7", "customer.subscription.deleted", subscriptionObject("org_1", "canceled", pricePro, "pro")),
			want:    with(sub("evt_7"), "free"),
		},
		{
			name:    "subscription not made by authos (no org_id): recorded only",
			payload: eventJSON(t, "evt_8", "customer.subscription.updated", subscriptionObject("", "active", pricePro, "")),
			want:    authos.BillingEvent{Source: "stripe", ID: "evt_8", Created: at, Tier: "pro", CustomerID: "cus_123", SubscriptionID: "sub_123"},
		},
		{
			name: "subscription trialing, expanded customer and legacy plan",
			payload: eventJSON(t, "evt_9", "customer.subscription.updated", map[string]any{
				"id": "sub_9", "object": "subscription", "status": "trialing",
				"customer": map[string]any{"id": "cus_9", "object": "customer"},
				"metadata": map[string]any{"org_id": "org_9"},
				"items":    map[string]any{"data": []any{map[string]any{"plan": map[string]any{"id": priceStart}}}},
			}),
			want: authos.BillingEvent{Source: "stripe", ID: "evt_9", Created: at, OrgID: "org_9", Tier: "starter", CustomerID: "cus_9", SubscriptionID: "sub_9"},
		},
		{
			name: "checkout session completed, unpaid, metadata tier enterprise: no change",
			payload: eventJSON(t, "evt_10", "checkout.session.completed", map[string]any{
				"id": "cs_1", "object": "checkout.session", "mode": "subscription", "payment_status": "unpaid",
				"client_reference_id": "org_1", "customer": "cus_1", "subscription": "sub_1",
				"metadata": map[string]any{"org_id": "org_other", "tier": "enterprise"},
			}),
			want: authos.BillingEvent{Source: "stripe", ID: "evt_10", Created: at, OrgID: "org_1"},
		},
		{
			name: "checkout session completed, no payment required: no change",
			payload: eventJSON(t, "evt_11", "checkout.session.completed", map[string]any{
				"id": "cs_2", "object": "checkout.session", "mode": "subscription", "payment_status": "no_payment_required",
				"client_reference_id": nil, "customer": map[string]any{"id": "cus_2"}, "subscription": "sub_2",
				"metadata": map[string]any{"org_id": "org_2", "tier": "starter"},
			}),
			want: authos.BillingEvent{Source: "stripe", ID: "evt_11", Created: at, OrgID: "org_2"},
		},
		{
			name: "checkout session completed, paid but not a subscription: no change",
			payload: eventJSON(t, "evt_11b", "checkout.session.completed", map[string]any{
				"id": "cs_3", "object": "checkout.session", "mode": "payment", "payment_status": "paid",
				"client_reference_id": "org_3", "metadata": map[string]any{"tier": "pro"},
			}),
			want: authos.BillingEvent{Source: "stripe", ID: "evt_11b", Created: at, OrgID: "org_3"},
		},
		{
			name:    "other event type: recorded only",
			payload: eventJSON(t, "evt_12", "invoice.paid", map[string]any{"id": "in_1", "object": "invoice", "customer": "cus_1"}),
			want:    authos.BillingEvent{Source: "stripe", ID: "evt_12", Created: at},
		},
		{
			name:    "other event type with an unexpected object",
			payload: []byte(`{"id":"evt_13","object":"event","type":"v2.something","data":{"object":["not","an","object"]}}`),
			want:    authos.BillingEvent{Source: "stripe", ID: "evt_13"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := b.ParseWebhook(ctx, c.payload, signed(c.payload, testSecret, time.Now()))
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Fatalf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestParseWebhookRefused(t *testing.T) {
	b := newBilling(t, nil)
	payload := eventJSON(t, "evt_1", "customer.subscription.updated", subscriptionObject("org_1", "active", pricePro, "pro"))
	good := signed(payload, testSecret, time.Now())

	tampered := []byte(strings.Replace(string(payload), `"org_1"`, `"org_2"`, 1))
	cases := []struct {
		name    string
		payload []byte
		header  http.Header
	}{
		{"no header", payload, http.Header{}},
		{"garbage header", payload, http.Header{"Stripe-Signature": {"nonsense"}}},
		{"no v1 signature", payload, http.Header{"Stripe-Signature": {"t=" + good.Get("Stripe-Signature")[2:12]}}},
		{"wrong secret", payload, signed(payload, "whsec_someone_else", time.Now())},
		{"tampered body", tampered, good},
		{"old timestamp", payload, signed(payload, testSecret, time.Now().Add(-10*time.Minute))},
		{"just past tolerance", payload, signed(payload, testSecret, time.Now().Add(-301*time.Second))},
		{"a day in the future", payload, signed(payload, testSecret, time.Now().Add(24*time.Hour))},
		{"just past tolerance in the future", payload, signed(payload, testSecret, time.Now().Add(301*time.Second))},
		{"two timestamps", payload, http.Header{"Stripe-Signature": {"t=" + strconv.FormatInt(time.Now().Unix(), 10) + "," + good.Get("Stripe-Signature")}}},
		{"no timestamp", payload, http.Header{"Stripe-Signature": {good.Get("Stripe-Signature")[strings.Index(good.Get("Stripe-Signature"), ",")+1:]}}},
		{"not json", []byte("not json"), signed([]byte("not json"), testSecret, time.Now())},
		{"not an event", []byte(`{"id":"sub_1","object":"subscription"}`), signed([]byte(`{"id":"sub_1","object":"subscription"}`), testSecret, time.Now())},
		{"no id", []byte(`{"object":"event","type":"invoice.paid"}`), signed([]byte(`{"object":"event","type":"invoice.paid"}`), testSecret, time.Now())},
		{"subscription event without object", []byte(`{"id":"evt_x","object":"event","type":"customer.subscription.updated","data":{}}`),
			signed([]byte(`{"id":"evt_x","object":"event","type":"customer.subscription.updated","data":{}}`), testSecret, time.Now())},
		{"subscription event with a wrong object", []byte(`{"id":"evt_x","object":"event","type":"customer.subscription.updated","data":{"object":{"object":"invoice"}}}`),
			signed([]byte(`{"id":"evt_x","object":"event","type":"customer.subscription.updated","data":{"object":{"object":"invoice"}}}`), testSecret, time.Now())},
		{"subscription with malformed metadata", []byte(`{"id":"evt_x","object":"event","type":"customer.subscription.updated","data":{"object":{"object":"subscription","metadata":[1]}}}`),
			signed([]byte(`{"id":"evt_x","object":"event","type":"customer.subscription.updated","data":{"object":{"object":"subscription","metadata":[1]}}}`), testSecret, time.Now())},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := b.ParseWebhook(context.Background(), c.payload, c.header)
			var e *authos.Error
			if !errors.As(err, &e) || e.Code != authos.CodeBadRequest {
				t.Fatalf("err = %v, want BAD_REQUEST", err)
			}
			for _, s := range []string{e.Error(), e.PublicMessage(), errString(e.Err)} {
				if strings.Contains(s, testSecret) || strings.Contains(s, "s3cr3t") {
					t.Fatalf("error echoes the webhook secret: %q", s)
				}
			}
		})
	}

	// The good header still verifies: the cases above failed for their reason.
	if _, err := b.ParseWebhook(context.Background(), payload, good); err != nil {
		t.Fatal(err)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// FuzzParseWebhook feeds arbitrary Stripe-Signature headers and bodies to
// ParseWebhook. It must never panic, must refuse with BAD_REQUEST only, and
// may accept only a header with exactly one timestamp within Tolerance of
// now and a v1 signature that is the HMAC of that timestamp and the body
// under the webhook secret (computed here independently of the parser).
func FuzzParseWebhook(f *testing.F) {
	now := time.Now()
	for _, p := range [][]byte{
		eventJSON(f, "evt_f1", "customer.subscription.updated", subscriptionObject("org_1", "active", pricePro, "")),
		eventJSON(f, "evt_f2", "checkout.session.completed", map[string]any{"id": "cs_1", "object": "checkout.session",
			"mode": "subscription", "payment_status": "unpaid", "client_reference_id": "org_1", "subscription": "sub_1"}),
		eventJSON(f, "evt_f3", "invoice.paid", map[string]any{"id": "in_1", "object": "invoice"}),
	} {
		sig := signed(p, testSecret, now).Get(stripe.SignatureHeader)
		f.Add(sig, p)
		f.Add("t="+strconv.FormatInt(now.Unix(), 10)+","+sig, p)
		f.Add(signed(p, testSecret, now.Add(time.Hour)).Get(stripe.SignatureHeader), p)
	}
	f.Add("", []byte("{}"))
	f.Add("t=,v1=", []byte("null"))
	api := subscriptionAPI(f, map[string]fakeSubscription{"sub_1": {"active", pricePro}})
	b := newBilling(f, func(c *stripe.Config) {
		c.APIBase = api
		c.Now = func() time.Time { return now }
	})
	f.Fuzz(func(t *testing.T, header string, payload []byte) {
		ev, err := b.ParseWebhook(context.Background(), payload, http.Header{stripe.SignatureHeader: {header}})
		if err != nil {
			var e *authos.Error
			if !errors.As(err, &e) || e.Code != authos.CodeBadRequest {
				t.Fatalf("refusal is %v; want BAD_REQUEST", err)
			}
			return
		}
		var ts []int64
		var sigs [][]byte
		for _, part := range strings.Split(header, ",") {
			k, v, _ := strings.Cut(part, "=")
			switch k {
			case "t":
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					t.Fatalf("accepted a malformed timestamp in %q", header)
				}
				ts = append(ts, n)
			case "v1":
				if sig, err := hex.DecodeString(v); err == nil {
					sigs = append(sigs, sig)
				}
			}
		}
		if len(ts) != 1 {
			t.Fatalf("accepted %d timestamps in %q", len(ts), header)
		}
		if d := now.Sub(time.Unix(ts[0], 0)); d > stripe.Tolerance || d < -stripe.Tolerance {
			t.Fatalf("accepted a timestamp %v from now", d)
		}
		mac := hmac.New(sha256.New, []byte(testSecret))
		_, _ = fmt.Fprintf(mac, "%d.%s", ts[0], payload) // a hash.Hash never returns a write error
		want := mac.Sum(nil)
		if !slices.ContainsFunc(sigs, func(sig []byte) bool { return hmac.Equal(sig, want) }) {
			t.Fatalf("accepted %q without the body's signature", header)
		}
		if ev.Source != "stripe" || ev.ID == "" {
			t.Fatalf("accepted event %+v", ev)
		}
	})
}
