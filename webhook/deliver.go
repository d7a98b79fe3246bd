package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/event"
	"github.com/authos/authos/internal/i18n"
	"github.com/authos/authos/internal/outbound"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// Payload is the body of every delivery: the event's type, its time and
// its data. Data holds event_id, org_id, actor_id and target_id (where the
// event has them) beside the fields of the type (see the event catalog).
type Payload struct {
	Type      string         `json:"type"`
	Timestamp string         `json:"timestamp"`
	Data      map[string]any `json:"data"`
}

func payloadOf(ev authos.Event) Payload {
	data := make(map[string]any, len(ev.Data)+4)
	for k, v := range ev.Data {
		data[k] = v
	}
	data["event_id"] = ev.ID
	for k, v := range map[string]string{"org_id": ev.OrgID, "actor_id": ev.ActorID, "target_id": ev.TargetID} {
		if v != "" {
			data[k] = v
		} else {
			delete(data, k)
		}
	}
	return Payload{Type: ev.Type, Timestamp: ev.Time.UTC().Format("2006-01-02T15:04:05.000Z07:00"), Data: data}
}

// Delivery policy.
const (
	lease        = time.Minute
	backoffBase  = 5 * time.Second
	backoffCap   = 16 * time.Hour
	maxBody      = 64 << 10 // of an answer read (then dropped)
	healthyCache = time.Minute
)

// backoff is the delay after failed attempt n (1-based): 5 s·4^(n-1),
// at most 16 h, ±20 % jitter. With 12 attempts the last comes about 72 h
// after the first.
func backoff(n int) time.Duration {
	d := backoffBase
	for i := 1; i < n && d < backoffCap; i++ {
		d *= 4
	}
	d = min(d, backoffCap)
	return d + time.Duration(rand.Int64N(int64(d)/5*2+1)) - d/5
}

// matches reports whether endpoint e subscribes to typ.
func matches(e store.WebhookEndpoint, typ string) bool {
	return slices.Contains(e.Events, AllEvents) || slices.Contains(e.Events, typ)
}

// fanOut queues ev for every enabled endpoint that subscribes to it, in
// the organizations it concerns. It runs for each committed event, at
// least once: the queue keeps one delivery per event and endpoint.
func (s *Service) fanOut(ctx context.Context, ev authos.Event) error {
	orgs, err := s.orgsOf(ctx, ev)
	if err != nil || len(orgs) == 0 {
		return err
	}
	var body []byte
	var ds []store.WebhookDelivery
	now := s.a.Now()
	for _, org := range orgs {
		es, err := s.st.ListWebhookEndpoints(ctx, org)
		if err != nil {
			return err
		}
		for _, e := range es {
			if !e.Enabled || !matches(e, ev.Type) {
				continue
			}
			if body == nil {
				if body, err = json.Marshal(payloadOf(ev)); err != nil {
					return err
				}
			}
			ds = append(ds, store.WebhookDelivery{ID: "msg_" + randx.ID(), EndpointID: e.ID, OrgID: org, EventID: ev.ID,
				EventType: ev.Type, Payload: body, Status: store.WebhookPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now})
		}
	}
	if len(ds) == 0 {
		return nil
	}
	if _, err := s.st.EnqueueWebhookDeliveries(ctx, ds); err != nil {
		return err
	}
	s.notify()
	return nil
}

// orgsOf returns the organizations an event concerns: its own, or for an
// event about an account without one, each organization the account is a
// member of.
func (s *Service) orgsOf(ctx context.Context, ev authos.Event) ([]string, error) {
	if ev.OrgID != "" {
		return []string{ev.OrgID}, nil
	}
	t, ok := s.eventType(ev.Type)
	if !ok || t.Scope != event.ScopeUser || ev.TargetID == "" {
		return nil, nil
	}
	uos, err := s.st.ListUserOrgs(ctx, ev.TargetID)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(uos))
	for _, uo := range uos {
		out = append(out, uo.Org.ID)
	}
	return out, nil
}

// notify wakes Run's claimer.
func (s *Service) notify() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run delivers queued messages until ctx ends, Config.Workers at a time.
// Run it in every instance: deliveries are leased from the store, one
// worker at a time (FOR UPDATE SKIP LOCKED on PostgreSQL; on SQLite, run
// it in the one process that owns the file). A delivery in flight when an
// instance stops is retried once its lease (one minute) runs out, with the
// same webhook-id.
func (s *Service) Run(ctx context.Context) error {
	slots := make(chan struct{}, s.cfg.Workers)
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		free := s.cfg.Workers - len(slots)
		claimed := 0
		if free > 0 {
			ds, err := s.st.ClaimWebhookDeliveries(ctx, randx.ID(), s.a.Now(), lease, free)
			if err != nil && ctx.Err() == nil {
				s.a.Logger().Error("webhook: claiming deliveries", "error", err)
			}
			claimed = len(ds)
			for _, d := range ds {
				slots <- struct{}{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() { <-slots; s.notify() }()
					s.deliver(context.WithoutCancel(ctx), d)
				}()
			}
		}
		if claimed > 0 && claimed == free {
			// More may be due: claim again as soon as a slot frees.
			select {
			case <-ctx.Done():
				return nil
			case <-s.wake:
			case <-tick.C:
			}
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-tick.C:
		}
	}
}

