package webhook

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/event"
	"github.com/authos/authos/internal/outbound"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/internal/validate"
	"github.com/authos/authos/store"
)

// EventTest is the type of the message the test route sends; endpoints may
// subscribe to it.
const EventTest = "webhook.test"

// AllEvents in an endpoint's event list subscribes it to every type.
const AllEvents = "*"

// Reasons an endpoint was disabled by the system (Endpoint.DisabledReason).
const (
	DisabledGone    = "gone"    // the endpoint answered 410 Gone
	DisabledFailing = "failing" // every attempt failed for Config.DisableAfter
)

// Config configures a Service. Every field is optional.
type Config struct {
	// AllowPrivateTargets lets endpoints be on loopback, private,
	// link-local and CGNAT addresses: for development and tests only.
	// Cloud metadata addresses stay refused.
	AllowPrivateTargets bool
	// Timeout bounds one delivery attempt. Default 10 s.
	Timeout time.Duration
	// Workers is how many deliveries one instance makes at once. Default 8.
	Workers int
	// MaxAttempts is how many attempts a delivery gets before it fails.
	// Default 12: with the default backoff, about three days.
	MaxAttempts int
	// DisableAfter disables an endpoint (and emails its organization's
	// owners) once every attempt has failed for this long. Default 5 days.
	DisableAfter time.Duration
	// Retention is how long delivered and failed deliveries stay in the
	// log. Default 30 days.
	Retention time.Duration
	// RotationOverlap is how long a replaced secret keeps signing beside
	// the new one. Default 24 hours.
	RotationOverlap time.Duration
}

// Service delivers each organization's events to its webhook endpoints. It
// is safe for concurrent use. Build it with New (a.Handler() then serves
// its routes) and run Run in every instance.
type Service struct {
	a      *authos.Authos
	st     storage
	cfg    Config
	guard  *outbound.Guard
	client clientDoer

	wake chan struct{}

	healthMu sync.Mutex
	healthy  map[string]time.Time // endpoint id -> when a success was last recorded
}

// storage is the store with the webhook capability.
type storage interface {
	store.Storage
	store.WebhookStore
}

// New builds the service: it registers its routes with a (the "webhooks"
// tag of openapi.yaml), webhook.test in a's event catalog,
// receives a's committed events (queuing a delivery per matching endpoint),
// and prunes the delivery log in a's hourly cleanup. It fails when a's
// store does not offer store.WebhookStore (the error matches
// errors.ErrUnsupported).
func New(a *authos.Authos, cfg Config) (*Service, error) {
	if a == nil {
		return nil, errors.New("webhook: nil *authos.Authos")
	}
	if _, err := store.Require[store.WebhookStore](a.Store()); err != nil {
		return nil, fmt.Errorf("webhook: the store cannot keep webhooks: %w", err)
	}
	st := a.Store().(storage)
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 12
	}
	if cfg.DisableAfter <= 0 {
		cfg.DisableAfter = 5 * 24 * time.Hour
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 30 * 24 * time.Hour
	}
	if cfg.RotationOverlap <= 0 {
		cfg.RotationOverlap = 24 * time.Hour
	}
	s := &Service{a: a, st: st, cfg: cfg, guard: &outbound.Guard{AllowPrivate: cfg.AllowPrivateTargets},
		wake: make(chan struct{}, 1), healthy: map[string]time.Time{}}
	s.client = s.guard.Client(cfg.Timeout)
	if err := authos.Extend(a).Handle(s.routes()...); err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	authos.Extend(a).RegisterEventTypes(authos.EventType{Type: EventTest, Scope: event.ScopeOrganization,
		Description: "A test message sent on request to one endpoint (POST .../webhooks/{id}/test).",
		Example:     map[string]any{"webhook_id": "01JDX5V8R2Q9T3W4Y5Z6A7B8C9", "message": "This is a test webhook from authos."}})
	a.SubscribeEvents(s.fanOut)
	authos.Extend(a).AddCleanup(func(ctx context.Context) error {
		_, err := s.st.DeleteWebhookDeliveriesBefore(ctx, a.Now().Add(-s.cfg.Retention))
		return err
	})
	return s, nil
}

