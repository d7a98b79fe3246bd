package stripe_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/authos/authos"
	"github.com/authos/authos/billing/stripe"
	"github.com/authos/authos/store"
)

func TestNewValidates(t *testing.T) {
	cases := map[string]func(*stripe.Config){
		"no secret key":       func(c *stripe.Config) { c.SecretKey = "" },
		"publishable key":     func(c *stripe.Config) { c.SecretKey = "pk_test_123" },
		"no webhook secret":   func(c *stripe.Config) { c.WebhookSecret = "" },
		"bad webhook secret":  func(c *stripe.Config) { c.WebhookSecret = "sk_test_swapped" },
		"no prices":           func(c *stripe.Config) { c.Prices = nil },
		"empty price":         func(c *stripe.Config) { c.Prices = map[string]string{"pro": ""} },
		"empty tier":          func(c *stripe.Config) { c.Prices = map[string]string{"": "price_1"} },
		"duplicate price":     func(c *stripe.Config) { c.Prices = map[string]string{"pro": "price_1", "starter": "price_1"} },
		"no success url":      func(c *stripe.Config) { c.SuccessURL = "" },
		"relative success":    func(c *stripe.Config) { c.SuccessURL = "/billing/ok" },
		"relative cancel":     func(c *stripe.Config) { c.CancelURL = "billing" },
		"non-http cancel":     func(c *stripe.Config) { c.CancelURL = "javascript:alert(1)" },
		"relative api base":   func(c *stripe.Config) { c.APIBase = "127.0.0.1:12111" },
		"non-http api base":   func(c *stripe.Config) { c.APIBase = "ftp://127.0.0.1" },
		"no host in api base": func(c *stripe.Config) { c.APIBase = "http://" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := testConfig()
			mutate(&cfg)
			b, err := stripe.New(cfg)
			if err == nil || b != nil {
				t.Fatalf("New accepted a bad config: %v", err)
			}
			if strings.Contains(err.Error(), testKey) || strings.Contains(err.Error(), testSecret) {
				t.Fatalf("config error leaks a secret: %v", err)
			}
		})
	}
	if _, err := stripe.New(testConfig()); err != nil {
		t.Fatalf("valid config refused: %v", err)
	}
	cfg := testConfig()
	cfg.SecretKey, cfg.APIBase = "rk_test_restricted", "http://127.0.0.1:12111/"
	if _, err := stripe.New(cfg); err != nil {
		t.Fatalf("restricted key / api base refused: %v", err)
	}
}

// fakeStripe records the checkout session requests it receives.
type fakeStripe struct {
	mu    sync.Mutex
	forms []url.Values
	auth  []string
}

