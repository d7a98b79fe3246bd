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
// later subscription event can be tied back to its organization. Only paid,
// active states grant a tier, and only the tier whose configured price
// (Config.Prices) the subscription holds; the metadata's tier is never
// trusted:
//
//   - a subscription created or updated in status active or trialing gets
//     the tier of its price (a price no tier has changes nothing);
//   - canceled, unpaid, incomplete_expired, paused or deleted: "free";
//   - incomplete and past_due change nothing: no upgrade, and the current
//     tier stays until Stripe moves the subscription on;
//   - checkout.session.completed grants only in subscription mode with
//     payment_status paid, reading the subscription back from Stripe for its
//     status and price (no_payment_required grants nothing here: its
//     subscription's own events do).
//
// Every decoded event carries its created time, by which authos orders an
// organization's tier changes (an older event never overwrites a newer one).
//
// Webhooks are verified with the endpoint's signing secret; the signed
// timestamp must lie within 300 s of now on either side. The event's API
// version is not required to match the one stripe-go pins: payloads are
// decoded defensively, reading only the few fields this package needs.
// Events of other types decode to a BillingEvent with an empty OrgID, which
// authos records without changing anything.
//
// The package is built on github.com/stripe/stripe-go/v85. Hosts that do
// not use billing never import it.
package stripe
