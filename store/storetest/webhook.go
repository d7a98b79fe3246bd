package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/authos/authos/store"
)

// webhookStorage is a backend that offers store.WebhookStore, and webhookTx
// one of its transactions.
type (
	webhookStorage interface {
		store.Storage
		store.WebhookStore
	}
	webhookTx interface {
		store.Tx
		store.WebhookStore
	}
)

var webhookTests = []capTest[webhookStorage]{
	{"EndpointCRUD", testWebhookEndpointCRUD},
	{"EndpointHealth", testWebhookEndpointHealth},
	{"EnqueueOncePerEvent", testWebhookEnqueueOnce},
	{"ClaimAndFinish", testWebhookClaimFinish},
	{"ClaimSkipsDisabled", testWebhookClaimDisabled},
	{"ClaimConcurrent", testWebhookClaimConcurrent},
	{"ListFilterCursor", testWebhookList},
	{"RetryAndPrune", testWebhookRetryPrune},
	{"OrgDeletionCascades", testWebhookOrgCascade},
	{"InTx", testWebhookInTx},
}

func newEndpoint(id, orgID, name string) store.WebhookEndpoint {
	return store.WebhookEndpoint{ID: id, OrgID: orgID, Name: name, URL: "https://hooks.example.com/" + id,
		Events: []string{"user.login", "member.added"}, Enabled: true, Secret: []byte("sealed-" + id),
		CreatedAt: base, UpdatedAt: base}
}

func normEndpoint(e store.WebhookEndpoint) store.WebhookEndpoint {
	e.Events, e.Secret, e.PrevSecret = ns(e.Events), nb(e.Secret), nb(e.PrevSecret)
	e.PrevSecretUntil, e.FailingSince, e.CreatedAt, e.UpdatedAt = nt(e.PrevSecretUntil), nt(e.FailingSince), nt(e.CreatedAt), nt(e.UpdatedAt)
	return e
}

func normDelivery(d store.WebhookDelivery) store.WebhookDelivery {
	d.Payload = nb(d.Payload)
	d.NextAttemptAt, d.LeaseUntil, d.CreatedAt, d.UpdatedAt, d.DeliveredAt = nt(d.NextAttemptAt), nt(d.LeaseUntil), nt(d.CreatedAt), nt(d.UpdatedAt), nt(d.DeliveredAt)
	return d
}

func newDelivery(id, endpointID, eventID string, created time.Time) store.WebhookDelivery {
	return store.WebhookDelivery{ID: id, EndpointID: endpointID, OrgID: "o1", EventID: eventID, EventType: "user.login",
		Payload: []byte(`{"type":"user.login"}`), Status: store.WebhookPending, NextAttemptAt: created,
		CreatedAt: created, UpdatedAt: created}
}

// webhookSetup creates organization o1 with endpoint e1.
func webhookSetup(t *testing.T, s webhookStorage) store.WebhookEndpoint {
	t.Helper()
	addOrg(t, s, newOrg("o1", "acme", base))
	e := newEndpoint("e1", "o1", "Primary")
	must(t, "CreateWebhookEndpoint", s.CreateWebhookEndpoint(t.Context(), e))
	return e
}

func enqueueDeliveries(t *testing.T, s webhookStorage, ds ...store.WebhookDelivery) {
	t.Helper()
	n, err := s.EnqueueWebhookDeliveries(t.Context(), ds)
	must(t, "EnqueueWebhookDeliveries", err)
	if n != len(ds) {
		t.Fatalf("EnqueueWebhookDeliveries inserted %d; want %d", n, len(ds))
	}
}

