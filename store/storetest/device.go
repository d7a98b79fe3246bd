package storetest

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authos/authos/store"
)

// deviceStorage is a backend that offers store.DeviceStore, and deviceTx
// one of its transactions.
type (
	deviceStorage interface {
		store.Storage
		store.DeviceStore
	}
	deviceTx interface {
		store.Tx
		store.DeviceStore
	}
)

var deviceTests = []capTest[deviceStorage]{
	{"CreateGet", testDeviceCreateGet},
	{"Conflicts", testDeviceConflicts},
	{"ExpiredUserCodeReused", testDeviceExpiredUserCodeReused},
	{"Decide", testDeviceDecide},
	{"Poll", testDevicePoll},
	{"PollRepeat", testDevicePollRepeat},
	{"Exchange", testDeviceExchange},
	{"ExchangeConcurrent", testDeviceExchangeConcurrent},
	{"CreateConcurrentSameUserCode", testDeviceCreateConcurrent},
	{"DeleteExpired", testDeviceDeleteExpired},
	{"Copies", testDeviceCopies},
	{"InTx", testDeviceInTx},
}

// newDevice returns a pending authorization created at base, valid 15
// minutes, polled every 5 seconds.
func newDevice(id, hash, userCode string) store.DeviceAuthorization {
	return store.DeviceAuthorization{
		ID: id, DeviceCodeHash: hash, UserCode: userCode, ClientID: "cl_" + id, ServiceID: "svc-" + id,
		OrgID: "org-" + id, Scope: "openid", Status: store.DeviceStatusPending, Interval: 5,
		CreatedAt: base, ExpiresAt: at(15 * time.Minute),
	}
}

func normDevice(d store.DeviceAuthorization) store.DeviceAuthorization {
	d.ApproverAMR = ns(d.ApproverAMR)
	d.LastPolledAt, d.CreatedAt, d.ExpiresAt, d.DecidedAt = nt(d.LastPolledAt), nt(d.CreatedAt), nt(d.ExpiresAt), nt(d.DecidedAt)
	return d
}

func addDevice(t *testing.T, s deviceStorage, d store.DeviceAuthorization) store.DeviceAuthorization {
	t.Helper()
	must(t, "CreateDeviceAuthorization("+d.ID+")", s.CreateDeviceAuthorization(t.Context(), d))
	return d
}

func testDeviceCreateGet(t *testing.T, s deviceStorage) {
	ctx := t.Context()
	d := addDevice(t, s, newDevice("d1", "h1", "BCDFGHJK"))
	got, err := s.GetDeviceByCodeHash(ctx, "h1")
	must(t, "GetDeviceByCodeHash", err)
	checkEqual(t, "GetDeviceByCodeHash", got, d, normDevice)
	got, err = s.GetDeviceByUserCode(ctx, "BCDFGHJK", at(time.Minute))
	must(t, "GetDeviceByUserCode", err)
	checkEqual(t, "GetDeviceByUserCode", got, d, normDevice)

	_, err = s.GetDeviceByCodeHash(ctx, "nope")
	wantErr(t, "GetDeviceByCodeHash(unknown)", err, store.ErrNotFound)
	_, err = s.GetDeviceByUserCode(ctx, "ZZZZZZZZ", base)
	wantErr(t, "GetDeviceByUserCode(unknown)", err, store.ErrNotFound)
	// Expired rows are not found by user code, but still by hash.
	_, err = s.GetDeviceByUserCode(ctx, "BCDFGHJK", at(15*time.Minute))
	wantErr(t, "GetDeviceByUserCode(expired)", err, store.ErrNotFound)
	_, err = s.GetDeviceByCodeHash(ctx, "h1")
	must(t, "GetDeviceByCodeHash(expired)", err)
}

