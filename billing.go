package authos

import (
	"context"
	"errors"
	"github.com/authos/authos/event"
	"github.com/authos/authos/internal/httpx"
	"io"
	"net/http"
	"time"

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
	// decodes it; it may ask the provider for state the event does not
	// carry. A bad signature, a signing time outside the provider's
	// tolerance or a bad payload is BAD_REQUEST; a failed provider call is
	// STRIPE_ERROR (the provider retries).
	ParseWebhook(ctx context.Context, payload []byte, header http.Header) (BillingEvent, error)
}

// BillingEvent is a verified provider event. The implementation decides
// what it grants: a paid tier only for paid, active subscriptions, mapped
// from the provider's configured prices, never from metadata.
type BillingEvent struct {
	Source string // e.g. "stripe"; with ID the idempotency key
	ID     string
	// Created is when the provider created the event. Tier changes apply in
	// this order: an event older than the last one that moved the
	// organization's tier is recorded and changes nothing.
	Created time.Time
	// OrgID is the organization the event concerns and Tier the tier it
	// moves to; when either is empty the event moves no tier (it is then
	// only recorded).
	OrgID          string
	Tier           string
	CustomerID     string
	SubscriptionID string
}

// maxWebhookBytes caps inbound webhook bodies.
const maxWebhookBytes = 256 << 10

// HandleBillingWebhook applies a verified billing event once: the event id
// and the organization's last billing event time are recorded in the same
// transaction as the tier change, so a redelivery changes nothing, a
// failure changes nothing, and an event older than the last applied one
// (Created before Organization.BillingEventAt) never overwrites it. An
// event moving to the free tier from a subscription other than the one the
// organization holds (an old subscription ending after a new one started)
// changes nothing either. applied is false for a redelivered, stale or
// foreign event.
func (a *Authos) HandleBillingWebhook(ctx context.Context, ev BillingEvent) (applied bool, err error) {
	moves := ev.OrgID != "" && ev.Tier != ""
	if moves {
		if _, ok := a.cfg.Tiers[ev.Tier]; !ok {
			return false, NewError(CodeBadRequest, "Unknown tier in billing event")
		}
	}
	err = a.st.Tx(ctx, func(tx store.Tx) error {
		applied = false
		if err := tx.MarkEventProcessed(ctx, ev.Source, ev.ID, a.now()); err != nil {
			return err
		}
		if !moves {
			applied = true
			return nil
		}
		o, err := tx.GetOrg(ctx, ev.OrgID)
		if errors.Is(err, store.ErrNotFound) {
			return nil // deleted since: nothing to move
		}
		if err != nil {
			return err
		}
		switch {
		case !ev.Created.IsZero() && ev.Created.Before(o.BillingEventAt):
			a.log.Info("authos: billing event older than the last applied one; recorded only",
				"event", ev.ID, "org", o.ID)
			return nil
		case ev.Tier == TierFree && ev.SubscriptionID != "" && o.StripeSubscriptionID != "" &&
			ev.SubscriptionID != o.StripeSubscriptionID:
			a.log.Info("authos: billing event ends a subscription the organization no longer holds; recorded only",
				"event", ev.ID, "org", o.ID)
			return nil
		}
		before := snapshot(o)
		o.Tier, o.UpdatedAt = ev.Tier, a.now()
		if ev.Created.After(o.BillingEventAt) {
			o.BillingEventAt = ev.Created
		}
		if ev.CustomerID != "" {
			o.StripeCustomerID = ev.CustomerID
		}
		if ev.SubscriptionID != "" {
			o.StripeSubscriptionID = ev.SubscriptionID
		}
		if err := tx.UpdateOrg(ctx, o); err != nil {
			return err
		}
		applied = true
		if before.Tier == o.Tier {
			return nil
		}
		if err := a.audit(ctx, tx, AuditInput{ActorID: "billing:" + ev.Source, Action: "update_organization_tier", TargetType: "organization", TargetID: o.ID, Reason: "billing event " + ev.ID, Before: before, After: snapshot(o)}); err != nil {
			return err
		}
		return a.emit(ctx, tx, Event{Type: event.OrgTierChanged, OrgID: o.ID, TargetID: o.ID,
			Data: map[string]any{"from": before.Tier, "to": o.Tier, "source": ev.Source}})
	})
	if errors.Is(err, store.ErrConflict) {
		return false, nil // already processed
	}
	if err != nil {
		return false, dbError(err)
	}
	return applied, nil
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
	ev, err := a.cfg.Billing.ParseWebhook(r.Context(), body, r.Header)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	applied, err := a.HandleBillingWebhook(r.Context(), ev)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]bool{"received": true, "applied": applied})
}