func testWebhookEndpointCRUD(t *testing.T, s webhookStorage) {
	ctx := t.Context()
	e := webhookSetup(t, s)
	addOrg(t, s, newOrg("o2", "globex", base))
	got, err := s.GetWebhookEndpoint(ctx, "o1", "e1")
	must(t, "GetWebhookEndpoint", err)
	checkEqual(t, "GetWebhookEndpoint", got, e, normEndpoint)
	_, err = s.GetWebhookEndpoint(ctx, "o2", "e1")
	wantErr(t, "GetWebhookEndpoint(other org)", err, store.ErrNotFound)

	wantErr(t, "Create same name, other case", s.CreateWebhookEndpoint(ctx, newEndpoint("e2", "o1", "PRIMARY")), store.ErrConflict)
	wantErr(t, "Create same id", s.CreateWebhookEndpoint(ctx, newEndpoint("e1", "o2", "Other")), store.ErrConflict)
	must(t, "Create same name in another org", s.CreateWebhookEndpoint(ctx, newEndpoint("e3", "o2", "Primary")))
	e2 := newEndpoint("e2", "o1", "Secondary")
	e2.CreatedAt = at(time.Second)
	must(t, "Create e2", s.CreateWebhookEndpoint(ctx, e2))

	list, err := s.ListWebhookEndpoints(ctx, "o1")
	must(t, "ListWebhookEndpoints", err)
	if len(list) != 2 || list[0].ID != "e1" || list[1].ID != "e2" {
		t.Fatalf("ListWebhookEndpoints(o1) = %+v; want e1, e2", list)
	}

	e2.Name, e2.URL, e2.Events, e2.Enabled = "Renamed", "https://other.example.com/x", []string{"*"}, false
	e2.PrevSecret, e2.PrevSecretUntil, e2.Secret, e2.UpdatedAt = e2.Secret, at(24*time.Hour), []byte("sealed-new"), at(time.Minute)
	must(t, "UpdateWebhookEndpoint", s.UpdateWebhookEndpoint(ctx, e2))
	got, err = s.GetWebhookEndpoint(ctx, "o1", "e2")
	must(t, "GetWebhookEndpoint after update", err)
	checkEqual(t, "after update", got, e2, normEndpoint)
	e2.Name = "primary"
	wantErr(t, "Update to a taken name", s.UpdateWebhookEndpoint(ctx, e2), store.ErrConflict)
	e2.Name, e2.OrgID = "Renamed", "o2"
	wantErr(t, "Update in another org", s.UpdateWebhookEndpoint(ctx, e2), store.ErrNotFound)

	all, err := s.ListWebhookEndpoints(ctx, "")
	must(t, "ListWebhookEndpoints(all)", err)
	if len(all) != 2 || all[0].ID != "e1" || all[1].ID != "e3" {
		t.Fatalf("ListWebhookEndpoints(\"\") = %+v; want the enabled e1, e3", all)
	}
	wantErr(t, "Delete in another org", s.DeleteWebhookEndpoint(ctx, "o2", "e1"), store.ErrNotFound)
	must(t, "DeleteWebhookEndpoint", s.DeleteWebhookEndpoint(ctx, "o1", "e1"))
	_, err = s.GetWebhookEndpoint(ctx, "o1", "e1")
	wantErr(t, "Get after delete", err, store.ErrNotFound)
	wantErr(t, "Delete again", s.DeleteWebhookEndpoint(ctx, "o1", "e1"), store.ErrNotFound)
}

func testWebhookEndpointHealth(t *testing.T, s webhookStorage) {
	ctx := t.Context()
	webhookSetup(t, s)
	since, err := s.RecordWebhookEndpointResult(ctx, "e1", false, at(time.Minute))
	must(t, "Record failure", err)
	checkTime(t, "FailingSince after the first failure", since, at(time.Minute))
	since, err = s.RecordWebhookEndpointResult(ctx, "e1", false, at(time.Hour))
	must(t, "Record failure", err)
	checkTime(t, "FailingSince after the second failure", since, at(time.Minute))
	since, err = s.RecordWebhookEndpointResult(ctx, "e1", true, at(2*time.Hour))
	must(t, "Record success", err)
	if !since.IsZero() {
		t.Errorf("FailingSince after a success = %v; want zero", since)
	}
	_, err = s.RecordWebhookEndpointResult(ctx, "nope", true, base)
	wantErr(t, "Record on a missing endpoint", err, store.ErrNotFound)
	must(t, "DisableWebhookEndpoint", s.DisableWebhookEndpoint(ctx, "e1", "gone", at(3*time.Hour)))
	e, err := s.GetWebhookEndpoint(ctx, "o1", "e1")
	must(t, "Get", err)
	if e.Enabled || e.DisabledReason != "gone" || !sameTime(e.UpdatedAt, at(3*time.Hour)) {
		t.Errorf("after DisableWebhookEndpoint: %+v", e)
	}
	wantErr(t, "Disable a missing endpoint", s.DisableWebhookEndpoint(ctx, "nope", "gone", base), store.ErrNotFound)
}