func testDeviceConflicts(t *testing.T, s deviceStorage) {
	ctx := t.Context()
	addDevice(t, s, newDevice("d1", "h1", "BCDFGHJK"))
	wantErr(t, "Create(same id)", s.CreateDeviceAuthorization(ctx, newDevice("d1", "h2", "LMNPQRST")), store.ErrConflict)
	wantErr(t, "Create(same hash)", s.CreateDeviceAuthorization(ctx, newDevice("d2", "h1", "LMNPQRST")), store.ErrConflict)
	wantErr(t, "Create(same live user code)", s.CreateDeviceAuthorization(ctx, newDevice("d3", "h3", "BCDFGHJK")), store.ErrConflict)
	// Decided rows still hold their code until they expire.
	must(t, "DecideDevice", s.DecideDevice(ctx, "d1", store.DeviceStatusDenied, "u1", nil, at(time.Second)))
	wantErr(t, "Create(same user code, denied)", s.CreateDeviceAuthorization(ctx, newDevice("d4", "h4", "BCDFGHJK")), store.ErrConflict)
	addDevice(t, s, newDevice("d5", "h5", "LMNPQRST"))
}

func testDeviceExpiredUserCodeReused(t *testing.T, s deviceStorage) {
	ctx := t.Context()
	addDevice(t, s, newDevice("d1", "h1", "BCDFGHJK"))
	later := newDevice("d2", "h2", "BCDFGHJK")
	later.CreatedAt, later.ExpiresAt = at(15*time.Minute), at(30*time.Minute)
	addDevice(t, s, later)
	got, err := s.GetDeviceByUserCode(ctx, "BCDFGHJK", at(16*time.Minute))
	must(t, "GetDeviceByUserCode", err)
	if got.ID != "d2" {
		t.Errorf("GetDeviceByUserCode: got %s; want d2", got.ID)
	}
	_, err = s.GetDeviceByCodeHash(ctx, "h1")
	wantErr(t, "GetDeviceByCodeHash(replaced)", err, store.ErrNotFound)
}

func testDeviceDecide(t *testing.T, s deviceStorage) {
	ctx := t.Context()
	d := addDevice(t, s, newDevice("d1", "h1", "BCDFGHJK"))
	addDevice(t, s, newDevice("d2", "h2", "LMNPQRST"))
	wantErr(t, "DecideDevice(unknown)", s.DecideDevice(ctx, "nope", store.DeviceStatusApproved, "u1", nil, base), store.ErrNotFound)
	must(t, "DecideDevice(approve)", s.DecideDevice(ctx, "d1", store.DeviceStatusApproved, "u1", []string{"pwd", "otp"}, at(time.Second)))
	wantErr(t, "DecideDevice(again)", s.DecideDevice(ctx, "d1", store.DeviceStatusDenied, "u2", nil, at(2*time.Second)), store.ErrUsed)
	got, err := s.GetDeviceByCodeHash(ctx, "h1")
	must(t, "GetDeviceByCodeHash", err)
	d.Status, d.UserID, d.ApproverAMR, d.DecidedAt = store.DeviceStatusApproved, "u1", []string{"pwd", "otp"}, at(time.Second)
	checkEqual(t, "after approval", got, d, normDevice)
	wantErr(t, "DecideDevice(expired)", s.DecideDevice(ctx, "d2", store.DeviceStatusApproved, "u1", nil, at(15*time.Minute)), store.ErrExpired)
}

// poll polls h1 with via at base+d and checks the outcome.
func wantPoll(t *testing.T, s deviceStorage, d time.Duration, via string, wantTooFast bool, wantInterval int) store.DeviceAuthorization {
	t.Helper()
	got, tooFast, err := s.PollDevice(t.Context(), "h1", store.DevicePoll{At: at(d), Via: via,
		Slack: 200 * time.Millisecond, RepeatWindow: 2 * time.Second})
	must(t, "PollDevice", err)
	if tooFast != wantTooFast || got.Interval != wantInterval {
		t.Errorf("PollDevice(+%v, %s): got tooFast=%v interval=%d; want %v, %d", d, via, tooFast, got.Interval, wantTooFast, wantInterval)
	}
	return got
}

