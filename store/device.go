package store

import (
	"context"
	"time"
)

// Statuses of a DeviceAuthorization. A row starts pending; a user approves
// or denies it once; an approved row is exchanged for tokens once.
const (
	DeviceStatusPending   = "pending"
	DeviceStatusApproved  = "approved"
	DeviceStatusDenied    = "denied"
	DeviceStatusExchanged = "exchanged"
)

// DeviceSlowDownStep is what PollDevice adds to Interval (seconds) when a
// poll comes too fast (RFC 8628 §3.5).
const DeviceSlowDownStep = 5

// DeviceAuthorization is one RFC 8628 device authorization: the device
// polls with the device code (stored only as a hash) while a user approves
// or denies the user code.
type DeviceAuthorization struct {
	ID             string
	DeviceCodeHash string // hex SHA-256 of the device code; unique
	// UserCode is the normalised user code (upper case, no separators). It
	// is unique among rows that have not expired.
	UserCode  string
	ClientID  string // the service's client_id
	ServiceID string
	OrgID     string
	Scope     string
	Status    string // DeviceStatus...
	// UserID and ApproverAMR are the user who approved or denied and the
	// amr of the session they did it with (empty while pending).
	UserID      string
	ApproverAMR []string
	// Interval is the minimum number of seconds between polls; it grows by
	// DeviceSlowDownStep with every poll that comes too fast.
	Interval int
	// LastPolledAt is the time of the last counted poll (zero: never
	// polled). PollVia is how that poll's client authenticated, and is
	// emptied once its repeat has been seen; SlowedDown tells whether it
	// was answered slow_down. See PollDevice.
	LastPolledAt time.Time
	PollVia      string
	SlowedDown   bool
	CreatedAt    time.Time
	ExpiresAt    time.Time
	DecidedAt    time.Time // approval or denial; zero while pending
}

// DevicePoll describes one poll of a device code for PollDevice.
type DevicePoll struct {
	At time.Time
	// Via names how the client authenticated the poll (for example "basic"
	// or "body"); never empty.
	Via string
	// Slack is how much earlier than Interval a poll may come and still be
	// on time (network jitter).
	Slack time.Duration
	// RepeatWindow bounds the repeat of a poll (see PollDevice).
	RepeatWindow time.Duration
}

// DeviceStore keeps device authorizations. None of its rows refers to
// other tables by a foreign key: the token endpoint re-checks the client,
// its organization and the approving user when it mints tokens, and
// DeleteExpiredDevices removes the rows.
//
// It is a capability (see the package documentation): package device needs
// it, on the Storage and on its transactions, and refuses a backend without
// it.
type DeviceStore interface {
	// CreateDeviceAuthorization inserts d. ErrConflict when the id or the
	// device-code hash exists, or when a row that has not expired at
	// d.CreatedAt holds the same user code: the caller retries with new
	// codes. A row whose user code is the same but that expired at or
	// before d.CreatedAt is deleted first. Under concurrent calls with the
	// same user code exactly one succeeds.
	CreateDeviceAuthorization(ctx context.Context, d DeviceAuthorization) error
	// GetDeviceByCodeHash returns the row with the device-code hash,
	// whatever its status or expiry, or ErrNotFound.
	GetDeviceByCodeHash(ctx context.Context, hash string) (DeviceAuthorization, error)
	// GetDeviceByUserCode returns the row with the normalised user code
	// that has not expired at now (any status), or ErrNotFound.
	GetDeviceByUserCode(ctx context.Context, userCode string, now time.Time) (DeviceAuthorization, error)
	// DecideDevice sets the status of row id to approved or denied, with
	// the deciding user, their amr and DecidedAt=now, as a compare-and-set
	// from pending: ErrNotFound when absent, ErrExpired when it expired at
	// or before now, ErrUsed when it is no longer pending. Under concurrent
	// calls exactly one succeeds.
	DecideDevice(ctx context.Context, id, status, userID string, amr []string, now time.Time) error
	// PollDevice records a poll of the row with the device-code hash,
	// atomically, and returns the row after it with whether the poll came
	// too fast. ErrNotFound when absent. Status and expiry are not looked
	// at (the caller decides from the returned row). With elapsed = p.At -
	// LastPolledAt:
	//   - never polled, or elapsed >= Interval seconds - p.Slack: on time.
	//     LastPolledAt=p.At, PollVia=p.Via, SlowedDown=false; not too fast.
	//   - else, when PollVia is not empty and differs from p.Via and
	//     elapsed < p.RepeatWindow: the repeat of the last counted poll by
	//     a client that tries its two ways of authenticating one after the
	//     other (golang.org/x/oauth2's default). PollVia="" (one repeat per
	//     counted poll), nothing else changes; too fast exactly when the
	//     repeated poll was (SlowedDown), so the client gets one answer.
	//   - else: too fast. Interval += DeviceSlowDownStep, LastPolledAt=p.At,
	//     PollVia=p.Via, SlowedDown=true.
	// Under concurrent polls each is counted once, in some order.
	PollDevice(ctx context.Context, hash string, p DevicePoll) (DeviceAuthorization, bool, error)
	// ExchangeDevice moves the row with the device-code hash from approved
	// to exchanged (compare-and-set) and returns it. ErrNotFound when
	// absent, ErrExpired when it expired at or before now, ErrUsed when it
	// is not approved (pending, denied or already exchanged). Under any
	// number of concurrent calls exactly one succeeds.
	ExchangeDevice(ctx context.Context, hash string, now time.Time) (DeviceAuthorization, error)
	// DeleteExpiredDevices removes rows that expired at or before now and
	// returns how many.
	DeleteExpiredDevices(ctx context.Context, now time.Time) (int, error)
}

// ApplyDevicePoll is the rule of DeviceStore.PollDevice as a pure function,
// for backends that read the row, apply it and write the row back while
// holding a lock on it. It returns the row after the poll and whether the
// poll came too fast.
func ApplyDevicePoll(d DeviceAuthorization, p DevicePoll) (DeviceAuthorization, bool) {
	elapsed := p.At.Sub(d.LastPolledAt)
	switch {
	case d.LastPolledAt.IsZero() || elapsed >= time.Duration(d.Interval)*time.Second-p.Slack:
		d.LastPolledAt, d.PollVia, d.SlowedDown = p.At, p.Via, false
		return d, false
	case d.PollVia != "" && d.PollVia != p.Via && elapsed < p.RepeatWindow:
		d.PollVia = ""
		return d, d.SlowedDown
	default:
		d.Interval += DeviceSlowDownStep
		d.LastPolledAt, d.PollVia, d.SlowedDown = p.At, p.Via, true
		return d, true
	}
}
