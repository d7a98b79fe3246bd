package stripe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/authos/authos"
	"github.com/stripe/stripe-go/v85/webhook"
)

// SignatureHeader is the header carrying a webhook's signature.
const SignatureHeader = "Stripe-Signature"

// Tolerance is how far a webhook's signed timestamp may lie from now, in
// the past or in the future.
const Tolerance = webhook.DefaultTolerance

// Event types ParseWebhook decodes into a tier change.
const (
	// EventSubscriptionCreated: see EventSubscriptionUpdated.
	EventSubscriptionCreated = "customer.subscription.created"
	// EventSubscriptionUpdated: active or trialing grants the tier of the
	// subscription's configured price; canceled, unpaid,
	// incomplete_expired and paused move to free; incomplete and past_due
	// change nothing (no upgrade; the current tier stays until Stripe ends
	// the subscription).
	EventSubscriptionUpdated = "customer.subscription.updated"
	// EventSubscriptionDeleted: back to free.
	EventSubscriptionDeleted = "customer.subscription.deleted"
	// EventCheckoutSessionComplete: a subscription-mode session with
	// payment_status paid links the customer and subscription and grants
	// the tier of the subscription, read back from Stripe (active or
	// trialing, configured price).
	EventCheckoutSessionComplete = "checkout.session.completed"
)

// tierFree is the tier an organization returns to when its subscription ends.
const tierFree = authos.TierFree

// Subscription statuses that grant, end or leave a paid tier.
var (
	grantingStatuses = []string{"active", "trialing"}
	endingStatuses   = []string{"canceled", "unpaid", "incomplete_expired", "paused"}
)

// ParseWebhook verifies the Stripe-Signature header of payload with the
// webhook secret (the signed timestamp within Tolerance of now, either
// side; the event's API version may differ from stripe-go's) and decodes
// the event. A tier is only ever the tier whose configured price the
// subscription holds, never one named in metadata:
//
//   - customer.subscription.created/updated: OrgID from the subscription's
//     metadata org_id; Tier as EventSubscriptionUpdated says (empty when
//     nothing changes, or when no item has a configured price);
//   - customer.subscription.deleted: Tier "free";
//   - checkout.session.completed: OrgID from client_reference_id (else
//     metadata org_id); only for mode subscription with payment_status
//     paid, the subscription is read from Stripe and its tier granted when
//     it is active or trialing (a failed read is STRIPE_ERROR, so Stripe
//     retries); otherwise nothing changes;
//   - any other type: only Source, ID and Created, to be recorded.
//
// Created is the event's creation time, by which authos orders the tier
// changes of an organization. CustomerID and SubscriptionID are filled when
// the object names them. A missing or bad signature, a timestamp outside
// the tolerance or an undecodable payload is BAD_REQUEST.
func (b *Billing) ParseWebhook(ctx context.Context, payload []byte, header http.Header) (authos.BillingEvent, error) {
	sig := header.Get(SignatureHeader)
	if sig == "" {
		return authos.BillingEvent{}, authos.NewError(authos.CodeBadRequest, "Missing Stripe-Signature header")
	}
	signedAt, err := signatureTime(sig)
	if err != nil {
		return authos.BillingEvent{}, authos.WrapError(authos.CodeBadRequest, "Invalid webhook signature", err)
	}
	if d := b.now().Sub(signedAt); d > Tolerance || d < -Tolerance {
		return authos.BillingEvent{}, authos.WrapError(authos.CodeBadRequest, "Invalid webhook signature",
			fmt.Errorf("stripe: signature timestamp %s is more than %s from now", signedAt.UTC().Format(time.RFC3339), Tolerance))
	}
	// Only the signature is checked here (the timestamp was above); the
	// envelope is decoded below reading just the fields needed, so an event
	// of another API version (the endpoint's, not stripe-go's) decodes all
	// the same.
	if err := webhook.ValidatePayloadIgnoringTolerance(payload, sig, b.cfg.WebhookSecret); err != nil {
		return authos.BillingEvent{}, authos.WrapError(authos.CodeBadRequest, "Invalid webhook signature", err)
	}
	var ev event
	if err := json.Unmarshal(payload, &ev); err != nil {
		return authos.BillingEvent{}, authos.WrapError(authos.CodeBadRequest, "Invalid webhook payload", err)
	}
	if ev.Object != "event" || ev.ID == "" || ev.Type == "" {
		return authos.BillingEvent{}, authos.NewError(authos.CodeBadRequest, "Invalid webhook payload: not a Stripe event")
	}
	out := authos.BillingEvent{Source: Source, ID: ev.ID}
	if ev.Created > 0 {
		out.Created = time.Unix(ev.Created, 0).UTC()
	}
	switch ev.Type {
	case EventSubscriptionCreated, EventSubscriptionUpdated, EventSubscriptionDeleted:
		var s subscription
		if err := decodeObject(ev.Data.Object, "subscription", &s); err != nil {
			return authos.BillingEvent{}, err
		}
		out.OrgID = s.Metadata[MetadataOrgID]
		out.CustomerID, out.SubscriptionID = s.Customer.ID, s.ID
		if ev.Type == EventSubscriptionDeleted {
			out.Tier = tierFree
		} else {
			var prices []string
			for _, it := range s.Items.Data {
				prices = append(prices, it.Price.ID, it.Plan.ID)
			}
			out.Tier = b.statusTier(s.Status, prices)
		}
	case EventCheckoutSessionComplete:
		var cs checkoutSession
		if err := decodeObject(ev.Data.Object, "checkout.session", &cs); err != nil {
			return authos.BillingEvent{}, err
		}
		out.OrgID = cs.ClientReferenceID
		if out.OrgID == "" {
			out.OrgID = cs.Metadata[MetadataOrgID]
		}
		if cs.Mode != "subscription" || cs.PaymentStatus != "paid" || cs.Subscription.ID == "" {
			return out, nil // nothing paid for yet: the subscription events will tell
		}
		s, err := b.sc.V1Subscriptions.Retrieve(ctx, cs.Subscription.ID, nil)
		if err != nil {
			return authos.BillingEvent{}, authos.WrapError(authos.CodeStripeError, "The payment provider could not be reached",
				fmt.Errorf("stripe: retrieve subscription %s: %w", cs.Subscription.ID, err))
		}
		var prices []string
		if s.Items != nil {
			for _, it := range s.Items.Data {
				if it.Price != nil {
					prices = append(prices, it.Price.ID)
				}
				if it.Plan != nil {
					prices = append(prices, it.Plan.ID)
				}
			}
		}
		if out.Tier = b.statusTier(string(s.Status), prices); out.Tier != "" && out.Tier != tierFree {
			out.CustomerID, out.SubscriptionID = cs.Customer.ID, cs.Subscription.ID
		} else {
			out.Tier = "" // a checkout never moves an organization down
		}
	}
	return out, nil
}