func testDevicePoll(t *testing.T, s deviceStorage) {
	_, _, err := s.PollDevice(t.Context(), "nope", store.DevicePoll{At: base, Via: "body"})
	wantErr(t, "PollDevice(unknown)", err, store.ErrNotFound)
	addDevice(t, s, newDevice("d1", "h1", "BCDFGHJK"))
	got := wantPoll(t, s, 0, "body", false, 5)
	checkTime(t, "LastPolledAt", got.LastPolledAt, base)
	wantPoll(t, s, 5*time.Second-100*time.Millisecond, "body", false, 5) // within the slack
	// Same way of authenticating 1 s later: too fast, the interval grows.
	got = wantPoll(t, s, 6*time.Second-100*time.Millisecond, "body", true, 10)
	checkTime(t, "LastPolledAt after slow_down", got.LastPolledAt, at(6*time.Second-100*time.Millisecond))
	// 5 s later is now too fast as well.
	wantPoll(t, s, 11*time.Second, "body", true, 15)
	wantPoll(t, s, 26*time.Second, "body", false, 15)
	got, err = s.GetDeviceByCodeHash(t.Context(), "h1")
	must(t, "GetDeviceByCodeHash", err)
	if got.Interval != 15 || !sameTime(got.LastPolledAt, at(26*time.Second)) {
		t.Errorf("stored poll state: interval %d, last polled %v", got.Interval, got.LastPolledAt)
	}
}

func testDevicePollRepeat(t *testing.T, s deviceStorage) {
	addDevice(t, s, newDevice("d1", "h1", "BCDFGHJK"))
	wantPoll(t, s, 0, "basic", false, 5)
	// The immediate retry in the other style is the same poll...
	wantPoll(t, s, 50*time.Millisecond, "body", false, 5)
	// ...once: a third hit is too fast.
	wantPoll(t, s, 100*time.Millisecond, "basic", true, 10)
	// The repeat of a too-fast poll is answered too fast as well, without
	// growing the interval again.
	wantPoll(t, s, 150*time.Millisecond, "body", true, 10)
	// A repeat in the same style, or after the window, is not a repeat.
	wantPoll(t, s, 11*time.Second, "basic", false, 10)
	wantPoll(t, s, 11*time.Second+10*time.Millisecond, "basic", true, 15)
	wantPoll(t, s, 27*time.Second, "basic", false, 15)
	wantPoll(t, s, 30*time.Second, "body", true, 20)
}

func testDeviceExchange(t *testing.T, s deviceStorage) {
	ctx := t.Context()
	addDevice(t, s, newDevice("d1", "h1", "BCDFGHJK"))
	addDevice(t, s, newDevice("d2", "h2", "LMNPQRST"))
	_, err := s.ExchangeDevice(ctx, "nope", base)
	wantErr(t, "ExchangeDevice(unknown)", err, store.ErrNotFound)
	_, err = s.ExchangeDevice(ctx, "h1", base)
	wantErr(t, "ExchangeDevice(pending)", err, store.ErrUsed)
	must(t, "DecideDevice", s.DecideDevice(ctx, "d1", store.DeviceStatusApproved, "u1", []string{"pwd"}, at(time.Second)))
	got, err := s.ExchangeDevice(ctx, "h1", at(2*time.Second))
	must(t, "ExchangeDevice", err)
	if got.Status != store.DeviceStatusExchanged || got.UserID != "u1" || len(got.ApproverAMR) != 1 {
		t.Errorf("ExchangeDevice: got %+v", got)
	}
	_, err = s.ExchangeDevice(ctx, "h1", at(3*time.Second))
	wantErr(t, "ExchangeDevice(again)", err, store.ErrUsed)
	must(t, "DecideDevice(d2)", s.DecideDevice(ctx, "d2", store.DeviceStatusApproved, "u1", nil, at(time.Second)))
	_, err = s.ExchangeDevice(ctx, "h2", at(15*time.Minute))
	wantErr(t, "ExchangeDevice(expired)", err, store.ErrExpired)
}

func testDeviceExchangeConcurrent(t *testing.T, s deviceStorage) {
	ctx := t.Context()
	addDevice(t, s, newDevice("d1", "h1", "BCDFGHJK"))
	must(t, "DecideDevice", s.DecideDevice(ctx, "d1", store.DeviceStatusApproved, "u1", nil, at(time.Second)))
	var wins, used atomic.Int32
	parallel(50, func(int) {
		_, err := s.ExchangeDevice(ctx, "h1", at(2*time.Second))
		switch {
		case err == nil:
			wins.Add(1)
		case errors.Is(err, store.ErrUsed):
			used.Add(1)
		default:
			t.Errorf("ExchangeDevice: %v", err)
		}
	})
	if wins.Load() != 1 || used.Load() != 49 {
		t.Errorf("50 concurrent exchanges: %d won, %d ErrUsed; want 1 and 49", wins.Load(), used.Load())
	}
}