func testWebhookEnqueueOnce(t *testing.T, s webhookStorage) {
	ctx := t.Context()
	webhookSetup(t, s)
	d := newDelivery("d1", "e1", "ev1", base)
	enqueueDeliveries(t, s, d)
	// The fan-out of the same event again (a retried outbox message): a new
	// id, the same endpoint and event.
	n, err := s.EnqueueWebhookDeliveries(ctx, []store.WebhookDelivery{newDelivery("d2", "e1", "ev1", at(time.Second)), newDelivery("d3", "e1", "ev2", base)})
	must(t, "Enqueue again", err)
	if n != 1 {
		t.Fatalf("Enqueue of a queued event and a new one inserted %d; want 1", n)
	}
	got, err := s.GetWebhookDelivery(ctx, "e1", "d1")
	must(t, "GetWebhookDelivery", err)
	checkEqual(t, "GetWebhookDelivery", got, d, normDelivery)
	_, err = s.GetWebhookDelivery(ctx, "e1", "d2")
	wantErr(t, "the duplicate", err, store.ErrNotFound)
	_, err = s.GetWebhookDelivery(ctx, "e2", "d1")
	wantErr(t, "another endpoint's delivery", err, store.ErrNotFound)
	if n, err := s.EnqueueWebhookDeliveries(ctx, nil); err != nil || n != 0 {
		t.Errorf("Enqueue(nil) = %d, %v", n, err)
	}
}