func (f *fakeStripe) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/checkout/sessions" {
		http.Error(w, `{"error":{"type":"invalid_request_error","message":"unexpected"}}`, http.StatusNotFound)
		return
	}
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	f.mu.Lock()
	f.forms = append(f.forms, form)
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"id":"cs_test_1","object":"checkout.session","mode":"subscription","url":"https://checkout.stripe.com/c/pay/cs_test_1"}`) // a failed write shows as a wrong answer in the test
}

func TestCheckoutRequest(t *testing.T) {
	fake := &fakeStripe{}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	b := newBilling(t, func(c *stripe.Config) { c.APIBase = srv.URL; c.HTTPClient = srv.Client() })
	ctx := context.Background()

	u, err := b.Checkout(ctx, store.Organization{ID: "org_1", Slug: "acme"}, "pro", "owner@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if u != "https://checkout.stripe.com/c/pay/cs_test_1" {
		t.Fatalf("url = %q", u)
	}
	_, err = b.Checkout(ctx, store.Organization{ID: "org_2", StripeCustomerID: "cus_9"}, "starter", "owner@example.com")
	if err != nil {
		t.Fatal(err)
	}

	if len(fake.forms) != 2 {
		t.Fatalf("%d requests", len(fake.forms))
	}
	if fake.auth[0] != "Bearer "+testKey {
		t.Errorf("authorization header %q", fake.auth[0])
	}
	want := map[string]string{
		"mode":                                "subscription",
		"client_reference_id":                 "org_1",
		"line_items[0][price]":                pricePro,
		"line_items[0][quantity]":             "1",
		"metadata[org_id]":                    "org_1",
		"metadata[tier]":                      "pro",
		"subscription_data[metadata][org_id]": "org_1",
		"subscription_data[metadata][tier]":   "pro",
		"customer_email":                      "owner@example.com",
		"success_url":                         testConfig().SuccessURL,
		"cancel_url":                          testConfig().CancelURL,
	}
	for k, v := range want {
		if got := fake.forms[0].Get(k); got != v {
			t.Errorf("first session %s = %q, want %q", k, got, v)
		}
	}
	if fake.forms[0].Has("customer") {
		t.Errorf("customer sent without a customer id")
	}
	second := fake.forms[1]
	if second.Get("customer") != "cus_9" || second.Has("customer_email") {
		t.Errorf("second session: customer %q, customer_email %q", second.Get("customer"), second.Get("customer_email"))
	}
	if second.Get("line_items[0][price]") != priceStart || second.Get("subscription_data[metadata][tier]") != "starter" ||
		second.Get("client_reference_id") != "org_2" {
		t.Errorf("second session: %v", second)
	}
}

func TestCheckoutUnknownTier(t *testing.T) {
	b := newBilling(t, func(c *stripe.Config) { c.APIBase = "http://127.0.0.1:1" })
	for _, tier := range []string{"", "free", "platinum"} {
		_, err := b.Checkout(context.Background(), store.Organization{ID: "org_1"}, tier, "")
		if !errors.Is(err, authos.CodeBadRequest) {
			t.Errorf("tier %q: %v, want BAD_REQUEST", tier, err)
		}
	}
	_, err := b.Checkout(context.Background(), store.Organization{}, "pro", "")
	if !errors.Is(err, authos.CodeBadRequest) {
		t.Errorf("org without id: %v, want BAD_REQUEST", err)
	}
}

func TestCheckoutStripeFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	if err := ln.Close(); err != nil { // frees the port the test then dials
		t.Fatal(err)
	}
	b := newBilling(t, func(c *stripe.Config) { c.APIBase = closed })
	_, err = b.Checkout(context.Background(), store.Organization{ID: "org_1"}, "pro", "a@example.com")
	assertStripeError(t, err)

	// An API error answer (Stripe's error text is internal only).
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: `+testKey+`"}}`) // a failed write shows as a wrong answer in the test
	}))
	defer srv.Close()
	b = newBilling(t, func(c *stripe.Config) { c.APIBase = srv.URL })
	_, err = b.Checkout(context.Background(), store.Organization{ID: "org_1"}, "pro", "a@example.com")
	assertStripeError(t, err)
	if !strings.Contains(errors.Unwrap(err).Error(), "Invalid API Key") {
		t.Errorf("the cause should keep Stripe's error: %v", errors.Unwrap(err))
	}

	// A session without a URL.
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"cs_1","object":"checkout.session"}`) // a failed write shows as a wrong answer in the test
	}))
	defer srv2.Close()
	b = newBilling(t, func(c *stripe.Config) { c.APIBase = srv2.URL })
	_, err = b.Checkout(context.Background(), store.Organization{ID: "org_1"}, "pro", "")
	assertStripeError(t, err)
}

func assertStripeError(t *testing.T, err error) {
	t.Helper()
	var e *authos.Error
	if !errors.As(err, &e) || e.Code != authos.CodeStripeError {
		t.Fatalf("err = %v, want STRIPE_ERROR", err)
	}
	if e.Err == nil {
		t.Errorf("STRIPE_ERROR without a cause")
	}
	for _, s := range []string{e.PublicMessage(), e.Error()} {
		if strings.Contains(s, testKey) || strings.Contains(s, "sk_test") || strings.Contains(s, testSecret) ||
			strings.Contains(s, "127.0.0.1") || strings.Contains(s, "Invalid API Key") {
			t.Errorf("public error leaks internals: %q", s)
		}
	}
}
