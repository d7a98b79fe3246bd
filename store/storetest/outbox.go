package storetest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/authos/authos/store"
)

var outboxTests = []testCase{
	{"EnqueueList", testOutboxEnqueueList},
	{"Conflict", testOutboxConflict},
	{"ClaimTopicsAndSchedule", testOutboxClaimTopicsAndSchedule},
	{"ClaimLease", testOutboxClaimLease},
	{"ClaimOrderAndLimit", testOutboxClaimOrderAndLimit},
	{"Complete", testOutboxComplete},
	{"Retry", testOutboxRetry},
	{"Fail", testOutboxFail},
	{"ListFilter", testOutboxListFilter},
	{"ConcurrentClaimers", testOutboxConcurrentClaimers},
}

// newMsg returns a pending message due when it is created.
func newMsg(id, topic string, created time.Time) store.OutboxMessage {
	return store.OutboxMessage{
		ID:            id,
		Topic:         topic,
		Payload:       []byte(`{"id":"` + id + `"}`),
		CreatedAt:     created,
		NextAttemptAt: created,
	}
}

func enqueue(t *testing.T, s store.Storage, ms ...store.OutboxMessage) {
	t.Helper()
	for _, m := range ms {
		must(t, "EnqueueOutbox("+m.ID+")", s.EnqueueOutbox(t.Context(), m))
	}
}

// claim calls ClaimOutbox and checks the ids it returns, in order.
func claim(t *testing.T, s store.Storage, topics []string, now time.Time, lease time.Duration, limit int, want ...string) []store.OutboxMessage {
	t.Helper()
	got, err := s.ClaimOutbox(t.Context(), topics, now, lease, limit)
	must(t, "ClaimOutbox", err)
	if ids := outboxIDs(got); !slices.Equal(ids, want) {
		t.Fatalf("ClaimOutbox(%v, now=%v, limit=%d): got %v; want %v", topics, now, limit, ids, want)
	}
	return got
}

