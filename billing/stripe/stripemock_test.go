package stripe_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/authos/authos/billing/stripe"
	"github.com/authos/authos/store"
)

// stripeMock starts stripe-mock (AUTHOS_TEST_STRIPE_MOCK, else stripe-mock
// on PATH) on 127.0.0.1 with ports the system picks, and returns its HTTP
// base URL. The process is killed when the test ends. It skips the test
// only when stripe-mock is absent.
func stripeMock(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("AUTHOS_TEST_STRIPE_MOCK")
	if bin == "" {
		p, err := exec.LookPath("stripe-mock")
		if err != nil {
			t.Skip("stripe-mock not found: set AUTHOS_TEST_STRIPE_MOCK or put stripe-mock on PATH " +
				"(go install github.com/stripe/stripe-mock@latest)")
		}
		bin = p
	}
	// An empty port lets the system choose a free one; stripe-mock prints
	// the addresses it listens on, so there is no window for another
	// process to take a pre-picked port.
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:", "-https-addr", "127.0.0.1:")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})

	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sent := false
		for sc.Scan() { // keep draining so stripe-mock never blocks on output
			line := sc.Text()
			const prefix = "Listening for HTTP at address: "
			if i := strings.Index(line, prefix); i >= 0 && !sent {
				addr <- strings.TrimSpace(line[i+len(prefix):])
				sent = true
			}
		}
		if !sent {
			close(addr)
		}
	}()
	var base string
	select {
	case a, ok := <-addr:
		if !ok {
			t.Fatal("stripe-mock exited without listening")
		}
		base = "http://" + a
	case <-time.After(60 * time.Second):
		t.Fatal("stripe-mock did not report its HTTP address within 60 s")
	}

	// Wait until it answers.
	deadline := time.Now().Add(30 * time.Second)
	for {
		req, _ := http.NewRequest(http.MethodGet, base+"/v1/customers", nil)
		req.Header.Set("Authorization", "Bearer sk_test_123")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = resp.Body.Close() // read to the end; closing only frees the connection
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("stripe-mock at %s not answering: %v", base, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestCheckoutStripeMock(t *testing.T) {
	base := stripeMock(t)
	b := newBilling(t, func(c *stripe.Config) { c.APIBase = base })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	for _, org := range []store.Organization{
		{ID: "org_1", Slug: "acme"},
		{ID: "org_2", Slug: "globex", StripeCustomerID: "cus_123"},
	} {
		u, err := b.Checkout(ctx, org, "pro", "owner@example.com")
		if err != nil {
			t.Fatalf("checkout for %s: %v (cause: %v)", org.ID, err, unwrapCause(err))
		}
		if u == "" {
			t.Fatalf("checkout for %s: empty url", org.ID)
		}
		t.Logf("checkout url from stripe-mock: %s", u)
	}
}

func unwrapCause(err error) error {
	if u, ok := err.(interface{ Unwrap() error }); ok {
		return u.Unwrap()
	}
	return nil
}

// TestPaidCheckoutReadsSubscriptionStripeMock: a paid checkout's tier comes
// from the subscription read back through the real API client, mapped by
// its price; stripe-mock's fixture price is configured as the pro tier.
func TestPaidCheckoutReadsSubscriptionStripeMock(t *testing.T) {
	base := stripeMock(t)
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/subscriptions/sub_mock", nil)
	req.Header.Set("Authorization", "Bearer sk_test_123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var fixture struct {
		Status string `json:"status"`
		Items  struct {
			Data []struct {
				Price struct {
					ID string `json:"id"`
				} `json:"price"`
			} `json:"data"`
		} `json:"items"`
	}
	err = json.NewDecoder(resp.Body).Decode(&fixture)
	_ = resp.Body.Close() // decoded; closing only frees the connection
	if err != nil || len(fixture.Items.Data) == 0 || fixture.Items.Data[0].Price.ID == "" || fixture.Status != "active" {
		t.Fatalf("stripe-mock subscription fixture: %+v, %v", fixture, err)
	}
	b := newBilling(t, func(c *stripe.Config) {
		c.APIBase = base
		c.Prices = map[string]string{"pro": fixture.Items.Data[0].Price.ID}
	})
	payload := eventJSON(t, "evt_mock_cs", "checkout.session.completed", map[string]any{
		"id": "cs_mock", "object": "checkout.session", "mode": "subscription", "payment_status": "paid",
		"client_reference_id": "org_1", "customer": "cus_mock", "subscription": "sub_mock",
		"metadata": map[string]any{"org_id": "org_1", "tier": "enterprise"},
	})
	ev, err := b.ParseWebhook(context.Background(), payload, signed(payload, testSecret, time.Now()))
	if err != nil {
		t.Fatalf("%v (cause: %v)", err, unwrapCause(err))
	}
	if ev.OrgID != "org_1" || ev.Tier != "pro" || ev.SubscriptionID != "sub_mock" || ev.CustomerID != "cus_mock" {
		t.Fatalf("event = %+v; want org_1 on pro", ev)
	}
}