// ProcessDeliveries makes every due delivery once, now, and returns how
// many were attempted: for hosts that schedule their own jobs, and tests.
func (s *Service) ProcessDeliveries(ctx context.Context) (int, error) {
	n := 0
	for {
		ds, err := s.st.ClaimWebhookDeliveries(ctx, randx.ID(), s.a.Now(), lease, s.cfg.Workers)
		if err != nil {
			return n, storeErr(err)
		}
		if len(ds) == 0 {
			return n, nil
		}
		var wg sync.WaitGroup
		for _, d := range ds {
			wg.Go(func() { s.deliver(ctx, d) })
		}
		wg.Wait()
		n += len(ds)
	}
}

// outcome is the result of one attempt.
type outcome struct {
	status     int // HTTP status, 0 when no answer
	duration   time.Duration
	err        string        // why it failed ("" on 2xx)
	retryAfter time.Duration // from Retry-After on 429/503
}

func (o outcome) ok() bool { return o.err == "" }

// send POSTs body to e, signed, with webhook-id id.
func (s *Service) send(ctx context.Context, e store.WebhookEndpoint, id string, body []byte) outcome {
	now := s.a.Now()
	secrets, err := s.secrets(e, now)
	if err != nil {
		s.a.Logger().Error("webhook: opening an endpoint secret", "endpoint", e.ID, "error", err)
		return outcome{err: "the endpoint's secret cannot be read"}
	}
	ts := time.Now()
	sig, err := Sign(secrets, id, ts, body)
	if err != nil {
		return outcome{err: "the endpoint's secret is invalid"}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(body))
	if err != nil {
		return outcome{err: "invalid URL"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "authos-webhooks/1")
	req.Header.Set(HeaderID, id)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set(HeaderSignature, sig)
	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		return outcome{duration: time.Since(start), err: describe(err)}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	_ = resp.Body.Close() // the answer's body is not kept
	o := outcome{status: resp.StatusCode, duration: time.Since(start)}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		o.err = "HTTP " + strconv.Itoa(resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
				o.retryAfter = min(time.Duration(secs)*time.Second, backoffCap)
			}
		}
	}
	return o
}

// describe names a transport failure without echoing addresses beyond
// what the endpoint's owner knows.
func describe(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout"):
		return "timeout"
	case errors.Is(err, outbound.ErrBlocked):
		return "address not allowed"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return "connection failed: " + msg
}

// deliver makes one attempt of a claimed delivery and records it.
func (s *Service) deliver(ctx context.Context, d store.WebhookDelivery) {
	log := s.a.Logger()
	e, err := s.st.GetWebhookEndpoint(ctx, d.OrgID, d.EndpointID)
	if errors.Is(err, store.ErrNotFound) {
		return // deleted with its deliveries
	}
	if err != nil {
		log.Error("webhook: reading an endpoint", "endpoint", d.EndpointID, "error", err)
		return // retried when the lease runs out
	}
	o := s.send(ctx, e, d.ID, d.Payload)
	now := s.a.Now()
	a := store.WebhookAttempt{At: now, ResponseStatus: o.status, LastError: o.err, DurationMS: o.duration.Milliseconds()}
	switch {
	case o.ok():
		a.Status = store.WebhookDelivered
	case o.status == http.StatusGone:
		a.Status = store.WebhookFailed
	case d.Attempts >= s.cfg.MaxAttempts:
		a.Status = store.WebhookFailed
	default:
		a.Status, a.NextAttemptAt = store.WebhookPending, now.Add(max(backoff(d.Attempts), o.retryAfter))
	}
	if err := s.st.FinishWebhookDelivery(ctx, d.ID, d.LeaseID, a); err != nil {
		if !errors.Is(err, store.ErrUsed) && !errors.Is(err, store.ErrNotFound) {
			log.Error("webhook: recording a delivery", "delivery", d.ID, "error", err)
		}
		return
	}
	s.recordHealth(ctx, e, o, now)
}