func testDeviceCreateConcurrent(t *testing.T, s deviceStorage) {
	ctx := t.Context()
	var wins, conflicts atomic.Int32
	parallel(20, func(i int) {
		err := s.CreateDeviceAuthorization(ctx, newDevice(fmt.Sprintf("d%d", i), fmt.Sprintf("h%d", i), "BCDFGHJK"))
		switch {
		case err == nil:
			wins.Add(1)
		case errors.Is(err, store.ErrConflict):
			conflicts.Add(1)
		default:
			t.Errorf("CreateDeviceAuthorization: %v", err)
		}
	})
	if wins.Load() != 1 || conflicts.Load() != 19 {
		t.Errorf("20 concurrent creates of one user code: %d won, %d ErrConflict; want 1 and 19", wins.Load(), conflicts.Load())
	}
	if _, err := s.GetDeviceByUserCode(ctx, "BCDFGHJK", base); err != nil {
		t.Errorf("GetDeviceByUserCode after the race: %v", err)
	}
}

func testDeviceDeleteExpired(t *testing.T, s deviceStorage) {
	ctx := t.Context()
	addDevice(t, s, newDevice("d1", "h1", "BCDFGHJK"))
	long := newDevice("d2", "h2", "LMNPQRST")
	long.ExpiresAt = at(time.Hour)
	addDevice(t, s, long)
	n, err := s.DeleteExpiredDevices(ctx, at(15*time.Minute))
	must(t, "DeleteExpiredDevices", err)
	if n != 1 {
		t.Errorf("DeleteExpiredDevices: got %d; want 1", n)
	}
	_, err = s.GetDeviceByCodeHash(ctx, "h1")
	wantErr(t, "GetDeviceByCodeHash(deleted)", err, store.ErrNotFound)
	_, err = s.GetDeviceByCodeHash(ctx, "h2")
	must(t, "GetDeviceByCodeHash(kept)", err)
}

func testDeviceCopies(t *testing.T, s deviceStorage) {
	ctx := t.Context()
	addDevice(t, s, newDevice("d1", "h1", "BCDFGHJK"))
	amr := []string{"pwd", "otp"}
	must(t, "DecideDevice", s.DecideDevice(ctx, "d1", store.DeviceStatusApproved, "u1", amr, at(time.Second)))
	amr[0] = "changed"
	got, err := s.GetDeviceByCodeHash(ctx, "h1")
	must(t, "GetDeviceByCodeHash", err)
	got.ApproverAMR[1] = "changed"
	again, err := s.GetDeviceByCodeHash(ctx, "h1")
	must(t, "GetDeviceByCodeHash", err)
	if len(again.ApproverAMR) != 2 || again.ApproverAMR[0] != "pwd" || again.ApproverAMR[1] != "otp" {
		t.Errorf("ApproverAMR shares memory with a caller: %v", again.ApproverAMR)
	}
}

func testDeviceInTx(t *testing.T, s deviceStorage) {
	ctx := t.Context()
	boom := errors.New("boom")
	err := s.Tx(ctx, func(stx store.Tx) error {
		tx := within[deviceTx](t, stx)
		if err := tx.CreateDeviceAuthorization(ctx, newDevice("d1", "h1", "BCDFGHJK")); err != nil {
			return err
		}
		if _, _, err := tx.PollDevice(ctx, "h1", store.DevicePoll{At: base, Via: "body"}); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Fatalf("Tx: got %v; want boom", err)
	}
	_, err = s.GetDeviceByCodeHash(ctx, "h1")
	wantErr(t, "GetDeviceByCodeHash after rollback", err, store.ErrNotFound)
	must(t, "Tx", s.Tx(ctx, func(stx store.Tx) error {
		tx := within[deviceTx](t, stx)
		if err := tx.CreateDeviceAuthorization(ctx, newDevice("d1", "h1", "BCDFGHJK")); err != nil {
			return err
		}
		_, err := tx.ExchangeDevice(ctx, "h1", base)
		if !errors.Is(err, store.ErrUsed) {
			return fmt.Errorf("ExchangeDevice(pending) in tx: %v", err)
		}
		return nil
	}))
	_, err = s.GetDeviceByCodeHash(ctx, "h1")
	must(t, "GetDeviceByCodeHash after commit", err)
}
