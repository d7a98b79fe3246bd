package authos

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/authos/authos/store"
)

// Billing connects organizations to a payment provider. The Stripe
// implementation lives in package billing/stripe so hosts without billing
// never link it.
type Billing interface {
	// Checkout starts a subscription to tier for the organization and returns
	// the URL to send its owner to. Failures are STRIPE_ERROR.
	Checkout(ctx context.Context, org Organization, tier, customerEmail string) (string, error)
	// ParseWebhook verifies an inbound webhook (raw body and headers) and
	// decodes it. A bad signature or payload is BAD_REQUEST.
	ParseWebhook(payload []byte, header http.Header) (BillingEvent, error)
}

// BillingEvent is a verified provider event.
type BillingEvent struct {
	Source string // e.g. "stripe"; with ID the idempotency key
	ID     string
	// OrgID is the organization the event concerns; empty when the event
	// does not move a tier (it is then only recorded).
	OrgID          string
	Tier           string // the tier the organization moves to
	CustomerID     string
	SubscriptionID string
}

// maxWebhookBytes caps inbound webhook bodies.
const maxWebhookBytes = 256 << 10

// HandleBillingWebhook applies a verified billing event once: the event id
// is recorded in the same transaction as the tier change, so a redelivery
// changes nothing and a failure changes nothing.
func (a *Authos) HandleBillingWebhook(ctx context.Context, ev BillingEvent) (applied bool, err error) {
	if ev.OrgID != "" {
		if _, ok := a.cfg.Tiers[ev.Tier]; !ok {
			return false, NewError(CodeBadRequest, "Unknown tier in billing event")
		}
	}
	err = a.st.Tx(ctx, func(tx store.Tx) error {
		if err := tx.MarkEventProcessed(ctx, ev.Source, ev.ID, a.now()); err != nil {
			return err
		}
		if ev.OrgID == "" {
			return nil
		}
		o, err := tx.GetOrg(ctx, ev.OrgID)
		if errors.Is(err, store.ErrNotFound) {
			return nil // deleted since: nothing to move
		}
		if err != nil {
			return err
		}
		before := snapshot(o)
		o.Tier, o.UpdatedAt = ev.Tier, a.now()
		if ev.CustomerID != "" {
			o.StripeCustomerID = ev.CustomerID
		}
		if ev.SubscriptionID != "" {
			o.StripeSubscriptionID = ev.SubscriptionID
		}
		if err := tx.UpdateOrg(ctx, o); err != nil {
			return err
		}
		if err := a.Audit(ctx, tx, "billing:"+ev.Source, "update_organization_tier", "organization", o.ID,
			"billing event "+ev.ID, before, snapshot(o)); err != nil {
			return err
		}
		return a.emit(ctx, tx, Event{Type: EventOrgTierChanged, OrgID: o.ID, TargetID: o.ID,
			Data: map[string]any{"from": before.Tier, "to": o.Tier, "source": ev.Source}})
	})
	if errors.Is(err, store.ErrConflict) {
		return false, nil // already processed
	}
	if err != nil {
		return false, dbError(err)
	}
	return true, nil
}

func (a *Authos) handleBillingWebhook(w http.ResponseWriter, r *http.Request) {
	if a.cfg.Billing == nil {
		a.WriteError(w, r, NewError(CodeNotFound, "Billing is not configured"))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBytes))
	if err != nil {
		a.WriteError(w, r, NewError(CodePayloadTooLarge, "Webhook body too large"))
		return
	}
	ev, err := a.cfg.Billing.ParseWebhook(body, r.Header)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	applied, err := a.HandleBillingWebhook(r.Context(), ev)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	WriteJSON(w, http.StatusOK, map[string]bool{"received": true, "applied": applied})
}
