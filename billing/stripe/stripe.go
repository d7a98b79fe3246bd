package stripe

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/authos/authos"
	stripego "github.com/stripe/stripe-go/v85"
)

// Source is the BillingEvent.Source of every event this package decodes.
const Source = "stripe"

// Metadata keys set on Checkout Sessions and their subscriptions.
const (
	// MetadataOrgID holds the organization id.
	MetadataOrgID = "org_id"
	// MetadataTier holds the tier bought, for people reading the Stripe
	// dashboard: webhooks never take a tier from it, only from prices.
	MetadataTier = "tier"
)

// Config configures a Billing.
type Config struct {
	// SecretKey is the Stripe secret ("sk_...") or restricted ("rk_...") API key.
	SecretKey string
	// WebhookSecret is the signing secret ("whsec_...") of the webhook
	// endpoint that posts to authos.
	WebhookSecret string
	// Prices maps a tier name to the id of its recurring Stripe price. At
	// least one is required; a price id may appear only once.
	Prices map[string]string
	// SuccessURL and CancelURL are the absolute http(s) URLs Checkout returns
	// to. SuccessURL may contain Stripe's {CHECKOUT_SESSION_ID} placeholder.
	SuccessURL string
	CancelURL  string
	// APIBase overrides the Stripe API base URL, e.g. http://127.0.0.1:12111
	// for stripe-mock. Optional.
	APIBase string
	// HTTPClient makes the API requests. Optional (stripe-go's default client,
	// 80 s timeout).
	HTTPClient *http.Client
	// Now is the clock webhook timestamps are checked against. Optional
	// (time.Now).
	Now func() time.Time
}

// Billing implements authos.Billing with Stripe. It is safe for concurrent use.
type Billing struct {
	cfg       Config
	sc        *stripego.Client
	priceTier map[string]string // price id -> tier
}

var _ authos.Billing = (*Billing)(nil)

// New validates cfg and returns a Billing. Configuration errors never
// contain the secrets.
func New(cfg Config) (*Billing, error) {
	switch {
	case cfg.SecretKey == "":
		return nil, errors.New("stripe: Config.SecretKey is required")
	case !strings.HasPrefix(cfg.SecretKey, "sk_") && !strings.HasPrefix(cfg.SecretKey, "rk_"):
		return nil, errors.New("stripe: Config.SecretKey must be a secret (sk_) or restricted (rk_) key")
	case cfg.WebhookSecret == "":
		return nil, errors.New("stripe: Config.WebhookSecret is required")
	case !strings.HasPrefix(cfg.WebhookSecret, "whsec_"):
		return nil, errors.New("stripe: Config.WebhookSecret must be a webhook signing secret (whsec_)")
	case len(cfg.Prices) == 0:
		return nil, errors.New("stripe: Config.Prices needs at least one tier")
	}
	priceTier := make(map[string]string, len(cfg.Prices))
	prices := make(map[string]string, len(cfg.Prices))
	for tier, price := range cfg.Prices {
		if strings.TrimSpace(tier) == "" || strings.TrimSpace(price) == "" {
			return nil, fmt.Errorf("stripe: Config.Prices[%q] = %q: tier and price id must be non-empty", tier, price)
		}
		if other, dup := priceTier[price]; dup {
			return nil, fmt.Errorf("stripe: Config.Prices: price %q is used by tiers %q and %q", price, other, tier)
		}
		priceTier[price] = tier
		prices[tier] = price
	}
	cfg.Prices = prices
	for name, u := range map[string]string{"SuccessURL": cfg.SuccessURL, "CancelURL": cfg.CancelURL} {
		if !absoluteHTTP(u) {
			return nil, fmt.Errorf("stripe: Config.%s %q is not an absolute http(s) URL", name, u)
		}
	}
	if cfg.APIBase != "" && !absoluteHTTP(cfg.APIBase) {
		return nil, fmt.Errorf("stripe: Config.APIBase %q is not an absolute http(s) URL", cfg.APIBase)
	}

	// The error comes back to the caller, who logs it; stripe-go's own
	// logger would print it a second time.
	bc := &stripego.BackendConfig{
		HTTPClient:    cfg.HTTPClient,
		LeveledLogger: &stripego.LeveledLogger{Level: stripego.LevelNull},
	}
	api := *bc
	if cfg.APIBase != "" {
		api.URL = stripego.String(strings.TrimRight(cfg.APIBase, "/"))
	}
	backends := &stripego.Backends{
		API:         stripego.GetBackendWithConfig(stripego.APIBackend, &api),
		Connect:     stripego.GetBackendWithConfig(stripego.ConnectBackend, bc),
		Uploads:     stripego.GetBackendWithConfig(stripego.UploadsBackend, bc),
		MeterEvents: stripego.GetBackendWithConfig(stripego.MeterEventsBackend, bc),
	}
	return &Billing{
		cfg:       cfg,
		sc:        stripego.NewClient(cfg.SecretKey, stripego.WithBackends(backends)),
		priceTier: priceTier,
	}, nil
}

func (b *Billing) now() time.Time {
	if b.cfg.Now != nil {
		return b.cfg.Now()
	}
	return time.Now()
}

func absoluteHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// Checkout creates a subscription-mode Checkout Session for the price of
// tier and returns its URL. The session's client_reference_id is org.ID;
// metadata {org_id, tier} is set on the session and on the subscription it
// creates. The customer is org.StripeCustomerID when set, otherwise
// customerEmail (optional) prefills a new customer. An unknown tier or an
// org without id is BAD_REQUEST; any Stripe failure is STRIPE_ERROR whose
// cause holds Stripe's error.
func (b *Billing) Checkout(ctx context.Context, org authos.Organization, tier, customerEmail string) (string, error) {
	price, ok := b.cfg.Prices[tier]
	if !ok {
		return "", authos.NewError(authos.CodeBadRequest, "Unknown or unpurchasable tier")
	}
	if org.ID == "" {
		return "", authos.NewError(authos.CodeBadRequest, "Organization is required")
	}
	meta := map[string]string{MetadataOrgID: org.ID, MetadataTier: tier}
	params := &stripego.CheckoutSessionCreateParams{
		Mode:              stripego.String(string(stripego.CheckoutSessionModeSubscription)),
		ClientReferenceID: stripego.String(org.ID),
		SuccessURL:        stripego.String(b.cfg.SuccessURL),
		CancelURL:         stripego.String(b.cfg.CancelURL),
		LineItems: []*stripego.CheckoutSessionCreateLineItemParams{
			{Price: stripego.String(price), Quantity: stripego.Int64(1)},
		},
		Metadata: meta,
		SubscriptionData: &stripego.CheckoutSessionCreateSubscriptionDataParams{
			Metadata: map[string]string{MetadataOrgID: org.ID, MetadataTier: tier},
		},
	}
	if org.StripeCustomerID != "" {
		params.Customer = stripego.String(org.StripeCustomerID)
	} else if customerEmail != "" {
		params.CustomerEmail = stripego.String(customerEmail)
	}
	s, err := b.sc.V1CheckoutSessions.Create(ctx, params)
	if err != nil {
		return "", authos.WrapError(authos.CodeStripeError, "The payment provider could not start the checkout",
			fmt.Errorf("stripe: create checkout session: %w", err))
	}
	if s == nil || s.URL == "" {
		return "", authos.WrapError(authos.CodeStripeError, "The payment provider could not start the checkout",
			errors.New("stripe: checkout session has no url"))
	}
	return s.URL, nil
}
