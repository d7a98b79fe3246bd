package device

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/event"
	"github.com/authos/authos/internal/httpx"
	"github.com/authos/authos/internal/page"
	"github.com/authos/authos/internal/validate"
	"github.com/authos/authos/store"
)

// GrantType is the grant_type of the device-code token request.
const GrantType = "urn:ietf:params:oauth:grant-type:device_code"

// Event types emitted (through the authos outbox, in the transaction of the
// decision).
const (
	EventApproved = "device.approved"
	EventDenied   = "device.denied"
)

// Limits of user-code guessing (see the package doc).
const (
	maxGuesses  = 5
	guessWindow = time.Minute
	maxScopeLen = 1000
	// createAttempts bounds the retries when a new code collides.
	createAttempts = 10
)

// Polling tolerances (see PollDevice in package store and the package doc).
const (
	pollSlackMax = time.Second
	repeatWindow = 2 * time.Second
)

// Config configures a Service. Every field is optional.
type Config struct {
	// VerificationURI is the page where users enter a user code; a
	// service's DeviceActivationURI replaces it for that service. Default
	// the authos BaseURL + "/activate" (served by the authos Handler).
	VerificationURI string
	// CodeTTL is the lifetime of device and user codes. Default 15 minutes;
	// at most 24 hours.
	CodeTTL time.Duration
	// Interval is the polling interval given to devices, in whole seconds
	// (at least 1 s). Default 5 s.
	Interval time.Duration
	// Template replaces the activation page. It is executed with a
	// *PageData; it must not load external assets (the page is served with
	// a Content-Security-Policy of default-src 'none'). Default: the
	// activation form inside the layout and stylesheet of every authos page
	// (authos Config.Pages).
	Template *template.Template
	// PageAuth authenticates the activation page's POST. Default: an
	// access token for the management audience in the Authorization header
	// (a.Authenticate). A host whose web UI keeps its own sign-in (for
	// example a session cookie) plugs it in here to let signed-in users
	// approve from the page.
	PageAuth func(r *http.Request) (*authos.Principal, error)
}

// maxCodeTTL caps Config.CodeTTL: a device code is for a person at hand.
const maxCodeTTL = 24 * time.Hour

// checkDurations refuses a negative CodeTTL or Interval (0 means the
// default: a negative value is a mistake, such as a sign error, that would
// otherwise pass unnoticed) and a CodeTTL of more than a day, naming every
// problem.
func (c Config) checkDurations() error {
	var errs []error
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"CodeTTL", c.CodeTTL}, {"Interval", c.Interval}} {
		if f.d < 0 {
			errs = append(errs, fmt.Errorf("device: Config.%s is negative (%v); use 0 for the default", f.name, f.d))
		}
	}
	if c.CodeTTL > maxCodeTTL {
		errs = append(errs, fmt.Errorf("device: Config.CodeTTL is %v; at most %v (a device code is used while its person waits)", c.CodeTTL, maxCodeTTL))
	}
	return errors.Join(errs...)
}

// Service is the RFC 8628 device authorization grant. It is safe for
// concurrent use. Build it with New.
type Service struct {
	a     *authos.Authos
	st    storage
	cfg   Config
	tmpl  *template.Template
	style page.Style
	csrf  page.CSRF
}

