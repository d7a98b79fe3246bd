package stripe_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authos/authos/billing/stripe"
	"github.com/stripe/stripe-go/v85/webhook"
)

const (
	testKey    = "sk_test_4eC39HqLyjWDarjtT1zdp7dcSECRETKEY"
	testSecret = "whsec_test_s3cr3t_do_not_echo"
	priceStart = "price_starter_123"
	pricePro   = "price_pro_456"
)

func testConfig() stripe.Config {
	return stripe.Config{
		SecretKey:     testKey,
		WebhookSecret: testSecret,
		Prices:        map[string]string{"starter": priceStart, "pro": pricePro},
		SuccessURL:    "https://app.example.com/billing/success?session_id={CHECKOUT_SESSION_ID}",
		CancelURL:     "https://app.example.com/billing",
	}
}

func newBilling(t testing.TB, mutate func(*stripe.Config)) *stripe.Billing {
	t.Helper()
	cfg := testConfig()
	if mutate != nil {
		mutate(&cfg)
	}
	b, err := stripe.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// testCreated is the creation time eventJSON gives events.
var testCreated = time.Now().UTC().Truncate(time.Second)

// eventJSON builds a Stripe event envelope around object, created at
// testCreated.
func eventJSON(t testing.TB, id, typ string, object map[string]any) []byte {
	t.Helper()
	return eventJSONAt(t, id, typ, testCreated, object)
}

// eventJSONAt builds a Stripe event envelope around object, created at created.
func eventJSONAt(t testing.TB, id, typ string, created time.Time, object map[string]any) []byte {
	t.Helper()
	ev := map[string]any{
		"id":          id,
		"object":      "event",
		"api_version": "2020-08-27", // not stripe-go's: must be accepted
		"created":     created.Unix(),
		"livemode":    false,
		"type":        typ,
		"request":     "req_legacy_string_form",
		"data":        map[string]any{"object": object},
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func subscriptionObject(orgID, status, price, metaTier string) map[string]any {
	meta := map[string]any{}
	if orgID != "" {
		meta["org_id"] = orgID
	}
	if metaTier != "" {
		meta["tier"] = metaTier
	}
	return map[string]any{
		"id":       "sub_123",
		"object":   "subscription",
		"customer": "cus_123",
		"status":   status,
		"metadata": meta,
		"items": map[string]any{
			"object": "list",
			"data": []any{map[string]any{
				"id":     "si_1",
				"object": "subscription_item",
				"price":  map[string]any{"id": price, "object": "price"},
			}},
		},
	}
}

// signed signs payload with secret at ts and returns the header set.
func signed(payload []byte, secret string, ts time.Time) http.Header {
	sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: ts})
	h := http.Header{}
	h.Set("Stripe-Signature", sp.Header)
	return h
}

// fakeSubscription is what subscriptionAPI answers for one subscription.
type fakeSubscription struct {
	status, price string
}

// subscriptionAPI serves GET /v1/subscriptions/{id} on loopback from subs (404
// for others) and returns its base URL, for Config.APIBase.
func subscriptionAPI(t testing.TB, subs map[string]fakeSubscription) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := strings.CutPrefix(r.URL.Path, "/v1/subscriptions/")
		s, known := subs[id]
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodGet || !ok || !known {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":{"type":"invalid_request_error","message":"No such subscription"}}`)) // a failed write shows as a wrong answer in the test
			return
		}
		obj := subscriptionObject("", s.status, s.price, "")
		obj["id"] = id
		_ = json.NewEncoder(w).Encode(obj) // a failed write shows as a wrong answer in the test
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