// Endpoint is the view of a webhook endpoint (its secret is never shown
// again after creation or rotation).
type Endpoint struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	URL            string   `json:"url"`
	Events         []string `json:"events"`
	Enabled        bool     `json:"enabled"`
	DisabledReason string   `json:"disabled_reason,omitempty"`
	// FailingSince is when the endpoint started failing (absent while
	// healthy).
	FailingSince string `json:"failing_since,omitempty"`
	// PreviousSecretExpiresAt is when the replaced secret stops signing,
	// during a rotation.
	PreviousSecretExpiresAt string `json:"previous_secret_expires_at,omitempty"`
	CreatedAt               string `json:"created_at"`
	UpdatedAt               string `json:"updated_at"`
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

func (s *Service) view(e store.WebhookEndpoint) Endpoint {
	v := Endpoint{ID: e.ID, Name: e.Name, URL: e.URL, Events: slices.Clone(e.Events), Enabled: e.Enabled,
		DisabledReason: e.DisabledReason, FailingSince: stamp(e.FailingSince), CreatedAt: stamp(e.CreatedAt), UpdatedAt: stamp(e.UpdatedAt)}
	if v.Events == nil {
		v.Events = []string{}
	}
	if len(e.PrevSecret) > 0 && e.PrevSecretUntil.After(s.a.Now()) {
		v.PreviousSecretExpiresAt = stamp(e.PrevSecretUntil)
	}
	return v
}

// EndpointInput creates an endpoint.
type EndpointInput struct {
	Name    string   `json:"name"`
	URL     string   `json:"url"`
	Events  []string `json:"events"`
	Enabled *bool    `json:"enabled,omitempty"`
}

// EndpointPatch changes an endpoint; absent fields are kept.
type EndpointPatch struct {
	Name    *string   `json:"name,omitempty"`
	URL     *string   `json:"url,omitempty"`
	Events  *[]string `json:"events,omitempty"`
	Enabled *bool     `json:"enabled,omitempty"`
}

func (s *Service) checkURL(raw string) error {
	if !validate.URL(raw) {
		return authos.NewError(authos.CodeInvalidWebhookURL, "URL must be an absolute http(s) URL with a host, without fragment or credentials")
	}
	if err := s.guard.CheckURL(raw); err != nil {
		return authos.WrapError(authos.CodeInvalidWebhookURL, "The webhook URL must reach a public address", err)
	}
	return nil
}

// checkEvents validates and normalises an event list: at least one type,
// each in the catalog or "*".
// eventType returns the catalog entry of typ (the catalog is sorted by type).
func (s *Service) eventType(typ string) (authos.EventType, bool) {
	types := s.a.EventTypes()
	i, ok := slices.BinarySearchFunc(types, typ, func(t authos.EventType, typ string) int { return strings.Compare(t.Type, typ) })
	if !ok {
		return authos.EventType{}, false
	}
	return types[i], true
}

