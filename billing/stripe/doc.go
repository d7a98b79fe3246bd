// Package stripe is the Stripe implementation of authos.Billing.
//
// It starts subscription-mode Checkout Sessions for an organization and
// verifies and decodes Stripe webhooks into authos.BillingEvent values, which
// (*authos.Authos).HandleBillingWebhook applies once per event id:
//
//	b, err := stripe.New(stripe.Config{
//		SecretKey:     os.Getenv("STRIPE_SECRET_KEY"),
//		WebhookSecret: os.Getenv("STRIPE_WEBHOOK_SECRET"),
//		Prices:        map[string]string{"starter": "price_...", "pro": "price_..."},
//		SuccessURL:    "https://app.example.com/billing/success",
//		CancelURL:     "https://app.example.com/billing",
//	})
//	a, err := authos.New(ctx, authos.Config{..., Billing: b})
//
// Checkout Sessions carry the organization id as client_reference_id and
// metadata {org_id, tier} on both the session and the subscription, so every
// later subscription event can be tied back to its organization. The tier of
// a subscription event is the tier whose price id matches the subscription's
// first item (falling back to the tier in its metadata), or "free" once the
// subscription is canceled, unpaid, incomplete_expired or deleted.
//
// Webhooks are verified with the endpoint's signing secret (300 s timestamp
// tolerance). The event's API version is not required to match the one
// stripe-go pins: payloads are decoded defensively, reading only the few
// fields this package needs. Events of other types decode to a BillingEvent
// with an empty OrgID, which authos records without changing anything.
//
// The package is built on github.com/stripe/stripe-go/v85. Hosts that do
// not use billing never import it.
package stripe