// listOne returns the message with id from ListOutbox.
func listOne(t *testing.T, s store.Storage, id string) store.OutboxMessage {
	t.Helper()
	ms, err := s.ListOutbox(t.Context(), store.OutboxFilter{})
	must(t, "ListOutbox", err)
	for _, m := range ms {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("ListOutbox: message %s missing; got %v", id, outboxIDs(ms))
	return store.OutboxMessage{}
}

func testOutboxEnqueueList(t *testing.T, s store.Storage) {
	ctx := t.Context()
	got, err := s.ListOutbox(ctx, store.OutboxFilter{})
	must(t, "ListOutbox(empty)", err)
	if len(got) != 0 {
		t.Errorf("ListOutbox(empty): got %v; want none", outboxIDs(got))
	}
	m1 := newMsg("m1", store.TopicEmail, base)
	m2 := newMsg("m2", store.TopicEmail, at(time.Second))
	m2.NextAttemptAt = at(time.Hour)
	m3 := newMsg("m3", store.TopicEvent, at(2*time.Second))
	m3.Payload = nil
	enqueue(t, s, m2, m3, m1)
	got, err = s.ListOutbox(ctx, store.OutboxFilter{})
	must(t, "ListOutbox", err)
	want := []store.OutboxMessage{m1, m2, m3}
	if ids, wantIDs := outboxIDs(got), outboxIDs(want); !slices.Equal(ids, wantIDs) {
		t.Fatalf("ListOutbox: got %v; want %v (oldest first)", ids, wantIDs)
	}
	for i := range want {
		checkEqual(t, "ListOutbox["+want[i].ID+"]", got[i], want[i], normOutbox)
	}
}

func testOutboxConflict(t *testing.T, s store.Storage) {
	ctx := t.Context()
	m := newMsg("m1", store.TopicEmail, base)
	enqueue(t, s, m)
	wantErr(t, "EnqueueOutbox(same id)", s.EnqueueOutbox(ctx, newMsg("m1", store.TopicEvent, at(time.Hour))), store.ErrConflict)
	got := listOne(t, s, "m1")
	checkEqual(t, "message after conflicting enqueue", got, m, normOutbox)
}

func testOutboxClaimTopicsAndSchedule(t *testing.T, s store.Storage) {
	email := []string{store.TopicEmail}
	a := newMsg("a", store.TopicEmail, base)
	b := newMsg("b", store.TopicEvent, at(time.Second))
	b.NextAttemptAt = base
	c := newMsg("c", store.TopicEmail, at(2*time.Second))
	c.NextAttemptAt = at(10 * time.Minute) // not due yet
	d := newMsg("d", store.TopicEmail, at(-time.Second))
	e := newMsg("e", store.TopicEmail, at(3*time.Second))
	e.NextAttemptAt = base // due exactly at now
	enqueue(t, s, a, b, c, d, e)

	got := claim(t, s, email, base, time.Minute, 10, "d", "a", "e")
	want := d
	want.Attempts = 1
	want.LockedUntil = at(time.Minute)
	checkEqual(t, "claimed d", got[0], want, normOutbox)
	for _, m := range got {
		if m.Attempts != 1 || !sameTime(m.LockedUntil, at(time.Minute)) {
			t.Errorf("claimed %s: got Attempts=%d LockedUntil=%v; want 1, %v", m.ID, m.Attempts, m.LockedUntil, at(time.Minute))
		}
	}
	claim(t, s, []string{"no-such-topic"}, base, time.Minute, 10)
	claim(t, s, []string{store.TopicEvent}, base, time.Minute, 10, "b")
	claim(t, s, email, base, time.Minute, 10)

	// Ten minutes later every lease has ended and c is due.
	got = claim(t, s, []string{store.TopicEmail, store.TopicEvent}, at(10*time.Minute), time.Minute, 10, "d", "a", "b", "c", "e")
	wantAttempts := map[string]int{"a": 2, "b": 2, "c": 1, "d": 2, "e": 2}
	for _, m := range got {
		if m.Attempts != wantAttempts[m.ID] {
			t.Errorf("second claim of %s: got Attempts=%d; want %d", m.ID, m.Attempts, wantAttempts[m.ID])
		}
		checkTime(t, "second claim LockedUntil of "+m.ID, m.LockedUntil, at(11*time.Minute))
	}
	if m := listOne(t, s, "c"); m.Attempts != 1 || !sameTime(m.LockedUntil, at(11*time.Minute)) {
		t.Errorf("ListOutbox c: got Attempts=%d LockedUntil=%v; want 1, %v", m.Attempts, m.LockedUntil, at(11*time.Minute))
	}
}

func testOutboxClaimLease(t *testing.T, s store.Storage) {
	topics := []string{store.TopicEmail}
	enqueue(t, s, newMsg("a", store.TopicEmail, base))
	claim(t, s, topics, base, time.Minute, 10, "a")
	claim(t, s, topics, at(30*time.Second), time.Minute, 10)
	claim(t, s, topics, at(time.Minute-time.Millisecond), time.Minute, 10)
	got := claim(t, s, topics, at(time.Minute+time.Second), time.Minute, 10, "a")
	if got[0].Attempts != 2 {
		t.Errorf("reclaimed Attempts: got %d; want 2", got[0].Attempts)
	}
	checkTime(t, "reclaimed LockedUntil", got[0].LockedUntil, at(2*time.Minute+time.Second))
	claim(t, s, topics, at(2*time.Minute), time.Minute, 10)
}

func testOutboxClaimOrderAndLimit(t *testing.T, s store.Storage) {
	topics := []string{store.TopicEmail}
	for _, i := range []int{3, 1, 4, 0, 2} {
		enqueue(t, s, newMsg(name("m%d", i), store.TopicEmail, at(time.Duration(i)*time.Second)))
	}
	now := at(time.Minute)
	claim(t, s, topics, now, time.Hour, 2, "m0", "m1")
	claim(t, s, topics, now, time.Hour, 1, "m2")
	claim(t, s, topics, now, time.Hour, 10, "m3", "m4")
	claim(t, s, topics, now, time.Hour, 10)
}

func testOutboxComplete(t *testing.T, s store.Storage) {
	ctx := t.Context()
	topics := []string{store.TopicEmail}
	enqueue(t, s, newMsg("a", store.TopicEmail, base), newMsg("b", store.TopicEmail, at(time.Second)))
	claim(t, s, topics, at(time.Minute), time.Minute, 10, "a", "b")
	must(t, "CompleteOutbox(a)", s.CompleteOutbox(ctx, "a", at(time.Minute+10*time.Second)))
	a := listOne(t, s, "a")
	checkTime(t, "DeliveredAt", a.DeliveredAt, at(time.Minute+10*time.Second))
	if !a.FailedAt.IsZero() {
		t.Errorf("FailedAt of delivered message: got %v; want zero", a.FailedAt)
	}
	claim(t, s, topics, at(time.Hour), time.Minute, 10, "b")
	pending, err := s.ListOutbox(ctx, store.OutboxFilter{Pending: true})
	must(t, "ListOutbox(pending)", err)
	if ids := outboxIDs(pending); !slices.Equal(ids, []string{"b"}) {
		t.Errorf("ListOutbox(pending): got %v; want [b]", ids)
	}
}

func testOutboxRetry(t *testing.T, s store.Storage) {
	ctx := t.Context()
	topics := []string{store.TopicEmail}
	m := newMsg("a", store.TopicEmail, base)
	enqueue(t, s, m)
	claim(t, s, topics, base, 5*time.Minute, 10, "a")
	must(t, "RetryOutbox", s.RetryOutbox(ctx, "a", at(time.Minute), "smtp down"))
	got := listOne(t, s, "a")
	if got.LastError != "smtp down" || got.Attempts != 1 || !got.DeliveredAt.IsZero() || !got.FailedAt.IsZero() {
		t.Errorf("after RetryOutbox: got LastError=%q Attempts=%d DeliveredAt=%v FailedAt=%v; want \"smtp down\", 1, zero, zero",
			got.LastError, got.Attempts, got.DeliveredAt, got.FailedAt)
	}
	checkTime(t, "NextAttemptAt after RetryOutbox", got.NextAttemptAt, at(time.Minute))

	// Not due before next; due at next although the first lease ran to base+5m.
	claim(t, s, topics, at(30*time.Second), 5*time.Minute, 10)
	got2 := claim(t, s, topics, at(time.Minute), 5*time.Minute, 10, "a")
	if got2[0].Attempts != 2 {
		t.Errorf("Attempts after second claim: got %d; want 2", got2[0].Attempts)
	}
	pending, err := s.ListOutbox(ctx, store.OutboxFilter{Pending: true})
	must(t, "ListOutbox(pending)", err)
	if ids := outboxIDs(pending); !slices.Equal(ids, []string{"a"}) {
		t.Errorf("ListOutbox(pending) after retry: got %v; want [a]", ids)
	}
}

func testOutboxFail(t *testing.T, s store.Storage) {
	ctx := t.Context()
	topics := []string{store.TopicEmail}
	enqueue(t, s, newMsg("a", store.TopicEmail, base), newMsg("b", store.TopicEmail, at(time.Second)))
	claim(t, s, topics, at(time.Minute), time.Minute, 1, "a")
	must(t, "FailOutbox(a)", s.FailOutbox(ctx, "a", at(time.Minute+10*time.Second), "bounced"))
	a := listOne(t, s, "a")
	checkTime(t, "FailedAt", a.FailedAt, at(time.Minute+10*time.Second))
	if a.LastError != "bounced" || !a.DeliveredAt.IsZero() {
		t.Errorf("failed message: got LastError=%q DeliveredAt=%v; want \"bounced\", zero", a.LastError, a.DeliveredAt)
	}
	claim(t, s, topics, at(time.Hour), time.Minute, 10, "b")
	claim(t, s, topics, at(2*time.Hour), time.Minute, 10, "b")
	pending, err := s.ListOutbox(ctx, store.OutboxFilter{Pending: true})
	must(t, "ListOutbox(pending)", err)
	if ids := outboxIDs(pending); !slices.Equal(ids, []string{"b"}) {
		t.Errorf("ListOutbox(pending): got %v; want [b]", ids)
	}
}

func testOutboxListFilter(t *testing.T, s store.Storage) {
	ctx := t.Context()
	enqueue(t, s,
		newMsg("v2", store.TopicEvent, at(4*time.Second)),
		newMsg("e3", store.TopicEmail, at(3*time.Second)),
		newMsg("e1", store.TopicEmail, base),
		newMsg("v1", store.TopicEvent, at(2*time.Second)),
		newMsg("e2", store.TopicEmail, at(time.Second)),
	)
	must(t, "CompleteOutbox(e2)", s.CompleteOutbox(ctx, "e2", at(time.Minute)))
	must(t, "FailOutbox(e3)", s.FailOutbox(ctx, "e3", at(time.Minute), "gave up"))
	tests := []struct {
		name string
		f    store.OutboxFilter
		want []string
	}{
		{"all", store.OutboxFilter{}, []string{"e1", "e2", "v1", "e3", "v2"}},
		{"topic", store.OutboxFilter{Topic: store.TopicEmail}, []string{"e1", "e2", "e3"}},
		{"pending", store.OutboxFilter{Pending: true}, []string{"e1", "v1", "v2"}},
		{"topic pending", store.OutboxFilter{Topic: store.TopicEmail, Pending: true}, []string{"e1"}},
		{"limit", store.OutboxFilter{Limit: 2}, []string{"e1", "e2"}},
		{"pending limit", store.OutboxFilter{Pending: true, Limit: 2}, []string{"e1", "v1"}},
		{"topic limit", store.OutboxFilter{Topic: store.TopicEvent, Limit: 1}, []string{"v1"}},
		{"unknown topic", store.OutboxFilter{Topic: "nope"}, nil},
	}
	for _, tt := range tests {
		got, err := s.ListOutbox(ctx, tt.f)
		must(t, "ListOutbox("+tt.name+")", err)
		if ids := outboxIDs(got); !slices.Equal(ids, tt.want) {
			t.Errorf("ListOutbox(%s): got %v; want %v", tt.name, ids, tt.want)
		}
	}
}

func testOutboxConcurrentClaimers(t *testing.T, s store.Storage) {
	ctx := t.Context()
	const total, claimers = 100, 4
	for i := range total {
		enqueue(t, s, newMsg(name("m%03d", i), store.TopicEvent, at(time.Duration(i)*time.Millisecond)))
	}
	var (
		mu   sync.Mutex
		seen = map[string]int{}
		errs []error
	)
	now := at(time.Minute)
	parallel(claimers, func(int) {
		for range total { // bounded: a correct backend drains in far fewer rounds
			ms, err := s.ClaimOutbox(ctx, []string{store.TopicEvent}, now, time.Hour, 7)
			mu.Lock()
			if err != nil {
				errs = append(errs, err)
			}
			for _, m := range ms {
				seen[m.ID]++
			}
			mu.Unlock()
			if err != nil || len(ms) == 0 {
				return
			}
		}
	})
	for _, err := range errs {
		t.Errorf("ClaimOutbox: got error %v; want nil", err)
	}
	if len(seen) != total {
		t.Errorf("concurrent claimers: got %d distinct messages; want %d", len(seen), total)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("message %s: claimed %d times; want once", id, n)
		}
	}
}