// recordHealth updates the endpoint's failure record after an attempt:
// 410 disables it at once; failures for Config.DisableAfter disable it and
// email the organization's owners.
func (s *Service) recordHealth(ctx context.Context, e store.WebhookEndpoint, o outcome, now time.Time) {
	log := s.a.Logger()
	if o.ok() {
		s.healthMu.Lock()
		last, known := s.healthy[e.ID]
		fresh := known && now.Sub(last) < healthyCache && e.FailingSince.IsZero()
		if !fresh {
			s.healthy[e.ID] = now
		}
		s.healthMu.Unlock()
		if !fresh {
			if _, err := s.st.RecordWebhookEndpointResult(ctx, e.ID, true, now); err != nil && !errors.Is(err, store.ErrNotFound) {
				log.Error("webhook: recording endpoint health", "endpoint", e.ID, "error", err)
			}
		}
		return
	}
	s.healthMu.Lock()
	delete(s.healthy, e.ID)
	s.healthMu.Unlock()
	if o.status == http.StatusGone {
		s.disable(ctx, e, DisabledGone, now)
		return
	}
	since, err := s.st.RecordWebhookEndpointResult(ctx, e.ID, false, now)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			log.Error("webhook: recording endpoint health", "endpoint", e.ID, "error", err)
		}
		return
	}
	if !since.IsZero() && now.Sub(since) >= s.cfg.DisableAfter {
		s.disable(ctx, e, DisabledFailing, now)
	}
}