// New builds the service, registers its routes with a (so a.Handler()
// serves them) and its endpoints in a's discovery document. It fails on an invalid cfg, and when a's store does not offer
// the device capability, store.DeviceStore (the error matches
// errors.ErrUnsupported).
func New(a *authos.Authos, cfg Config) (*Service, error) {
	if a == nil {
		return nil, errors.New("device: nil *authos.Authos")
	}
	base := a.Config().BaseURL
	if cfg.VerificationURI == "" {
		cfg.VerificationURI = base + "/activate"
	}
	if !validate.URL(cfg.VerificationURI) {
		return nil, fmt.Errorf("device: Config.VerificationURI %q must be an absolute http(s) URL with a host, without fragment or credentials", cfg.VerificationURI)
	}
	if err := cfg.checkDurations(); err != nil {
		return nil, err
	}
	if cfg.CodeTTL == 0 {
		cfg.CodeTTL = 15 * time.Minute
	}
	if cfg.Interval == 0 {
		cfg.Interval = 5 * time.Second
	}
	if cfg.Interval < time.Second || cfg.Interval%time.Second != 0 {
		return nil, errors.New("device: Config.Interval must be a whole number of seconds, at least 1s")
	}
	if cfg.Interval >= cfg.CodeTTL {
		return nil, errors.New("device: Config.Interval must be shorter than Config.CodeTTL")
	}
	st, err := newStorage(a.Store())
	if err != nil {
		return nil, err
	}
	s := &Service{a: a, st: st, cfg: cfg, tmpl: cfg.Template}
	pages := a.Config().Pages
	if s.style, err = page.NewStyle(pages.Stylesheet); err != nil {
		return nil, fmt.Errorf("device: authos Config.Pages.Stylesheet: %w", err)
	}
	if s.tmpl == nil {
		if s.tmpl, err = page.Parse("activate", pages.Templates["layout"], activateContent); err != nil {
			return nil, fmt.Errorf("device: authos Config.Pages.Templates: %w", err)
		}
	}
	kr := a.Keyring()
	s.csrf = page.CSRF{Seal: kr.Encrypt, Open: kr.Decrypt, Now: a.Now, Secure: strings.HasPrefix(base, "https://")}
	if s.cfg.PageAuth == nil {
		s.cfg.PageAuth = func(r *http.Request) (*authos.Principal, error) { return a.Authenticate(r, "") }
	}
	if err := authos.Extend(a).Handle(s.routes()...); err != nil {
		return nil, fmt.Errorf("device: %w", err)
	}
	if err := authos.Extend(a).RegisterGrant(GrantType, s.grant); err != nil {
		return nil, fmt.Errorf("device: %w", err)
	}
	authos.Extend(a).SetDiscovery("device_authorization_endpoint", base+"/auth/device/code")
	authos.Extend(a).AddCleanup(func(ctx context.Context) error { _, err := s.DeleteExpired(ctx); return err })
	authos.Extend(a).RegisterEventTypes(eventTypes...)
	return s, nil
}

// eventTypes is the catalog entry of each event device emits.
var eventTypes = []authos.EventType{
	{Type: EventApproved, Scope: event.ScopeOrganization,
		Description: "A user approved a device's sign-in (RFC 8628); target_id is the device authorization.",
		Example:     map[string]any{"client_id": "svc_4f7a2c9e1b", "service_id": "01JDX5V8R2Q9T3W4Y5Z6A7B8C9"}},
	{Type: EventDenied, Scope: event.ScopeOrganization,
		Description: "A user denied a device's sign-in (RFC 8628).",
		Example:     map[string]any{"client_id": "svc_4f7a2c9e1b", "service_id": "01JDX5V8R2Q9T3W4Y5Z6A7B8C9"}},
}

// Authorization is the device authorization response (RFC 8628 §3.2).
type Authorization struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"` // XXXX-XXXX
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int    `json:"expires_in"`
	Interval                int    `json:"interval"`
}

// Authorize starts a device authorization for the client (secret is
// empty for public clients). Client errors as authos.AuthenticateClient
// (UNAUTHORIZED, ORGANIZATION_NOT_ACTIVE). A collision of the random codes
// with a live authorization is retried with new codes.
func (s *Service) Authorize(ctx context.Context, clientID, secret, scope string) (*Authorization, error) {
	scope = strings.Join(strings.Fields(scope), " ")
	if len(scope) > maxScopeLen {
		return nil, authos.NewError(authos.CodeBadRequest, "scope is too long")
	}
	c, err := s.a.AuthenticateClient(ctx, clientID, secret)
	if err != nil {
		return nil, err
	}
	now := s.a.Now()
	for range createAttempts {
		code, userCode := newDeviceCode(), newUserCode()
		d := store.DeviceAuthorization{
			ID: newID(), DeviceCodeHash: hashDeviceCode(code), UserCode: userCode,
			ClientID: c.Service.ClientID, ServiceID: c.Service.ID, OrgID: c.Org.ID, Scope: scope,
			Status: store.DeviceStatusPending, Interval: int(s.cfg.Interval / time.Second),
			CreatedAt: now, ExpiresAt: now.Add(s.cfg.CodeTTL),
		}
		err := s.st.CreateDeviceAuthorization(ctx, d)
		if errors.Is(err, store.ErrConflict) {
			continue
		}
		if err != nil {
			return nil, storeError(err)
		}
		uri := s.cfg.VerificationURI
		if c.Service.DeviceActivationURI != "" {
			uri = c.Service.DeviceActivationURI
		}
		return &Authorization{
			DeviceCode: code, UserCode: FormatUserCode(userCode), VerificationURI: uri,
			VerificationURIComplete: httpx.AppendQuery(uri, url.Values{"user_code": {FormatUserCode(userCode)}}),
			ExpiresIn:               int(s.cfg.CodeTTL / time.Second), Interval: d.Interval,
		}, nil
	}
	return nil, authos.NewError(authos.CodeInternalServerError, "Could not allocate a unique code")
}