// statusTier is the tier a subscription in status with prices (its items'
// price ids) puts an organization on: the tier of the first configured
// price while active or trialing (none configured: ""), free once it ended,
// and "" (no change) otherwise.
func (b *Billing) statusTier(status string, prices []string) string {
	switch {
	case slices.Contains(grantingStatuses, status):
		for _, p := range prices {
			if t, ok := b.priceTier[p]; ok && p != "" {
				return t
			}
		}
		return ""
	case slices.Contains(endingStatuses, status):
		return tierFree
	}
	return ""
}

// signatureTime reads the t= timestamp of a Stripe-Signature header. The
// signature is checked over that same timestamp, so a header with more
// than one t= is refused rather than guessing which one counts.
func signatureTime(header string) (time.Time, error) {
	var ts []string
	for _, part := range strings.Split(header, ",") {
		if v, ok := strings.CutPrefix(part, "t="); ok {
			ts = append(ts, v)
		}
	}
	if len(ts) != 1 {
		return time.Time{}, fmt.Errorf("stripe: signature header has %d timestamps, want 1", len(ts))
	}
	n, err := strconv.ParseInt(ts[0], 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}, errors.New("stripe: signature header has a malformed timestamp")
	}
	return time.Unix(n, 0), nil
}

// decodeObject decodes data.object of an event, checking its object type.
// Only the fields below are read, so API-version differences elsewhere in
// the object do not matter.
func decodeObject(raw json.RawMessage, object string, v any) error {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return authos.NewError(authos.CodeBadRequest, "Invalid webhook payload: no data.object")
	}
	var head struct {
		Object string `json:"object"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return authos.WrapError(authos.CodeBadRequest, "Invalid webhook payload", err)
	}
	if head.Object != object {
		return authos.WrapError(authos.CodeBadRequest, "Invalid webhook payload",
			fmt.Errorf("stripe: data.object is %q, want %q", head.Object, object))
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return authos.WrapError(authos.CodeBadRequest, "Invalid webhook payload", err)
	}
	return nil
}

// event is the part of a Stripe event envelope ParseWebhook reads.
type event struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Type    string `json:"type"`
	Created int64  `json:"created"`
	Data    struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

// subscription is the part of a Stripe subscription object ParseWebhook reads.
type subscription struct {
	ID       string            `json:"id"`
	Status   string            `json:"status"`
	Customer ref               `json:"customer"`
	Metadata map[string]string `json:"metadata"`
	Items    struct {
		Data []struct {
			Price ref `json:"price"`
			Plan  ref `json:"plan"` // older API versions
		} `json:"data"`
	} `json:"items"`
}

// checkoutSession is the part of a Checkout Session ParseWebhook reads.
type checkoutSession struct {
	ID                string            `json:"id"`
	Mode              string            `json:"mode"`
	PaymentStatus     string            `json:"payment_status"`
	ClientReferenceID string            `json:"client_reference_id"`
	Customer          ref               `json:"customer"`
	Subscription      ref               `json:"subscription"`
	Metadata          map[string]string `json:"metadata"`
}

// ref is an expandable field: an id string, an object with an id, or null.
type ref struct{ ID string }

func (r *ref) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		r.ID = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		return json.Unmarshal(b, &r.ID)
	}
	var obj struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	r.ID = obj.ID
	return nil
}
