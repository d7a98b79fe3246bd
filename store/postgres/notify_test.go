package postgres_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/authos/authos/store"
	"github.com/authos/authos/store/postgres"
)

// listener listens for revocations on st until the test ends; ids receives
// each announcement.
func listener(t *testing.T, st *postgres.Store) <-chan []string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	ids := make(chan []string, 16)
	done := make(chan error, 1)
	go func() {
		done <- st.ListenRevocations(ctx, func() { close(ready) }, func(got []string) { ids <- got })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ListenRevocations after its context ended: %v", err)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("ListenRevocations: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("not listening after 10s")
	}
	return ids
}

func receive(t *testing.T, ids <-chan []string, want []string) {
	t.Helper()
	select {
	case got := <-ids:
		if !slices.Equal(got, want) {
			t.Fatalf("received %q; want %q", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%q not received within 5s", want)
	}
}

func nothing(t *testing.T, ids <-chan []string) {
	t.Helper()
	select {
	case got := <-ids:
		t.Fatalf("received %q; want nothing", got)
	case <-time.After(300 * time.Millisecond):
	}
}

// Revocations announced through a transaction reach a store on the same
// schema when it commits and never when it rolls back; a store on another
// schema of the database hears nothing.
func TestRevocationFeed(t *testing.T) {
	url := testURL(t)
	schema := freshSchema(t, url)
	a, b := open(t, url, schema), open(t, url, schema)
	other := open(t, url, freshSchema(t, url))
	ctx := context.Background()
	onB, onOther := listener(t, b), listener(t, other)

	err := a.Tx(ctx, func(tx store.Tx) error {
		if err := a.PublishRevocations(ctx, tx, []string{"s1", "s2"}); err != nil {
			return err
		}
		nothing(t, onB) // not before the commit
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	receive(t, onB, []string{"s1", "s2"})

	rollback := errors.New("rolled back")
	err = a.Tx(ctx, func(tx store.Tx) error {
		if err := a.PublishRevocations(ctx, tx, []string{"s3"}); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	nothing(t, onB)

	if err := a.PublishRevocations(ctx, nil, []string{"s4"}); err != nil {
		t.Fatal(err)
	}
	receive(t, onB, []string{"s4"})
	nothing(t, onOther)

	// A batch larger than one notification's payload arrives whole.
	var many []string
	for i := range 600 {
		many = append(many, "session-"+string(rune('a'+i%26))+"-"+time.Duration(i).String())
	}
	if err := a.PublishRevocations(ctx, nil, many); err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < len(many) {
		select {
		case part := <-onB:
			got = append(got, part...)
		case <-time.After(5 * time.Second):
			t.Fatalf("received %d of %d ids", len(got), len(many))
		}
	}
	if !slices.Equal(got, many) {
		t.Fatal("the large batch arrived altered")
	}
}

// A listener whose connection is killed returns an error (its caller
// listens again).
func TestRevocationFeedBrokenConnection(t *testing.T) {
	url := testURL(t)
	schema := freshSchema(t, url)
	a, b := open(t, url, schema), open(t, url, schema)
	ctx := t.Context()
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- b.ListenRevocations(ctx, func() { close(ready) }, func([]string) {})
	}()
	<-ready
	if _, err := a.DB().ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE pid <> pg_backend_pid() AND query = 'LISTEN "authos_revoked_' || md5(current_schema()) || '"'`); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("ListenRevocations returned nil on a broken connection")
		}
	case <-time.After(40 * time.Second):
		t.Fatal("ListenRevocations did not notice its connection was killed")
	}
}