func testWebhookClaimFinish(t *testing.T, s webhookStorage) {
	ctx := t.Context()
	webhookSetup(t, s)
	later := newDelivery("d2", "e1", "ev2", base)
	later.NextAttemptAt = at(time.Hour)
	enqueueDeliveries(t, s, newDelivery("d1", "e1", "ev1", base), later, newDelivery("d3", "e1", "ev3", at(time.Second)))
	got, err := s.ClaimWebhookDeliveries(ctx, "L1", at(time.Minute), time.Minute, 10)
	must(t, "Claim", err)
	if len(got) != 2 || got[0].ID != "d1" || got[1].ID != "d3" {
		t.Fatalf("Claim = %+v; want d1, d3 (d2 is not due)", got)
	}
	if got[0].Attempts != 1 || got[0].LeaseID != "L1" || !sameTime(got[0].LeaseUntil, at(2*time.Minute)) {
		t.Errorf("claimed delivery: %+v", got[0])
	}
	// Leased: nobody else gets them while the lease runs.
	again, err := s.ClaimWebhookDeliveries(ctx, "L2", at(90*time.Second), time.Minute, 10)
	must(t, "Claim while leased", err)
	if len(again) != 0 {
		t.Fatalf("Claim while leased = %+v", again)
	}
	must(t, "Finish delivered", s.FinishWebhookDelivery(ctx, "d1", "L1", store.WebhookAttempt{At: at(time.Minute + time.Second),
		Status: store.WebhookDelivered, ResponseStatus: 204, DurationMS: 12}))
	d1, err := s.GetWebhookDelivery(ctx, "e1", "d1")
	must(t, "Get d1", err)
	if d1.Status != store.WebhookDelivered || d1.ResponseStatus != 204 || d1.DurationMS != 12 || d1.LeaseID != "" ||
		!d1.LeaseUntil.IsZero() || !sameTime(d1.DeliveredAt, at(time.Minute+time.Second)) || !d1.NextAttemptAt.IsZero() {
		t.Errorf("delivered: %+v", d1)
	}
	wantErr(t, "Finish twice", s.FinishWebhookDelivery(ctx, "d1", "L1", store.WebhookAttempt{At: at(2 * time.Minute), Status: store.WebhookFailed}), store.ErrUsed)
	wantErr(t, "Finish a missing delivery", s.FinishWebhookDelivery(ctx, "nope", "L1", store.WebhookAttempt{At: base, Status: store.WebhookFailed}), store.ErrNotFound)

	// The lease of d3 runs out; another worker claims it, and the first
	// worker's late outcome is refused.
	got, err = s.ClaimWebhookDeliveries(ctx, "L2", at(2*time.Minute), time.Minute, 10)
	must(t, "Claim after the lease", err)
	if len(got) != 1 || got[0].ID != "d3" || got[0].Attempts != 2 || got[0].LeaseID != "L2" {
		t.Fatalf("Claim after the lease = %+v; want d3 on its second attempt", got)
	}
	wantErr(t, "Finish with a lost lease", s.FinishWebhookDelivery(ctx, "d3", "L1", store.WebhookAttempt{At: at(2 * time.Minute), Status: store.WebhookDelivered}), store.ErrUsed)
	must(t, "Finish retry", s.FinishWebhookDelivery(ctx, "d3", "L2", store.WebhookAttempt{At: at(2 * time.Minute),
		Status: store.WebhookPending, NextAttemptAt: at(10 * time.Minute), ResponseStatus: 500, LastError: "HTTP 500"}))
	d3, err := s.GetWebhookDelivery(ctx, "e1", "d3")
	must(t, "Get d3", err)
	if d3.Status != store.WebhookPending || d3.ResponseStatus != 500 || d3.LastError != "HTTP 500" || !sameTime(d3.NextAttemptAt, at(10*time.Minute)) || d3.LeaseID != "" {
		t.Errorf("retried: %+v", d3)
	}
	got, err = s.ClaimWebhookDeliveries(ctx, "L3", at(10*time.Minute), time.Minute, 1)
	must(t, "Claim with limit 1", err)
	if len(got) != 1 || got[0].ID != "d3" {
		t.Fatalf("Claim with limit 1 = %+v; want d3 (due before d2)", got)
	}
	must(t, "Finish failed", s.FinishWebhookDelivery(ctx, "d3", "L3", store.WebhookAttempt{At: at(10 * time.Minute), Status: store.WebhookFailed, LastError: "gave up"}))
	got, err = s.ClaimWebhookDeliveries(ctx, "L4", at(24*time.Hour), time.Minute, 10)
	must(t, "Claim late", err)
	if len(got) != 1 || got[0].ID != "d2" {
		t.Fatalf("Claim late = %+v; want only d2 (d1 delivered, d3 failed)", got)
	}
}

func testWebhookClaimDisabled(t *testing.T, s webhookStorage) {
	ctx := t.Context()
	webhookSetup(t, s)
	enqueueDeliveries(t, s, newDelivery("d1", "e1", "ev1", base))
	must(t, "Disable", s.DisableWebhookEndpoint(ctx, "e1", "", base))
	got, err := s.ClaimWebhookDeliveries(ctx, "L1", at(time.Minute), time.Minute, 10)
	must(t, "Claim", err)
	if len(got) != 0 {
		t.Fatalf("claimed %+v of a disabled endpoint", got)
	}
	e, err := s.GetWebhookEndpoint(ctx, "o1", "e1")
	must(t, "Get", err)
	e.Enabled = true
	must(t, "Enable", s.UpdateWebhookEndpoint(ctx, e))
	got, err = s.ClaimWebhookDeliveries(ctx, "L1", at(time.Minute), time.Minute, 10)
	must(t, "Claim after enabling", err)
	if len(got) != 1 {
		t.Fatalf("claimed %d after enabling; want 1", len(got))
	}
}