func (s *Service) checkEvents(events []string) ([]string, error) {
	if len(events) == 0 {
		return nil, authos.NewError(authos.CodeInvalidWebhookEvent, `events must list at least one event type (or "*")`)
	}
	if len(events) > 200 {
		return nil, authos.NewError(authos.CodeInvalidWebhookEvent, "Too many event types")
	}
	out := make([]string, 0, len(events))
	for _, ev := range events {
		if ev == AllEvents {
			return []string{AllEvents}, nil
		}
		if _, ok := s.eventType(ev); !ok {
			if len(ev) > 100 || authos.CheckIdentifier("event", ev) != nil {
				ev = "(invalid)"
			}
			return nil, authos.NewError(authos.CodeInvalidWebhookEvent, "Unknown event type "+ev+" (see GET /api/webhooks/event-types)")
		}
		out = append(out, ev)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func checkName(name string) (string, error) {
	if err := authos.CheckIdentifier("name", name); err != nil {
		return "", err
	}
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 100 {
		return "", authos.NewError(authos.CodeBadRequest, "name is required (at most 100 characters)")
	}
	return name, nil
}

func secretAAD(id string) []byte { return []byte("authos_webhook_endpoints.secret:" + id) }

// newSecret returns a fresh secret and its sealed form for endpoint id.
func (s *Service) newSecret(id string) (string, []byte, error) {
	secret := SecretPrefix + base64.StdEncoding.EncodeToString(randx.Bytes(32))
	sealed, err := s.a.Keyring().Encrypt([]byte(secret), secretAAD(id))
	return secret, sealed, err
}

// secrets returns the endpoint's signing secrets: the current one, and the
// replaced one while its overlap runs.
func (s *Service) secrets(e store.WebhookEndpoint, now time.Time) ([]string, error) {
	cur, err := s.a.Keyring().Decrypt(e.Secret, secretAAD(e.ID))
	if err != nil {
		return nil, err
	}
	out := []string{string(cur)}
	if len(e.PrevSecret) > 0 && e.PrevSecretUntil.After(now) {
		prev, err := s.a.Keyring().Decrypt(e.PrevSecret, secretAAD(e.ID))
		if err != nil {
			return nil, err
		}
		out = append(out, string(prev))
	}
	return out, nil
}

// storeErr maps storage outcomes to catalog errors.
func storeErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return authos.NewError(authos.CodeNotFound, "Webhook not found")
	case errors.Is(err, store.ErrConflict):
		return authos.NewError(authos.CodeWebhookNameExists, "A webhook with this name already exists in the organization")
	}
	var e *authos.Error
	if errors.As(err, &e) {
		return e
	}
	return authos.WrapError(authos.CodeDatabaseError, "", err)
}

// Create adds an endpoint to o and returns it with its secret, which is
// never shown again. INVALID_WEBHOOK_URL, INVALID_WEBHOOK_EVENT,
// WEBHOOK_NAME_EXISTS, BAD_REQUEST (name).
func (s *Service) Create(ctx context.Context, o authos.Organization, in EndpointInput) (Endpoint, string, error) {
	name, err := checkName(in.Name)
	if err != nil {
		return Endpoint{}, "", err
	}
	if err := s.checkURL(in.URL); err != nil {
		return Endpoint{}, "", err
	}
	events, err := s.checkEvents(in.Events)
	if err != nil {
		return Endpoint{}, "", err
	}
	now := s.a.Now()
	e := store.WebhookEndpoint{ID: randx.ID(), OrgID: o.ID, Name: name, URL: in.URL, Events: events, Enabled: true,
		CreatedAt: now, UpdatedAt: now}
	if in.Enabled != nil {
		e.Enabled = *in.Enabled
	}
	secret, sealed, err := s.newSecret(e.ID)
	if err != nil {
		return Endpoint{}, "", authos.WrapError(authos.CodeEncryptionError, "", err)
	}
	e.Secret = sealed
	if err := s.st.CreateWebhookEndpoint(ctx, e); err != nil {
		return Endpoint{}, "", storeErr(err)
	}
	return s.view(e), secret, nil
}

// List returns o's endpoints, oldest first.
func (s *Service) List(ctx context.Context, o authos.Organization) ([]Endpoint, error) {
	es, err := s.st.ListWebhookEndpoints(ctx, o.ID)
	if err != nil {
		return nil, storeErr(err)
	}
	out := make([]Endpoint, 0, len(es))
	for _, e := range es {
		out = append(out, s.view(e))
	}
	return out, nil
}

func (s *Service) get(ctx context.Context, o authos.Organization, id string) (store.WebhookEndpoint, error) {
	if err := authos.CheckIdentifier("id", id); err != nil {
		return store.WebhookEndpoint{}, err
	}
	e, err := s.st.GetWebhookEndpoint(ctx, o.ID, id)
	return e, storeErr(err)
}

