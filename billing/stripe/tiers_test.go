package stripe_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/billing/stripe"
	"github.com/authos/authos/store"
)

// deliver posts a signed event to POST /webhooks/stripe and asserts 200.
func deliver(t *testing.T, a *authos.Authos, payload []byte) webhookReply {
	t.Helper()
	rep := post(t, a, payload, signed(payload, testSecret, time.Now()))
	if rep.status != http.StatusOK || !rep.Received {
		t.Fatalf("delivery: %+v", rep)
	}
	return rep
}

// wantTier asserts the stored organization's tier and returns it.
func wantTier(t *testing.T, a *authos.Authos, orgID, tier, why string) store.Organization {
	t.Helper()
	o := tierOf(t, a, orgID)
	if o.Tier != tier {
		t.Fatalf("%s: tier %q; want %q", why, o.Tier, tier)
	}
	return o
}

func checkoutCompleted(orgID, paymentStatus, subID, metaTier string) map[string]any {
	return map[string]any{
		"id": "cs_" + subID, "object": "checkout.session", "mode": "subscription", "payment_status": paymentStatus,
		"client_reference_id": orgID, "customer": "cus_" + subID, "subscription": subID,
		"metadata": map[string]any{"org_id": orgID, "tier": metaTier},
	}
}

// TestStripeWebhookGrantsOnlyPaidTiers: checkout.session.completed with
// payment_status unpaid and metadata.tier enterprise moved the org to a tier
// with no price, and incomplete or past_due subscriptions granted paid
// tiers. Only paid, active states grant now, and only the tiers of
// configured prices.
func TestStripeWebhookGrantsOnlyPaidTiers(t *testing.T) {
	api := subscriptionAPI(t, map[string]fakeSubscription{
		"sub_paid":       {"active", pricePro},
		"sub_incomplete": {"incomplete", pricePro},
		"sub_unpriced":   {"active", "price_not_configured"},
	})
	b := newBilling(t, func(c *stripe.Config) { c.APIBase = api })
	for _, be := range backends.List(t, true) {
		t.Run(be.Name, func(t *testing.T) {
			a, org := newAuthosOn(t, b, be.Open(t))

			deliver(t, a, eventJSON(t, "evt_unpaid", "checkout.session.completed", checkoutCompleted(org.ID, "unpaid", "sub_paid", "enterprise")))
			wantTier(t, a, org.ID, "free", "unpaid checkout naming enterprise")
			deliver(t, a, eventJSON(t, "evt_paid_incomplete", "checkout.session.completed", checkoutCompleted(org.ID, "paid", "sub_incomplete", "pro")))
			wantTier(t, a, org.ID, "free", "paid checkout of an incomplete subscription")
			deliver(t, a, eventJSON(t, "evt_paid_unpriced", "checkout.session.completed", checkoutCompleted(org.ID, "paid", "sub_unpriced", "enterprise")))
			wantTier(t, a, org.ID, "free", "paid checkout of a price no tier has")
			for _, status := range []string{"incomplete", "past_due"} {
				deliver(t, a, eventJSON(t, "evt_"+status, "customer.subscription.updated", subscriptionObject(org.ID, status, pricePro, "pro")))
				wantTier(t, a, org.ID, "free", "subscription "+status)
			}
			deliver(t, a, eventJSON(t, "evt_meta", "customer.subscription.updated", subscriptionObject(org.ID, "active", "price_not_configured", "enterprise")))
			o := wantTier(t, a, org.ID, "free", "active subscription of an unconfigured price naming enterprise")
			if o.StripeSubscriptionID != "" || !o.BillingEventAt.IsZero() {
				t.Fatalf("events that granted nothing changed the org: %+v", o)
			}
			if entries, _, _ := a.ListAudit(context.Background(), store.AuditFilter{TargetID: org.ID, Action: "update_organization_tier"}); len(entries) != 0 {
				t.Fatalf("audit entries for events that granted nothing: %+v", entries)
			}

			// Paid: the tier of the subscription's price, whatever the metadata says.
			deliver(t, a, eventJSON(t, "evt_paid", "checkout.session.completed", checkoutCompleted(org.ID, "paid", "sub_paid", "enterprise")))
			o = wantTier(t, a, org.ID, "pro", "paid checkout of the pro price")
			if o.StripeSubscriptionID != "sub_paid" || o.StripeCustomerID != "cus_sub_paid" || !o.BillingEventAt.Equal(testCreated) {
				t.Fatalf("after the paid checkout: %+v", o)
			}
			// past_due keeps the tier; it neither upgrades nor drops it.
			past := subscriptionObject(org.ID, "past_due", priceStart, "")
			past["id"] = "sub_paid"
			deliver(t, a, eventJSONAt(t, "evt_past_due", "customer.subscription.updated", testCreated.Add(time.Minute), past))
			wantTier(t, a, org.ID, "pro", "past_due")
		})
	}
}

