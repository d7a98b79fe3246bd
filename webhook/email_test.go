package webhook_test

import (
	"context"
	"strings"
	"testing"

	"github.com/authos/authos"
	"github.com/authos/authos/webhook"
)

// TestDisabledEmailInTheRecipientsLanguage: the email that tells an
// organization's owners a webhook was turned off is written in the
// language of the other emails: the instance's DefaultLanguage, or the
// language the host put in the context of the delivery run.
func TestDisabledEmailInTheRecipientsLanguage(t *testing.T) {
	wantGerman := func(t *testing.T, m []authos.Message) {
		t.Helper()
		if len(m) != 1 || m[0].To != "owner@example.com" || m[0].Subject != `Acme ID: Webhook "gone" von Acme 1 wurde deaktiviert` ||
			!strings.Contains(m[0].Text, "wurde deaktiviert, weil er mit 410 Gone geantwortet hat.") ||
			!strings.Contains(m[0].Text, "aktivieren Sie den Webhook dann wieder") {
			t.Fatalf("emails after 410: %+v; want one in German", m)
		}
	}
	t.Run("DefaultLanguage", func(t *testing.T) {
		h := newHarness(t, nil, webhook.Config{AllowPrivateTargets: true}, func(c *authos.Config) { c.DefaultLanguage = "de" })
		gone := newReceiver(t, 410)
		h.createEndpoint("gone", gone.srv.URL, "organization.updated")
		h.rename("Acme 1")
		h.flush()
		if _, err := h.a.ProcessOutbox(context.Background()); err != nil {
			t.Fatal(err)
		}
		wantGerman(t, h.sentEmails())
	})
	t.Run("WithLanguage", func(t *testing.T) {
		h := newHarness(t, nil, webhook.Config{AllowPrivateTargets: true})
		gone := newReceiver(t, 410)
		h.createEndpoint("gone", gone.srv.URL, "organization.updated")
		h.rename("Acme 1")
		ctx := context.Background()
		if _, err := h.a.ProcessOutbox(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := h.wh.ProcessDeliveries(authos.WithLanguage(ctx, "de-DE")); err != nil {
			t.Fatal(err)
		}
		if _, err := h.a.ProcessOutbox(ctx); err != nil {
			t.Fatal(err)
		}
		wantGerman(t, h.sentEmails())
	})
}
