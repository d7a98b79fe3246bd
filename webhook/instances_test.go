package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authos/authos"
	"github.com/authos/authos/authostest"
	testbackends "github.com/authos/authos/authostest/backends"
	"github.com/authos/authos/event"
	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
	"github.com/authos/authos/webhook"
)

// concurrencyReceiver answers 204 after delay and records, per webhook-id,
// how many requests are in flight at once and how many were answered.
type concurrencyReceiver struct {
	srv   *httptest.Server
	delay time.Duration

	mu          sync.Mutex
	inFlight    map[string]int
	overlapping []string // webhook-ids delivered twice at the same time
	answered    map[string]int
	events      map[string]bool
}

func newConcurrencyReceiver(t testing.TB, delay time.Duration) *concurrencyReceiver {
	rc := &concurrencyReceiver{delay: delay, inFlight: map[string]int{}, answered: map[string]int{}, events: map[string]bool{}}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id := r.Header.Get("webhook-id")
		var p webhook.Payload
		_ = json.Unmarshal(body, &p)
		rc.mu.Lock()
		rc.inFlight[id]++
		if rc.inFlight[id] > 1 {
			rc.overlapping = append(rc.overlapping, id)
		}
		rc.mu.Unlock()
		time.Sleep(rc.delay)
		rc.mu.Lock()
		rc.inFlight[id]--
		rc.answered[id]++
		if ev, ok := p.Data["event_id"].(string); ok {
			rc.events[ev] = true
		}
		rc.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *concurrencyReceiver) eventCount() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.events)
}

// instance is one application instance: authos and webhook on its own
// store value over the shared database.
type instance struct {
	a  *authos.Authos
	wh *webhook.Service
}

func newInstance(t testing.TB, st store.Storage, kr *authos.Keyring) instance {
	a, err := authos.New(context.Background(), authos.Config{Store: st, Keyring: kr, Hasher: authostest.FastHasher{},
		Logger: slog.New(slog.DiscardHandler), BaseURL: "http://authos.example"})
	if err != nil {
		t.Fatal(err)
	}
	wh, err := webhook.New(a, webhook.Config{AllowPrivateTargets: true})
	if err != nil {
		t.Fatal(err)
	}
	return instance{a, wh}
}

// seedEndpoint creates an active organization and an endpoint for every
// event at url, through inst.
func seedEndpoint(t testing.TB, inst instance, st store.Storage, url string) authos.Organization {
	ctx := context.Background()
	now := inst.a.Now()
	o := store.Organization{ID: randx.ID(), Slug: "acme", Name: "Acme", Status: store.OrgActive, Tier: authos.TierPro, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateOrg(ctx, o); err != nil {
		t.Fatal(err)
	}
	if _, _, err := inst.wh.Create(ctx, o, webhook.EndpointInput{Name: "all", URL: url, Events: []string{"*"}}); err != nil {
		t.Fatal(err)
	}
	return o
}

// emitEvents writes n organization.updated events to the outbox, 100 per
// transaction.
func emitEvents(t testing.TB, a *authos.Authos, st store.Storage, o authos.Organization, n int) {
	ctx := context.Background()
	for i := 0; i < n; i += 100 {
		err := st.Tx(ctx, func(tx store.Tx) error {
			for j := i; j < min(i+100, n); j++ {
				if err := authos.Extend(a).Emit(ctx, tx, authos.Event{Type: event.OrgUpdated, OrgID: o.ID, TargetID: o.ID,
					Data: map[string]any{"seq": j}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestTwoInstancesShareTheQueue: two instances on one PostgreSQL database
// deliver 1,000 events; none is lost and no delivery is attempted twice at
// the same time.
func TestTwoInstancesShareTheQueue(t *testing.T) {
	if os.Getenv(testbackends.PostgresEnv) == "" {
		t.Skip(testbackends.PostgresEnv + " not set")
	}
	const events = 1000
	var pg testbackends.Backend
	for _, b := range testbackends.List(t, false) {
		if b.Name == "postgres" {
			pg = b
		}
	}
	shared := testbackends.Instances(t, pg, 2)
	// Each instance's store counts the deliveries it claims.
	sts := []*claimCounter{{webhookStorage: shared[0].(webhookStorage)}, {webhookStorage: shared[1].(webhookStorage)}}
	kr := authostest.Keyring(t)
	rc := newConcurrencyReceiver(t, 3*time.Millisecond)
	insts := []instance{newInstance(t, sts[0], kr), newInstance(t, sts[1], kr)}
	o := seedEndpoint(t, insts[0], sts[0], rc.srv.URL)
	emitEvents(t, insts[1].a, sts[1], o, events)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, in := range insts {
		wg.Go(func() { _ = in.a.Run(ctx) })
		wg.Go(func() { _ = in.wh.Run(ctx) })
	}
	deadline := time.Now().Add(3 * time.Minute)
	for rc.eventCount() < events && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // let late duplicates show
	cancel()
	wg.Wait()

	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.events) != events {
		t.Fatalf("%d of %d events delivered", len(rc.events), events)
	}
	if len(rc.overlapping) > 0 {
		t.Fatalf("deliveries attempted twice at the same time: %q", rc.overlapping)
	}
	twice := 0
	for _, n := range rc.answered {
		if n > 1 {
			twice++
		}
	}
	if len(rc.answered) != events || twice != 0 {
		t.Errorf("%d webhook-ids, %d answered more than once; want %d, 0 (nothing crashed)", len(rc.answered), twice, events)
	}
	ds, err := sts[0].ListWebhookDeliveries(context.Background(), store.WebhookDeliveryFilter{EndpointID: firstEndpoint(t, sts[0], o)})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Status != store.WebhookDelivered || d.Attempts != 1 {
			t.Fatalf("delivery %s: %s after %d attempts", d.ID, d.Status, d.Attempts)
		}
	}
	a, b := sts[0].claimed.Load(), sts[1].claimed.Load()
	if a == 0 || b == 0 || a+b != events {
		t.Errorf("instances claimed %d and %d deliveries; want both some, %d in all", a, b, events)
	}
	t.Logf("%d events delivered by two instances (%d and %d)", len(ds), a, b)
}

// webhookStorage is a store with the webhook capability.
type webhookStorage interface {
	store.Storage
	store.WebhookStore
}

// claimCounter is a store that counts the deliveries claimed through it.
type claimCounter struct {
	webhookStorage
	claimed atomic.Int64
}

func (c *claimCounter) ClaimWebhookDeliveries(ctx context.Context, leaseID string, now time.Time, lease time.Duration, limit int) ([]store.WebhookDelivery, error) {
	ds, err := c.webhookStorage.ClaimWebhookDeliveries(ctx, leaseID, now, lease, limit)
	c.claimed.Add(int64(len(ds)))
	return ds, err
}

func firstEndpoint(t testing.TB, st store.Storage, o authos.Organization) string {
	es, err := st.(store.WebhookStore).ListWebhookEndpoints(context.Background(), o.ID)
	if err != nil || len(es) == 0 {
		t.Fatal(err)
	}
	return es[0].ID
}
