package authos

import (
	"context"
	"net/http"
	"time"

	"github.com/authos/authos/store"
)

// Extension is the API for packages that add features to an instance (mfa,
// device, scim, and packages written outside this module): registering
// routes with the instance's Handler and the hooks into sign-in, discovery,
// the outbox, housekeeping and the audit log. Hosts do not need it; they
// create the packages (mfa.New(a, ...)) and mount a.Handler().
//
// A package's New calls Extend(a) and registers everything it serves there,
// so that a failure (a route registered twice, or after Handler was built)
// is an error of New, never of a request.
type Extension struct{ a *Authos }

// Extend returns the extension API of a.
func Extend(a *Authos) Extension { return Extension{a: a} }

// Handle registers routes (patterns without the base path), all or none,
// so that a.Handler() serves them beside the core's. It fails when a
// pattern is malformed, registered already or in conflict with one
// (http.ServeMux rules), or when Handler was built. Routes in a group the
// host left out (Config.LeaveOut) are dropped.
func (e Extension) Handle(routes ...Route) error { return e.a.register(routes...) }

// Audit appends a platform action to the audit log through tx, so that the
// entry commits or rolls back with the action itself. Before and After are
// marshalled to JSON; the entry's ID and time are filled in.
func (e Extension) Audit(ctx context.Context, tx store.Tx, in AuditInput) error {
	return e.a.audit(ctx, tx, in)
}

// Emit writes ev to the outbox through tx, inside the caller's
// transaction; ID and Time are filled in when empty. The outbox worker
// delivers it (Config.OnEvent, SubscribeEvents) after commit.
func (e Extension) Emit(ctx context.Context, tx store.Tx, ev Event) error {
	return e.a.emit(ctx, tx, ev)
}

// RegisterEventTypes adds the package's event types to the catalog
// (Authos.EventTypes); a type registered again replaces the earlier entry.
// Types are dotted lower-case names such as "mfa.enabled"; an empty Version
// means 1 and an empty Scope event.ScopeOrganization.
func (e Extension) RegisterEventTypes(ts ...EventType) { e.a.registerEventTypes(ts...) }

// EnqueueEmail queues an already rendered message through tx; the outbox
// worker delivers it after commit, with retries. The stored payload is
// encrypted with the keyring.
func (e Extension) EnqueueEmail(ctx context.Context, tx store.OutboxStore, msg Message) error {
	return e.a.enqueueMessage(ctx, tx, msg)
}

// HandleTopic registers the handler of an outbox topic (the package's own
// side effects, queued with store.OutboxStore in its transactions). It
// replaces an earlier handler of the same topic.
func (e Extension) HandleTopic(topic string, h OutboxHandler) { e.a.handleTopic(topic, h) }

// AddCleanup registers periodic housekeeping (e.g. deleting the package's
// expired rows) that Run performs hourly, and Cleanup once, with the core's.
func (e Extension) AddCleanup(fn func(ctx context.Context) error) { e.a.addCleanup(fn) }

// SetDiscovery adds or replaces one entry of the discovery document
// (/.well-known/openid-configuration), for the endpoints the package
// serves; URLs are built from Config.BaseURL.
func (e Extension) SetDiscovery(key string, value any) { e.a.setDiscovery(key, value) }

// SetSecondFactor registers the second-factor hook that Login consults
// (nil removes it); package mfa registers itself.
func (e Extension) SetSecondFactor(sf SecondFactor) { e.a.setSecondFactor(sf) }

// SecondFactorRequired asks the second-factor hook whether user must still
// pass a second factor for lc (false without a hook). Flows that approve
// on behalf of a signed-in user (device approval) call it with the
// approving session's amr.
func (e Extension) SecondFactorRequired(ctx context.Context, user User, lc LoginContext) (bool, error) {
	return e.a.secondFactorRequired(ctx, user, lc)
}

// LookupPreAuth returns the pending login of a preauth token (the MFA step
// of a login) without consuming it. Unknown, used or expired tokens give
// UNAUTHORIZED.
func (e Extension) LookupPreAuth(ctx context.Context, token string) (*PreAuth, error) {
	return e.a.lookupPreAuth(ctx, token)
}

// FailPreAuth records a wrong second-factor code against the preauth token
// and returns the number of failures so far; the token dies after 5.
func (e Extension) FailPreAuth(ctx context.Context, token string) (int, error) {
	return e.a.failPreAuth(ctx, token)
}

// Language returns the catalog language (internal/i18n) of the emails
// sent with ctx: the one WithLanguage or the request put in it, else
// Config.DefaultLanguage. Packages that write their own emails use it.
func (e Extension) Language(ctx context.Context) string { return e.a.language(ctx) }

// FinishPreAuth consumes the preauth token once the caller has checked the
// second factor (amr, e.g. "otp"), and creates the session.
func (e Extension) FinishPreAuth(ctx context.Context, token, amr string) (*TokenResponse, error) {
	return e.a.finishPreAuth(ctx, token, amr)
}

// DecodeJSON reads one JSON object from r's body into v, strictly: JSON
// content type (or none), at most maxBytes (<= 0: Config.MaxBodyBytes), no
// unknown, duplicate or differently spelled member names, no control
// characters, nothing after the object. Failures are *Error with
// BAD_REQUEST or PAYLOAD_TOO_LARGE whose message never echoes the body.
func (e Extension) DecodeJSON(w http.ResponseWriter, r *http.Request, maxBytes int64, v any) error {
	if maxBytes <= 0 {
		maxBytes = e.a.cfg.MaxBodyBytes
	}
	return decodeJSON(w, r, maxBytes, v)
}

// ParseForm reads an application/x-www-form-urlencoded body of at most
// maxBytes (<= 0: Config.MaxBodyBytes) into r.PostForm (and r.Form, with
// the query), strictly: each parameter once (RFC 6749 §3.1, §3.2), valid
// UTF-8 without control characters. Failures are *Error with BAD_REQUEST
// or PAYLOAD_TOO_LARGE.
func (e Extension) ParseForm(w http.ResponseWriter, r *http.Request, maxBytes int64) error {
	if maxBytes <= 0 {
		maxBytes = e.a.cfg.MaxBodyBytes
	}
	return parseForm(w, r, maxBytes)
}

// CookieName is the name the site's cookie name has: __Host- prefixed
// when BaseURL is https. Packages with their own cookie read it by this
// name.
func (e Extension) CookieName(name string) string { return e.a.cookieName(name) }

// SetCookie sets the site's cookie name (CookieName) to value for ttl, or
// clears it when ttl <= 0: Path=/, HttpOnly, SameSite=Lax, Secure under
// https, as the site's own cookies are.
func (e Extension) SetCookie(w http.ResponseWriter, name, value string, ttl time.Duration) {
	e.a.setCookie(w, name, value, ttl)
}