// TestStripeWebhookAppliesEventsInOrder: an older event overwrote a newer
// one. The organization keeps the time of the last event that moved its
// tier; an older one is recorded and changes nothing.
func TestStripeWebhookAppliesEventsInOrder(t *testing.T) {
	b := newBilling(t, nil)
	for _, be := range backends.List(t, true) {
		t.Run(be.Name, func(t *testing.T) {
			a, org := newAuthosOn(t, b, be.Open(t))
			t0 := testCreated.Add(-time.Hour)
			canceled := eventJSONAt(t, "evt_newer", "customer.subscription.updated", t0.Add(10*time.Second),
				subscriptionObject(org.ID, "canceled", pricePro, ""))
			active := eventJSONAt(t, "evt_older", "customer.subscription.updated", t0,
				subscriptionObject(org.ID, "active", pricePro, ""))
			upgraded := eventJSONAt(t, "evt_newest", "customer.subscription.updated", t0.Add(20*time.Second),
				subscriptionObject(org.ID, "active", priceStart, ""))

			if rep := deliver(t, a, canceled); !rep.Applied {
				t.Fatalf("newer event not applied: %+v", rep)
			}
			o := wantTier(t, a, org.ID, "free", "canceled")
			if !o.BillingEventAt.Equal(t0.Add(10 * time.Second)) {
				t.Fatalf("BillingEventAt = %v; want %v", o.BillingEventAt, t0.Add(10*time.Second))
			}
			if rep := deliver(t, a, active); rep.Applied {
				t.Fatalf("older event applied: %+v", rep)
			}
			o = wantTier(t, a, org.ID, "free", "an older active event after a newer cancellation")
			if !o.BillingEventAt.Equal(t0.Add(10 * time.Second)) {
				t.Fatalf("the older event moved BillingEventAt to %v", o.BillingEventAt)
			}
			// The older event was recorded: redelivered, it is still nothing.
			if rep := deliver(t, a, active); rep.Applied {
				t.Fatalf("older event applied on redelivery: %+v", rep)
			}
			deliver(t, a, upgraded)
			o = wantTier(t, a, org.ID, "starter", "the newest event")
			if !o.BillingEventAt.Equal(t0.Add(20 * time.Second)) {
				t.Fatalf("BillingEventAt = %v; want %v", o.BillingEventAt, t0.Add(20*time.Second))
			}

			// An old subscription ending after the organization moved to a
			// new one does not drop it to free.
			old := subscriptionObject(org.ID, "canceled", priceStart, "")
			old["id"] = "sub_old"
			if rep := deliver(t, a, eventJSONAt(t, "evt_old_sub", "customer.subscription.deleted", t0.Add(30*time.Second), old)); rep.Applied {
				t.Fatalf("another subscription's end applied: %+v", rep)
			}
			wantTier(t, a, org.ID, "starter", "another subscription ended")
		})
	}
}

// TestStripeWebhookRefusesFutureTimestamps: a signature timestamp a day in
// the future was accepted. Timestamps outside ± the tolerance are refused
// and the event is not recorded.
func TestStripeWebhookRefusesFutureTimestamps(t *testing.T) {
	b := newBilling(t, nil)
	for _, be := range backends.List(t, true) {
		t.Run(be.Name, func(t *testing.T) {
			a, org := newAuthosOn(t, b, be.Open(t))
			payload := eventJSON(t, "evt_future", "customer.subscription.updated", subscriptionObject(org.ID, "active", pricePro, ""))
			for _, skew := range []time.Duration{24 * time.Hour, stripe.Tolerance + 5*time.Second, -stripe.Tolerance - 5*time.Second} {
				rep := post(t, a, payload, signed(payload, testSecret, time.Now().Add(skew)))
				if rep.status != http.StatusBadRequest || rep.ErrorCode != "BAD_REQUEST" {
					t.Fatalf("signed %v from now: %+v; want 400 BAD_REQUEST", skew, rep)
				}
			}
			wantTier(t, a, org.ID, "free", "refused timestamps")
			// Not recorded: signed now, the same event applies.
			if rep := deliver(t, a, payload); !rep.Applied {
				t.Fatalf("the event after refusals: %+v", rep)
			}
			wantTier(t, a, org.ID, "pro", "signed now")
		})
	}
}
