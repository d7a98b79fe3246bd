package stripe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/authos/authos"
	"github.com/stripe/stripe-go/v85/webhook"
)

// SignatureHeader is the header carrying a webhook's signature.
const SignatureHeader = "Stripe-Signature"

// Tolerance is how far a webhook's signed timestamp may lie in the past.
const Tolerance = webhook.DefaultTolerance

// Event types ParseWebhook decodes into a tier change.
const (
	// EventSubscriptionCreated: the tier of the new subscription.
	EventSubscriptionCreated = "customer.subscription.created"
	// EventSubscriptionUpdated: the subscription's current tier, or free
	// once it is canceled, unpaid or incomplete_expired.
	EventSubscriptionUpdated = "customer.subscription.updated"
	// EventSubscriptionDeleted: back to free.
	EventSubscriptionDeleted = "customer.subscription.deleted"
	// EventCheckoutSessionComplete: the tier bought, with the customer and
	// subscription ids.
	EventCheckoutSessionComplete = "checkout.session.completed"
)

// tierFree is the tier an organization returns to when its subscription ends.
const tierFree = authos.TierFree

// ParseWebhook verifies the Stripe-Signature header of payload with the
// webhook secret (timestamp within Tolerance; the event's API version may
// differ from stripe-go's) and decodes the event:
//
//   - customer.subscription.created/updated: OrgID from the subscription's
//     metadata org_id; Tier from its first item's price (else metadata
//     tier), or "free" when the status is canceled, unpaid or
//     incomplete_expired;
//   - customer.subscription.deleted: Tier "free";
//   - checkout.session.completed: OrgID from client_reference_id (else
//     metadata org_id), Tier from metadata tier;
//   - any other type: only Source and ID, to be recorded.
//
// CustomerID and SubscriptionID are filled when the object names them.
// A missing or bad signature, a stale timestamp or an undecodable payload is
// BAD_REQUEST.
func (b *Billing) ParseWebhook(payload []byte, header http.Header) (authos.BillingEvent, error) {
	sig := header.Get(SignatureHeader)
	if sig == "" {
		return authos.BillingEvent{}, authos.NewError(authos.CodeBadRequest, "Missing Stripe-Signature header")
	}
	// Only the signature and timestamp are checked here; the envelope is
	// decoded below reading just the fields needed, so an event of another
	// API version (the endpoint's, not stripe-go's) decodes all the same.
	if err := webhook.ValidatePayloadWithTolerance(payload, sig, b.cfg.WebhookSecret, Tolerance); err != nil {
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
	switch ev.Type {
	case EventSubscriptionCreated, EventSubscriptionUpdated, EventSubscriptionDeleted:
		var s subscription
		if err := decodeObject(ev.Data.Object, "subscription", &s); err != nil {
			return authos.BillingEvent{}, err
		}
		out.OrgID = s.Metadata[MetadataOrgID]
		out.CustomerID, out.SubscriptionID = s.Customer.ID, s.ID
		switch {
		case ev.Type == EventSubscriptionDeleted:
			out.Tier = tierFree
		case s.Status == "canceled" || s.Status == "unpaid" || s.Status == "incomplete_expired":
			out.Tier = tierFree
		default:
			out.Tier = b.subscriptionTier(s)
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
		out.Tier = cs.Metadata[MetadataTier]
		out.CustomerID, out.SubscriptionID = cs.Customer.ID, cs.Subscription.ID
	}
	return out, nil
}

// subscriptionTier is the tier of the first item's price, else the tier in
// the metadata ("" when neither is known: authos then refuses the event).
func (b *Billing) subscriptionTier(s subscription) string {
	if len(s.Items.Data) > 0 {
		it := s.Items.Data[0]
		for _, p := range []string{it.Price.ID, it.Plan.ID} {
			if t, ok := b.priceTier[p]; ok && p != "" {
				return t
			}
		}
	}
	return s.Metadata[MetadataTier]
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
	ID     string `json:"id"`
	Object string `json:"object"`
	Type   string `json:"type"`
	Data   struct {
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