// Get returns o's endpoint id (NOT_FOUND).
func (s *Service) Get(ctx context.Context, o authos.Organization, id string) (Endpoint, error) {
	e, err := s.get(ctx, o, id)
	if err != nil {
		return Endpoint{}, err
	}
	return s.view(e), nil
}

// Update applies p to o's endpoint id. Enabling an endpoint clears the
// reason it was disabled and its failure record.
func (s *Service) Update(ctx context.Context, o authos.Organization, id string, p EndpointPatch) (Endpoint, error) {
	e, err := s.get(ctx, o, id)
	if err != nil {
		return Endpoint{}, err
	}
	if p.Name != nil {
		if e.Name, err = checkName(*p.Name); err != nil {
			return Endpoint{}, err
		}
	}
	if p.URL != nil {
		if err := s.checkURL(*p.URL); err != nil {
			return Endpoint{}, err
		}
		e.URL = *p.URL
	}
	if p.Events != nil {
		if e.Events, err = s.checkEvents(*p.Events); err != nil {
			return Endpoint{}, err
		}
	}
	if p.Enabled != nil {
		if *p.Enabled && !e.Enabled {
			e.DisabledReason, e.FailingSince = "", time.Time{}
		}
		e.Enabled = *p.Enabled
	}
	e.UpdatedAt = s.a.Now()
	if err := s.st.UpdateWebhookEndpoint(ctx, e); err != nil {
		return Endpoint{}, storeErr(err)
	}
	if e.Enabled {
		s.notify()
	}
	return s.view(e), nil
}

// Delete removes o's endpoint id with its deliveries.
func (s *Service) Delete(ctx context.Context, o authos.Organization, id string) error {
	if err := authos.CheckIdentifier("id", id); err != nil {
		return err
	}
	return storeErr(s.st.DeleteWebhookEndpoint(ctx, o.ID, id))
}

// RotateSecret gives o's endpoint id a new secret and returns it (shown
// once). The replaced secret keeps signing beside the new one for
// Config.RotationOverlap, so receivers can switch without losing a
// message; a secret replaced before that is dropped.
func (s *Service) RotateSecret(ctx context.Context, o authos.Organization, id string) (Endpoint, string, error) {
	e, err := s.get(ctx, o, id)
	if err != nil {
		return Endpoint{}, "", err
	}
	secret, sealed, err := s.newSecret(e.ID)
	if err != nil {
		return Endpoint{}, "", authos.WrapError(authos.CodeEncryptionError, "", err)
	}
	now := s.a.Now()
	e.PrevSecret, e.PrevSecretUntil, e.Secret, e.UpdatedAt = e.Secret, now.Add(s.cfg.RotationOverlap), sealed, now
	if err := s.st.UpdateWebhookEndpoint(ctx, e); err != nil {
		return Endpoint{}, "", storeErr(err)
	}
	return s.view(e), secret, nil
}

// EventType is an entry of the event catalog as GET
// /api/webhooks/event-types shows it: the example is a whole message body.
type EventType struct {
	Type        string  `json:"type"`
	Version     int     `json:"version"`
	Description string  `json:"description"`
	Scope       string  `json:"scope"`
	Example     Payload `json:"example"`
}

// EventTypes returns the catalog with an example body per type.
func (s *Service) EventTypes() []EventType {
	ts := s.a.EventTypes()
	out := make([]EventType, 0, len(ts))
	at := time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC)
	for _, t := range ts {
		ev := authos.Event{ID: "01JDX5V8R2Q9T3W4Y5Z6A7B8C9", Type: t.Type, Time: at, OrgID: "01JDX4ZK7M3N5P6Q8R9S0T1V2W",
			ActorID: "01JDX4YQ2B3C4D5E6F7G8H9J0K", TargetID: "01JDX4YQ2B3C4D5E6F7G8H9J0K", Data: t.Example}
		out = append(out, EventType{Type: t.Type, Version: t.Version, Description: t.Description, Scope: t.Scope, Example: payloadOf(ev)})
	}
	return out
}

// clientDoer sends the requests (an *http.Client through the guard).
type clientDoer interface {
	Do(req *http.Request) (*http.Response, error)
}
