package store

import (
	"context"
	"time"
)

// Statuses of a WebhookDelivery.
const (
	WebhookPending   = "pending"   // waiting for its next attempt (or in flight)
	WebhookDelivered = "delivered" // the endpoint answered 2xx
	WebhookFailed    = "failed"    // given up (retries exhausted, endpoint gone)
)

// WebhookEndpoint is an organization's webhook endpoint: where its events
// are POSTed and the secret they are signed with.
type WebhookEndpoint struct {
	ID     string
	OrgID  string
	Name   string // unique per organization, compared case-insensitively
	URL    string
	Events []string // event types delivered; "*" stands for every type
	// Enabled endpoints receive deliveries; DisabledReason says why one
	// was turned off by the system ("gone": it answered 410; "failing": it
	// failed for days), empty when a user did it.
	Enabled        bool
	DisabledReason string
	// Secret is the signing secret ("whsec_..."), encrypted with the
	// keyring. PrevSecret is the secret it replaced, also encrypted, still
	// signing beside it until PrevSecretUntil.
	Secret          []byte
	PrevSecret      []byte
	PrevSecretUntil time.Time
	// FailingSince is the time of the first failed attempt after the last
	// success (zero while the endpoint is healthy).
	FailingSince time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// WebhookDelivery is one event to deliver to one endpoint, with the outcome
// of its last attempt. ID is the webhook-id header: stable across retries.
type WebhookDelivery struct {
	ID         string
	EndpointID string
	OrgID      string
	EventID    string // the outbox event; unique per endpoint
	EventType  string
	Payload    []byte // the JSON body, as signed
	Status     string // WebhookPending, WebhookDelivered or WebhookFailed
	Attempts   int
	// NextAttemptAt is when the next attempt is due (pending only).
	NextAttemptAt time.Time
	// LeaseID and LeaseUntil are set by ClaimWebhookDeliveries: the
	// delivery is in flight until LeaseUntil; only the holder of LeaseID
	// may record its outcome.
	LeaseID        string
	LeaseUntil     time.Time
	ResponseStatus int    // HTTP status of the last attempt (0: none)
	LastError      string // short description of the last failure
	DurationMS     int64  // duration of the last attempt
	CreatedAt      time.Time
	UpdatedAt      time.Time
	DeliveredAt    time.Time
}

// WebhookAttempt is the outcome of one delivery attempt, for
// FinishWebhookDelivery.
type WebhookAttempt struct {
	At             time.Time
	Status         string    // the delivery's status after the attempt
	NextAttemptAt  time.Time // when Status is WebhookPending
	ResponseStatus int
	LastError      string
	DurationMS     int64
}

// WebhookDeliveryFilter selects deliveries of one endpoint for
// ListWebhookDeliveries, newest first. Cursor is the ID of the last
// delivery of the previous page ("" for the first page).
type WebhookDeliveryFilter struct {
	EndpointID string
	Status     string // "" for any
	EventType  string // "" for any
	Limit      int    // at most this many (0: no limit)
	Cursor     string
}

// WebhookStore keeps webhook endpoints and their deliveries: a queue that
// several workers share, each delivery leased to one of them at a time.
//
// It is a capability (see the package documentation): package webhook needs
// it and refuses a backend without it.
type WebhookStore interface {
	// CreateWebhookEndpoint inserts e. ErrConflict when the id exists or
	// another endpoint of the organization has the same name (compared
	// case-insensitively).
	CreateWebhookEndpoint(ctx context.Context, e WebhookEndpoint) error
	// GetWebhookEndpoint returns the organization's endpoint id, or
	// ErrNotFound (also when it belongs to another organization).
	GetWebhookEndpoint(ctx context.Context, orgID, id string) (WebhookEndpoint, error)
	// ListWebhookEndpoints returns the organization's endpoints, oldest
	// first; with orgID empty, every enabled endpoint of every
	// organization.
	ListWebhookEndpoints(ctx context.Context, orgID string) ([]WebhookEndpoint, error)
	// UpdateWebhookEndpoint replaces the stored endpoint e.ID of e.OrgID.
	// ErrNotFound when absent, ErrConflict on a taken name.
	UpdateWebhookEndpoint(ctx context.Context, e WebhookEndpoint) error
	// DeleteWebhookEndpoint removes the endpoint and its deliveries.
	// ErrNotFound when absent.
	DeleteWebhookEndpoint(ctx context.Context, orgID, id string) error
	// RecordWebhookEndpointResult notes the outcome of an attempt on the
	// endpoint at now: a success clears FailingSince, a failure sets it when
	// unset. It returns FailingSince after the update. ErrNotFound when
	// absent.
	RecordWebhookEndpointResult(ctx context.Context, id string, ok bool, now time.Time) (time.Time, error)
	// DisableWebhookEndpoint turns the endpoint off with reason.
	// ErrNotFound when absent.
	DisableWebhookEndpoint(ctx context.Context, id, reason string, now time.Time) error

	// EnqueueWebhookDeliveries inserts the deliveries, skipping each whose
	// (EndpointID, EventID) pair exists, so a fan-out that runs twice
	// queues each event once per endpoint. It returns how many were
	// inserted.
	EnqueueWebhookDeliveries(ctx context.Context, ds []WebhookDelivery) (int, error)
	// ClaimWebhookDeliveries leases up to limit pending deliveries of
	// enabled endpoints that are due at now and not leased (LeaseUntil
	// unset or at or before now), oldest due first: each gets LeaseID=
	// leaseID, LeaseUntil=now+lease and one more attempt. Concurrent
	// claimers never get the same delivery while its lease runs (FOR
	// UPDATE SKIP LOCKED on PostgreSQL; SQLite serialises writers).
	ClaimWebhookDeliveries(ctx context.Context, leaseID string, now time.Time, lease time.Duration, limit int) ([]WebhookDelivery, error)
	// FinishWebhookDelivery records the outcome a of the attempt made
	// under leaseID and releases the lease. ErrNotFound when absent;
	// ErrUsed when the lease is no longer leaseID (it ran out and another
	// worker claimed the delivery): nothing is written then.
	FinishWebhookDelivery(ctx context.Context, id, leaseID string, a WebhookAttempt) error
	// GetWebhookDelivery returns the endpoint's delivery id, or
	// ErrNotFound.
	GetWebhookDelivery(ctx context.Context, endpointID, id string) (WebhookDelivery, error)
	// ListWebhookDeliveries returns the deliveries f selects, newest
	// first (CreatedAt, then ID, descending).
	ListWebhookDeliveries(ctx context.Context, f WebhookDeliveryFilter) ([]WebhookDelivery, error)
	// RetryWebhookDelivery makes the delivery pending again, due at now,
	// with its lease cleared, whatever its status. ErrNotFound when
	// absent.
	RetryWebhookDelivery(ctx context.Context, endpointID, id string, now time.Time) error
	// DeleteWebhookDeliveriesBefore removes the delivered and failed
	// deliveries last updated before t and returns how many.
	DeleteWebhookDeliveriesBefore(ctx context.Context, t time.Time) (int, error)
}