// testWebhookClaimConcurrent: workers claiming at once never get the same
// delivery, and together get every one.
func testWebhookClaimConcurrent(t *testing.T, s webhookStorage) {
	ctx := t.Context()
	webhookSetup(t, s)
	const n = 60
	var ds []store.WebhookDelivery
	for i := range n {
		ds = append(ds, newDelivery(fmt.Sprintf("d%02d", i), "e1", fmt.Sprintf("ev%02d", i), base))
	}
	enqueueDeliveries(t, s, ds...)
	var mu sync.Mutex
	seen := map[string]string{}
	var errs []error
	parallel(6, func(w int) {
		lease := fmt.Sprintf("L%d", w)
		for {
			got, err := s.ClaimWebhookDeliveries(ctx, lease, at(time.Minute), time.Minute, 7)
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				return
			}
			if len(got) == 0 {
				return
			}
			mu.Lock()
			for _, d := range got {
				if prev, ok := seen[d.ID]; ok {
					errs = append(errs, fmt.Errorf("%s claimed by %s and %s", d.ID, prev, lease))
				}
				seen[d.ID] = lease
			}
			mu.Unlock()
		}
	})
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if len(seen) != n {
		t.Fatalf("claimed %d of %d", len(seen), n)
	}
}

func testWebhookList(t *testing.T, s webhookStorage) {
	ctx := t.Context()
	webhookSetup(t, s)
	var ds []store.WebhookDelivery
	for i := range 5 {
		d := newDelivery(fmt.Sprintf("d%d", i), "e1", fmt.Sprintf("ev%d", i), at(time.Duration(i/2)*time.Second))
		if i%2 == 1 {
			d.EventType = "member.added"
		}
		ds = append(ds, d)
	}
	enqueueDeliveries(t, s, ds...)
	got, err := s.ClaimWebhookDeliveries(ctx, "L", at(time.Minute), time.Minute, 1)
	must(t, "Claim", err)
	must(t, "Finish", s.FinishWebhookDelivery(ctx, got[0].ID, "L", store.WebhookAttempt{At: at(time.Minute), Status: store.WebhookDelivered}))
	ids := func(ds []store.WebhookDelivery) string {
		var out []string
		for _, d := range ds {
			out = append(out, d.ID)
		}
		return fmt.Sprint(out)
	}
	for _, c := range []struct {
		f    store.WebhookDeliveryFilter
		want string
	}{
		{store.WebhookDeliveryFilter{EndpointID: "e1"}, "[d4 d3 d2 d1 d0]"},
		{store.WebhookDeliveryFilter{EndpointID: "e1", Limit: 2}, "[d4 d3]"},
		{store.WebhookDeliveryFilter{EndpointID: "e1", Limit: 2, Cursor: "d3"}, "[d2 d1]"},
		{store.WebhookDeliveryFilter{EndpointID: "e1", Cursor: "d1"}, "[d0]"},
		{store.WebhookDeliveryFilter{EndpointID: "e1", Cursor: "d0"}, "[]"},
		{store.WebhookDeliveryFilter{EndpointID: "e1", EventType: "member.added"}, "[d3 d1]"},
		{store.WebhookDeliveryFilter{EndpointID: "e1", Status: store.WebhookDelivered}, "[d0]"},
		{store.WebhookDeliveryFilter{EndpointID: "e1", Status: store.WebhookPending, EventType: "user.login"}, "[d4 d2]"},
		{store.WebhookDeliveryFilter{EndpointID: "e2"}, "[]"},
		{store.WebhookDeliveryFilter{EndpointID: "e1", Cursor: "nope"}, "[]"},
	} {
		got, err := s.ListWebhookDeliveries(ctx, c.f)
		must(t, "ListWebhookDeliveries", err)
		if ids(got) != c.want {
			t.Errorf("ListWebhookDeliveries(%+v) = %s; want %s", c.f, ids(got), c.want)
		}
	}
}