// disable turns the endpoint off for reason and emails the organization's
// owners, in one transaction; an endpoint already off is left alone.
func (s *Service) disable(ctx context.Context, e store.WebhookEndpoint, reason string, now time.Time) {
	err := s.st.Tx(ctx, func(tx store.Tx) error {
		wt, err := store.Require[store.WebhookStore](tx)
		if err != nil {
			return err
		}
		cur, err := wt.GetWebhookEndpoint(ctx, e.OrgID, e.ID)
		if err != nil || !cur.Enabled {
			return err
		}
		if err := wt.DisableWebhookEndpoint(ctx, e.ID, reason, now); err != nil {
			return err
		}
		o, err := tx.GetOrg(ctx, e.OrgID)
		if err != nil {
			return err
		}
		ms, err := tx.ListMembers(ctx, e.OrgID)
		if err != nil {
			return err
		}
		lang := authos.Extend(s.a).Language(ctx)
		why := i18n.T(lang, "email.webhook_disabled.gone")
		if reason == DisabledFailing {
			why = i18n.T(lang, "email.webhook_disabled.failing", cur.FailingSince.UTC().Format("2006-01-02 15:04:05 UTC"))
		}
		product := s.a.Config().ProductName
		for _, m := range ms {
			if m.Role != store.RoleOwner || m.Status == store.MemberSuspended {
				continue
			}
			u, err := tx.GetUser(ctx, m.UserID)
			if err != nil {
				return err
			}
			msg := authos.Message{To: u.Email, Subject: i18n.T(lang, "email.webhook_disabled.subject", product, cur.Name, o.Name),
				Text: i18n.T(lang, "email.webhook_disabled.text", cur.Name, cur.URL, o.Name, why)}
			if err := authos.Extend(s.a).EnqueueEmail(ctx, tx, msg); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		s.a.Logger().Error("webhook: disabling an endpoint", "endpoint", e.ID, "error", err)
		return
	}
	s.a.Logger().Warn("webhook: endpoint disabled", "endpoint", e.ID, "org", e.OrgID, "reason", reason)
}

// Delivery is the view of a delivery in the log.
type Delivery struct {
	ID             string `json:"id"`
	WebhookID      string `json:"webhook_id"` // the webhook-id header
	EndpointID     string `json:"endpoint_id"`
	EventID        string `json:"event_id"`
	EventType      string `json:"event_type"`
	Status         string `json:"status"`
	Attempts       int    `json:"attempts"`
	ResponseStatus int    `json:"response_status"`
	LastError      string `json:"last_error,omitempty"`
	DurationMS     int64  `json:"duration_ms"`
	NextAttemptAt  string `json:"next_attempt_at,omitempty"`
	CreatedAt      string `json:"created_at"`
	UpdatedAt      string `json:"updated_at"`
	DeliveredAt    string `json:"delivered_at,omitempty"`
}

func deliveryView(d store.WebhookDelivery) Delivery {
	v := Delivery{ID: d.ID, WebhookID: d.ID, EndpointID: d.EndpointID, EventID: d.EventID, EventType: d.EventType,
		Status: d.Status, Attempts: d.Attempts, ResponseStatus: d.ResponseStatus, LastError: d.LastError,
		DurationMS: d.DurationMS, CreatedAt: stamp(d.CreatedAt), UpdatedAt: stamp(d.UpdatedAt), DeliveredAt: stamp(d.DeliveredAt)}
	if d.Status == store.WebhookPending {
		v.NextAttemptAt = stamp(d.NextAttemptAt)
	}
	return v
}

// DeliveryFilter selects deliveries of an endpoint.
type DeliveryFilter struct {
	Status    string // pending, delivered, failed or ""
	EventType string
	Limit     int // 1..100, default 50
	Cursor    string
}

// Deliveries returns the log of o's endpoint id, newest first, and the
// cursor of the next page ("" on the last). BAD_REQUEST for an unknown
// status or a bad limit.
func (s *Service) Deliveries(ctx context.Context, o authos.Organization, id string, f DeliveryFilter) ([]Delivery, string, error) {
	if _, err := s.get(ctx, o, id); err != nil {
		return nil, "", err
	}
	switch f.Status {
	case "", store.WebhookPending, store.WebhookDelivered, store.WebhookFailed:
	default:
		return nil, "", authos.NewError(authos.CodeBadRequest, "status must be pending, delivered or failed")
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	if f.Limit < 1 || f.Limit > 100 {
		return nil, "", authos.NewError(authos.CodeBadRequest, "limit must be between 1 and 100")
	}
	for _, v := range []string{f.EventType, f.Cursor} {
		if err := authos.CheckIdentifier("filter", v); err != nil || len(v) > 200 {
			return nil, "", authos.NewError(authos.CodeBadRequest, "Invalid filter")
		}
	}
	ds, err := s.st.ListWebhookDeliveries(ctx, store.WebhookDeliveryFilter{EndpointID: id, Status: f.Status,
		EventType: f.EventType, Limit: f.Limit + 1, Cursor: f.Cursor})
	if err != nil {
		return nil, "", storeErr(err)
	}
	next := ""
	if len(ds) > f.Limit {
		ds = ds[:f.Limit]
		next = ds[len(ds)-1].ID
	}
	out := make([]Delivery, 0, len(ds))
	for _, d := range ds {
		out = append(out, deliveryView(d))
	}
	return out, next, nil
}

// Retry queues o's delivery again now, whatever its status (it keeps its
// webhook-id). It is sent while the endpoint is enabled.
func (s *Service) Retry(ctx context.Context, o authos.Organization, id, deliveryID string) (Delivery, error) {
	if _, err := s.get(ctx, o, id); err != nil {
		return Delivery{}, err
	}
	if err := authos.CheckIdentifier("id", deliveryID); err != nil {
		return Delivery{}, err
	}
	if err := s.st.RetryWebhookDelivery(ctx, id, deliveryID, s.a.Now()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Delivery{}, authos.NewError(authos.CodeNotFound, "Delivery not found")
		}
		return Delivery{}, storeErr(err)
	}
	d, err := s.st.GetWebhookDelivery(ctx, id, deliveryID)
	if err != nil {
		return Delivery{}, storeErr(err)
	}
	s.notify()
	return deliveryView(d), nil
}

// TestResult is the outcome of a test send.
type TestResult struct {
	Status         string   `json:"status"` // delivered or failed
	ResponseStatus int      `json:"response_status"`
	DurationMS     int64    `json:"duration_ms"`
	Error          string   `json:"error,omitempty"`
	Delivery       Delivery `json:"delivery"`
}

// Test sends a webhook.test message to o's endpoint id now (even when it
// is disabled) and reports how it answered; the attempt is kept in the
// delivery log and never retried.
func (s *Service) Test(ctx context.Context, o authos.Organization, id string) (TestResult, error) {
	e, err := s.get(ctx, o, id)
	if err != nil {
		return TestResult{}, err
	}
	now := s.a.Now()
	ev := authos.Event{ID: randx.ID(), Type: EventTest, Time: now, OrgID: o.ID, TargetID: e.ID,
		Data: map[string]any{"webhook_id": e.ID, "message": "This is a test webhook from " + s.a.Config().ProductName + "."}}
	body, err := json.Marshal(payloadOf(ev))
	if err != nil {
		return TestResult{}, err
	}
	d := store.WebhookDelivery{ID: "msg_" + randx.ID(), EndpointID: e.ID, OrgID: o.ID, EventID: ev.ID, EventType: EventTest,
		Payload: body, Attempts: 1, CreatedAt: now}
	out := s.send(ctx, e, d.ID, body)
	d.UpdatedAt, d.ResponseStatus, d.LastError, d.DurationMS = s.a.Now(), out.status, out.err, out.duration.Milliseconds()
	d.Status = store.WebhookFailed
	if out.ok() {
		d.Status, d.DeliveredAt = store.WebhookDelivered, d.UpdatedAt
	}
	if _, err := s.st.EnqueueWebhookDeliveries(ctx, []store.WebhookDelivery{d}); err != nil {
		return TestResult{}, storeErr(err)
	}
	return TestResult{Status: d.Status, ResponseStatus: out.status, DurationMS: d.DurationMS, Error: out.err,
		Delivery: deliveryView(d)}, nil
}