func newID() string { return hashDeviceCode(newDeviceCode())[:32] }

// Request is a device authorization as the user who is asked to approve it
// sees it.
type Request struct {
	UserCode     string    `json:"user_code"` // XXXX-XXXX
	Status       string    `json:"status"`    // pending, approved, denied, exchanged
	ServiceName  string    `json:"service_name"`
	Service      string    `json:"service"` // slug
	Organization string    `json:"organization_name"`
	Org          string    `json:"organization"` // slug
	Scope        string    `json:"scope,omitempty"`
	RequestedAt  time.Time `json:"requested_at"`
	ExpiresAt    time.Time `json:"expires_at"`

	id      string
	client  authos.ServiceClient
	orgLive bool
}

// Lookup returns the live authorization with userCode. guessKey names who
// is guessing (for example "device:"+userID or "device-ip:"+ip): after 5
// unknown codes within a minute the key is refused with RATE_LIMIT_EXCEEDED
// for a minute. Unknown or expired codes: INVALID_DEVICE_CODE.
func (s *Service) Lookup(ctx context.Context, guessKey, userCode string) (*Request, error) {
	now := s.a.Now()
	f, err := s.st.GetLoginFailures(ctx, guessKey)
	if err != nil {
		return nil, storeError(err)
	}
	if f.LockedUntil.After(now) {
		return nil, rateLimited(f.LockedUntil.Sub(now))
	}
	code, ok := NormalizeUserCode(userCode)
	var d store.DeviceAuthorization
	if ok {
		d, err = s.st.GetDeviceByUserCode(ctx, code, now)
	}
	if !ok || errors.Is(err, store.ErrNotFound) {
		f, err := s.st.RecordLoginFailure(ctx, guessKey, now, guessWindow, maxGuesses, guessWindow)
		if err != nil {
			return nil, storeError(err)
		}
		if f.LockedUntil.After(now) {
			return nil, rateLimited(f.LockedUntil.Sub(now))
		}
		return nil, authos.NewError(authos.CodeInvalidDeviceCode, "Unknown or expired code; check the code shown on your device")
	}
	if err != nil {
		return nil, storeError(err)
	}
	svc, err := s.st.GetService(ctx, d.ServiceID)
	if err != nil {
		return nil, lookupError(err)
	}
	o, err := s.st.GetOrg(ctx, d.OrgID)
	if err != nil {
		return nil, lookupError(err)
	}
	return &Request{UserCode: FormatUserCode(d.UserCode), Status: d.Status, ServiceName: svc.Name, Service: svc.Slug,
		Organization: o.Name, Org: o.Slug, Scope: d.Scope, RequestedAt: d.CreatedAt, ExpiresAt: d.ExpiresAt,
		id: d.ID, client: authos.ServiceClient{Service: svc, Org: o}, orgLive: o.Status == store.OrgActive}, nil
}

// lookupError maps a missing service or organization (deleted since the
// authorization started) to INVALID_DEVICE_CODE.
func lookupError(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return authos.NewError(authos.CodeInvalidDeviceCode, "The application of this code no longer exists")
	}
	return storeError(err)
}

func rateLimited(d time.Duration) error {
	e := authos.NewError(authos.CodeRateLimitExceeded, "Too many wrong codes; try again later")
	e.RetryAfter = d
	return e.WithField("retry_after", int((d+time.Second-1)/time.Second))
}