func testWebhookRetryPrune(t *testing.T, s webhookStorage) {
	ctx := t.Context()
	webhookSetup(t, s)
	enqueueDeliveries(t, s, newDelivery("d1", "e1", "ev1", base), newDelivery("d2", "e1", "ev2", base))
	got, err := s.ClaimWebhookDeliveries(ctx, "L", base, time.Minute, 10)
	must(t, "Claim", err)
	if len(got) != 2 {
		t.Fatalf("claimed %d", len(got))
	}
	must(t, "Fail d1", s.FinishWebhookDelivery(ctx, "d1", "L", store.WebhookAttempt{At: at(time.Second), Status: store.WebhookFailed}))
	must(t, "Deliver d2", s.FinishWebhookDelivery(ctx, "d2", "L", store.WebhookAttempt{At: at(time.Second), Status: store.WebhookDelivered}))
	must(t, "Retry d1", s.RetryWebhookDelivery(ctx, "e1", "d1", at(time.Hour)))
	wantErr(t, "Retry on another endpoint", s.RetryWebhookDelivery(ctx, "e2", "d1", at(time.Hour)), store.ErrNotFound)
	got, err = s.ClaimWebhookDeliveries(ctx, "L2", at(time.Hour), time.Minute, 10)
	must(t, "Claim after retry", err)
	if len(got) != 1 || got[0].ID != "d1" || got[0].Attempts != 2 {
		t.Fatalf("Claim after retry = %+v; want d1 on its second attempt", got)
	}
	n, err := s.DeleteWebhookDeliveriesBefore(ctx, at(2*time.Hour))
	must(t, "DeleteWebhookDeliveriesBefore", err)
	if n != 1 {
		t.Fatalf("deleted %d; want 1 (d2: d1 is pending)", n)
	}
	_, err = s.GetWebhookDelivery(ctx, "e1", "d2")
	wantErr(t, "d2 after prune", err, store.ErrNotFound)
}

func testWebhookOrgCascade(t *testing.T, s webhookStorage) {
	ctx := t.Context()
	webhookSetup(t, s)
	enqueueDeliveries(t, s, newDelivery("d1", "e1", "ev1", base))
	must(t, "DeleteOrg", s.DeleteOrg(ctx, "o1"))
	_, err := s.GetWebhookEndpoint(ctx, "o1", "e1")
	wantErr(t, "endpoint after org deletion", err, store.ErrNotFound)
	got, err := s.ClaimWebhookDeliveries(ctx, "L", at(time.Hour), time.Minute, 10)
	must(t, "Claim", err)
	if len(got) != 0 {
		t.Fatalf("claimed %+v after the organization was deleted", got)
	}
}

func testWebhookInTx(t *testing.T, s webhookStorage) {
	ctx := t.Context()
	addOrg(t, s, newOrg("o1", "acme", base))
	boom := errors.New("boom")
	err := s.Tx(ctx, func(stx store.Tx) error {
		tx := within[webhookTx](t, stx)
		if err := tx.CreateWebhookEndpoint(ctx, newEndpoint("e1", "o1", "Primary")); err != nil {
			return err
		}
		if _, err := tx.EnqueueWebhookDeliveries(ctx, []store.WebhookDelivery{newDelivery("d1", "e1", "ev1", base)}); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Tx: %v; want boom", err)
	}
	_, err = s.GetWebhookEndpoint(ctx, "o1", "e1")
	wantErr(t, "endpoint after rollback", err, store.ErrNotFound)
	must(t, "Tx", s.Tx(ctx, func(stx store.Tx) error {
		tx := within[webhookTx](t, stx)
		if err := tx.CreateWebhookEndpoint(ctx, newEndpoint("e1", "o1", "Primary")); err != nil {
			return err
		}
		_, err := tx.EnqueueWebhookDeliveries(ctx, []store.WebhookDelivery{newDelivery("d1", "e1", "ev1", base)})
		return err
	}))
	if _, err := s.GetWebhookDelivery(ctx, "e1", "d1"); err != nil {
		t.Fatalf("delivery after commit: %v", err)
	}
}
