package authos

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// Event is something that happened, written to the outbox in the same
// transaction as the change and delivered after commit to OnEvent and to
// the consumers registered with HandleTopic (webhooks, audit export).
type Event struct {
	ID       string         `json:"id"`
	Type     string         `json:"type"`
	Time     time.Time      `json:"time"`
	OrgID    string         `json:"org_id,omitempty"`
	ActorID  string         `json:"actor_id,omitempty"`
	TargetID string         `json:"target_id,omitempty"`
	Data     map[string]any `json:"data,omitempty"`
}

func (a *Authos) emit(ctx context.Context, tx store.OutboxStore, ev Event) error {
	now := a.now()
	if ev.ID == "" {
		ev.ID = randx.ID()
	}
	if ev.Time.IsZero() {
		ev.Time = now
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	a.noteQueued()
	return tx.EnqueueOutbox(ctx, store.OutboxMessage{ID: ev.ID, Topic: store.TopicEvent, Payload: payload,
		CreatedAt: now, NextAttemptAt: now})
}

func outboxAAD(id string) []byte { return []byte("authos_outbox.payload:" + id) }

// enqueueEmail renders template name in the language of ctx and queues
// the message through tx.
// The payload is encrypted: it holds one-time links.
func (a *Authos) enqueueEmail(ctx context.Context, tx store.OutboxStore, name, to string, data EmailData) error {
	msg, err := a.renderEmail(a.language(ctx), name, to, data)
	if err != nil {
		return err
	}
	return a.enqueueMessage(ctx, tx, msg)
}

// enqueueMessage is Extension.EnqueueEmail: queues an already rendered message through tx; the outbox
// worker delivers it after commit with retries. The stored payload is
// encrypted with the keyring.
func (a *Authos) enqueueMessage(ctx context.Context, tx store.OutboxStore, msg Message) error {
	return a.enqueueSealed(ctx, tx, store.TopicEmail, msg)
}

// enqueueSealed queues v as JSON on topic through tx, encrypted with the
// keyring (bound to the message id).
func (a *Authos) enqueueSealed(ctx context.Context, tx store.OutboxStore, topic string, v any) error {
	plain, err := json.Marshal(v)
	if err != nil {
		return err
	}
	id := randx.ID()
	sealed, err := a.keyring.Encrypt(plain, outboxAAD(id))
	if err != nil {
		return err
	}
	now := a.now()
	a.noteQueued()
	return tx.EnqueueOutbox(ctx, store.OutboxMessage{ID: id, Topic: topic, Payload: sealed,
		CreatedAt: now, NextAttemptAt: now})
}

// openSealed decrypts the payload of a message queued with enqueueSealed
// into v.
func (a *Authos) openSealed(m store.OutboxMessage, v any) error {
	plain, err := a.keyring.Decrypt(m.Payload, outboxAAD(m.ID))
	if err != nil {
		return err
	}
	return json.Unmarshal(plain, v)
}

// OutboxHandler delivers one outbox message; an error schedules a retry.
type OutboxHandler func(ctx context.Context, m store.OutboxMessage) error

// handleTopic is Extension.HandleTopic: registers the handler of an outbox topic (a domain package's
// own side effects). It replaces an earlier handler of the same topic.
func (a *Authos) handleTopic(topic string, h OutboxHandler) {
	a.mu.Lock()
	a.topics[topic] = h
	a.mu.Unlock()
}

// Outbox delivery policy.
const (
	outboxLease       = time.Minute
	outboxBatch       = 20
	outboxMaxAttempts = 12
)

// ProcessOutbox claims due outbox messages once and delivers them; failures
// are retried with exponential backoff and jitter (5 s doubling, at most
// 1 h; 12 attempts, about 6 hours). Messages that handlers queue are
// delivered in the same call. It returns how many were delivered.
func (a *Authos) ProcessOutbox(ctx context.Context) (int, error) {
	a.outboxWatch.delivering.Store(true)
	a.mu.RLock()
	topics := make([]string, 0, len(a.topics))
	handlers := make(map[string]OutboxHandler, len(a.topics))
	for t, h := range a.topics {
		topics = append(topics, t)
		handlers[t] = h
	}
	a.mu.RUnlock()
	delivered := 0
	for {
		msgs, err := a.st.ClaimOutbox(ctx, topics, a.now(), outboxLease, outboxBatch)
		if err != nil {
			return delivered, dbError(err)
		}
		for _, m := range msgs {
			ok, err := a.deliverOne(ctx, handlers[m.Topic], m)
			if err != nil {
				return delivered, err
			}
			if ok {
				delivered++
			}
		}
		// Claim until nothing is due, so that messages queued by handlers
		// (a looked-up account's email) go out in the same pass.
		if len(msgs) == 0 || ctx.Err() != nil {
			return delivered, ctx.Err()
		}
	}
}

// deliverOne runs the handler and records the outcome: delivered reports
// success; only a store failure is returned as an error.
func (a *Authos) deliverOne(ctx context.Context, h OutboxHandler, m store.OutboxMessage) (delivered bool, err error) {
	herr := func() (err error) {
		defer func() {
			if v := recover(); v != nil {
				err = fmt.Errorf("outbox handler panic: %v", v)
			}
		}()
		return h(ctx, m)
	}()
	now := a.now()
	if herr == nil {
		return true, dbError(a.st.CompleteOutbox(ctx, m.ID, now))
	}
	msg := truncate(herr.Error(), 500)
	if m.Attempts >= outboxMaxAttempts {
		a.log.Error("authos: outbox message failed permanently", "id", m.ID, "topic", m.Topic, "attempts", m.Attempts, "error", msg)
		return false, dbError(a.st.FailOutbox(ctx, m.ID, now, msg))
	}
	a.log.Warn("authos: outbox delivery failed; will retry", "id", m.ID, "topic", m.Topic, "attempts", m.Attempts, "error", msg)
	return false, dbError(a.st.RetryOutbox(ctx, m.ID, now.Add(outboxBackoff(m.Attempts)), msg))
}

// outboxBackoff is 5s·2^(attempt-1) capped at 1h, with ±20% jitter.
func outboxBackoff(attempt int) time.Duration {
	d := 5 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	d = min(d, time.Hour)
	jitter := time.Duration(rand.Int64N(int64(d)/5*2+1)) - d/5
	return d + jitter
}

func (a *Authos) deliverEmail(ctx context.Context, m store.OutboxMessage) error {
	var msg Message
	if err := a.openSealed(m, &msg); err != nil {
		return err
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return a.cfg.Mailer.Send(sctx, msg)
}

func (a *Authos) deliverEvent(ctx context.Context, m store.OutboxMessage) error {
	a.mu.RLock()
	subs := slices.Clone(a.events.subs)
	a.mu.RUnlock()
	if a.cfg.OnEvent == nil && len(subs) == 0 {
		return nil
	}
	var ev Event
	if err := json.Unmarshal(m.Payload, &ev); err != nil {
		return err
	}
	if a.cfg.OnEvent != nil {
		if err := a.cfg.OnEvent(ctx, ev); err != nil {
			return err
		}
	}
	for _, fn := range subs {
		if err := fn(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}