// Approve lets the device of userCode sign in as the principal's user.
// The principal must be a signed-in user (access token). Errors:
// UNAUTHORIZED, INVALID_DEVICE_CODE (unknown, or already decided),
// DEVICE_CODE_EXPIRED, RATE_LIMIT_EXCEEDED (5 wrong codes per user per
// minute), ORGANIZATION_NOT_ACTIVE, FORBIDDEN (disabled account) and
// MFA_REQUIRED when the user has a second factor that the approving
// session did not pass: the user must sign in with it first.
func (s *Service) Approve(ctx context.Context, p *authos.Principal, userCode string) (*Request, error) {
	return s.decide(ctx, p, userCode, store.DeviceStatusApproved)
}

// Deny refuses the authorization of userCode: the device's next poll gets
// access_denied. Errors as Approve, without MFA_REQUIRED.
func (s *Service) Deny(ctx context.Context, p *authos.Principal, userCode string) (*Request, error) {
	return s.decide(ctx, p, userCode, store.DeviceStatusDenied)
}

func (s *Service) decide(ctx context.Context, p *authos.Principal, userCode, status string) (*Request, error) {
	if p == nil || p.UserID == "" || p.Kind != authos.PrincipalAccessToken {
		return nil, authos.NewError(authos.CodeUnauthorized, "Sign in to approve a device")
	}
	req, err := s.Lookup(ctx, "device:"+p.UserID, userCode)
	if err != nil {
		return nil, err
	}
	user, err := s.st.GetUser(ctx, p.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, authos.NewError(authos.CodeUnauthorized, "Unknown user")
	}
	if err != nil {
		return nil, storeError(err)
	}
	if user.Disabled {
		return nil, authos.NewError(authos.CodeForbidden, "Account is disabled")
	}
	if req.Status != store.DeviceStatusPending {
		return nil, authos.NewError(authos.CodeInvalidDeviceCode, "This code was already "+req.Status)
	}
	if status == store.DeviceStatusApproved {
		if !req.orgLive {
			return nil, authos.NewError(authos.CodeOrganizationNotActive, "The organization of this application is not active")
		}
		lc := authos.ServiceLoginContext(req.client, authos.AMRDevice)
		lc.AMR = slices.Clone(p.AMR)
		need, err := authos.Extend(s.a).SecondFactorRequired(ctx, user, lc)
		if err != nil {
			return nil, err
		}
		if need {
			return nil, authos.NewError(authos.CodeMFARequired,
				"Approving a device needs your second factor: sign in again with it, then approve")
		}
	}
	now := s.a.Now()
	ev := EventApproved
	if status == store.DeviceStatusDenied {
		ev = EventDenied
	}
	err = s.tx(ctx, func(tx deviceTx) error {
		if err := tx.DecideDevice(ctx, req.id, status, user.ID, p.AMR, now); err != nil {
			return err
		}
		return authos.Extend(s.a).Emit(ctx, tx, authos.Event{Type: ev, OrgID: req.client.Org.ID, ActorID: user.ID, TargetID: req.id,
			Data: map[string]any{"client_id": req.client.Service.ClientID, "service_id": req.client.Service.ID}})
	})
	switch {
	case errors.Is(err, store.ErrUsed):
		return nil, authos.NewError(authos.CodeInvalidDeviceCode, "This code was already approved or denied")
	case errors.Is(err, store.ErrExpired):
		return nil, authos.NewError(authos.CodeDeviceCodeExpired, "This code has expired; start again on your device")
	case errors.Is(err, store.ErrNotFound):
		return nil, authos.NewError(authos.CodeInvalidDeviceCode, "Unknown or expired code")
	case err != nil:
		return nil, storeError(err)
	}
	req.Status = status
	return req, nil
}

// DeleteExpired removes expired authorizations and returns how many; a
// host calls it periodically (expired rows are refused anyway).
func (s *Service) DeleteExpired(ctx context.Context) (int, error) {
	n, err := s.st.DeleteExpiredDevices(ctx, s.a.Now())
	if err != nil {
		return 0, storeError(err)
	}
	return n, nil
}

func storeError(err error) error {
	var e *authos.Error
	if errors.As(err, &e) {
		return e
	}
	return authos.WrapError(authos.CodeDatabaseError, "", err)
}
