package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/authos/authos/store"
)

var txTests = []testCase{
	{"Commit", testTxCommit},
	{"RollbackOnError", testTxRollback},
	{"RollbackUndoesUpdates", testTxRollbackUpdates},
	{"ReadsOwnWrites", testTxReadsOwnWrites},
	{"StoreErrorPropagates", testTxStoreError},
}

func testTxCommit(t *testing.T, s store.Storage) {
	ctx := t.Context()
	err := s.Tx(ctx, func(tx store.Tx) error {
		if err := tx.CreateUser(ctx, newUser("u1", "alice@example.com")); err != nil {
			return err
		}
		if err := tx.CreateSession(ctx, newSession("s1", "u1", base)); err != nil {
			return err
		}
		return tx.EnqueueOutbox(ctx, newMsg("m1", store.TopicEmail, base))
	})
	must(t, "Tx", err)
	_, err = s.GetUser(ctx, "u1")
	must(t, "GetUser after commit", err)
	_, err = s.GetSession(ctx, "s1")
	must(t, "GetSession after commit", err)
	ms, err := s.ListOutbox(ctx, store.OutboxFilter{})
	must(t, "ListOutbox after commit", err)
	if len(ms) != 1 || ms[0].ID != "m1" {
		t.Errorf("ListOutbox after commit: got %v; want [m1]", outboxIDs(ms))
	}
}

func testTxRollback(t *testing.T, s store.Storage) {
	ctx := t.Context()
	boom := errors.New("boom")
	err := s.Tx(ctx, func(tx store.Tx) error {
		if err := tx.CreateUser(ctx, newUser("u1", "alice@example.com")); err != nil {
			return err
		}
		if err := tx.EnqueueOutbox(ctx, newMsg("m1", store.TopicEmail, base)); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Errorf("Tx: got error %v; want the fn's error unchanged (%v)", err, boom)
	}
	_, err = s.GetUser(ctx, "u1")
	wantErr(t, "GetUser after rollback", err, store.ErrNotFound)
	_, err = s.GetUserByEmail(ctx, "alice@example.com")
	wantErr(t, "GetUserByEmail after rollback", err, store.ErrNotFound)
	ms, err := s.ListOutbox(ctx, store.OutboxFilter{})
	must(t, "ListOutbox after rollback", err)
	if len(ms) != 0 {
		t.Errorf("ListOutbox after rollback: got %v; want none", outboxIDs(ms))
	}
	// The keys are free.
	must(t, "CreateUser after rollback", s.CreateUser(ctx, newUser("u1", "alice@example.com")))
	must(t, "EnqueueOutbox after rollback", s.EnqueueOutbox(ctx, newMsg("m1", store.TopicEmail, base)))
}

func testTxRollbackUpdates(t *testing.T, s store.Storage) {
	ctx := t.Context()
	u := addUser(t, s, "u1", "alice@example.com")
	addToken(t, s, newToken("h1", store.PurposeResetPassword, "u1"))
	addSession(t, s, newSession("s1", "u1", base))
	boom := errors.New("boom")
	err := s.Tx(ctx, func(tx store.Tx) error {
		upd := u
		upd.Name = "changed"
		upd.Email = "changed@example.com"
		if err := tx.UpdateUser(ctx, upd); err != nil {
			return err
		}
		if _, err := tx.ConsumeToken(ctx, store.PurposeResetPassword, "h1", at(time.Minute)); err != nil {
			return err
		}
		if err := tx.RevokeSession(ctx, "s1", at(time.Minute)); err != nil {
			return err
		}
		if _, err := tx.RecordLoginFailure(ctx, "u1", at(time.Minute), time.Hour, 5, time.Hour); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Errorf("Tx: got error %v; want the fn's error unchanged (%v)", err, boom)
	}
	got, err := s.GetUser(ctx, "u1")
	must(t, "GetUser after rollback", err)
	checkEqual(t, "GetUser after rollback", got, u, normUser)
	_, err = s.GetUserByEmail(ctx, "changed@example.com")
	wantErr(t, "GetUserByEmail(rolled-back email)", err, store.ErrNotFound)
	_, err = s.ConsumeToken(ctx, store.PurposeResetPassword, "h1", at(time.Minute))
	must(t, "ConsumeToken after rollback", err)
	sess, err := s.GetSession(ctx, "s1")
	must(t, "GetSession after rollback", err)
	if !sess.RevokedAt.IsZero() {
		t.Errorf("RevokedAt after rollback: got %v; want zero", sess.RevokedAt)
	}
	lf, err := s.GetLoginFailures(ctx, "u1")
	must(t, "GetLoginFailures after rollback", err)
	if lf.Count != 0 {
		t.Errorf("login failure Count after rollback: got %d; want 0", lf.Count)
	}
}

func testTxReadsOwnWrites(t *testing.T, s store.Storage) {
	ctx := t.Context()
	err := s.Tx(ctx, func(tx store.Tx) error {
		if err := tx.CreateUser(ctx, newUser("u1", "Alice@Example.com")); err != nil {
			return err
		}
		u, err := tx.GetUserByEmail(ctx, "alice@example.com")
		if err != nil {
			return err
		}
		if u.ID != "u1" {
			t.Errorf("GetUserByEmail inside tx: got id %q; want u1", u.ID)
		}
		if err := tx.CreateToken(ctx, newToken("h1", store.PurposeVerifyEmail, "u1")); err != nil {
			return err
		}
		tok, err := tx.ConsumeToken(ctx, store.PurposeVerifyEmail, "h1", at(time.Minute))
		if err != nil {
			return err
		}
		if tok.UserID != "u1" {
			t.Errorf("ConsumeToken inside tx: got UserID %q; want u1", tok.UserID)
		}
		if err := tx.CreateSession(ctx, newSession("s1", "u1", base)); err != nil {
			return err
		}
		ss, err := tx.ListUserSessions(ctx, "u1", at(time.Minute))
		if err != nil {
			return err
		}
		if ids := sessionIDs(ss); len(ids) != 1 || ids[0] != "s1" {
			t.Errorf("ListUserSessions inside tx: got %v; want [s1]", ids)
		}
		if err := tx.EnqueueOutbox(ctx, newMsg("m1", store.TopicEmail, base)); err != nil {
			return err
		}
		ms, err := tx.ListOutbox(ctx, store.OutboxFilter{Pending: true})
		if err != nil {
			return err
		}
		if ids := outboxIDs(ms); len(ids) != 1 || ids[0] != "m1" {
			t.Errorf("ListOutbox inside tx: got %v; want [m1]", ids)
		}
		return nil
	})
	must(t, "Tx", err)
	_, err = s.GetToken(ctx, store.PurposeVerifyEmail, "h1", at(time.Minute))
	wantErr(t, "GetToken after committed consume", err, store.ErrUsed)
}

func testTxStoreError(t *testing.T, s store.Storage) {
	ctx := t.Context()
	addUser(t, s, "u1", "alice@example.com")
	err := s.Tx(ctx, func(tx store.Tx) error {
		if err := tx.EnqueueOutbox(ctx, newMsg("m1", store.TopicEmail, base)); err != nil {
			return err
		}
		return tx.CreateUser(ctx, newUser("u2", "ALICE@example.com"))
	})
	wantErr(t, "Tx returning CreateUser's conflict", err, store.ErrConflict)
	ms, err := s.ListOutbox(ctx, store.OutboxFilter{})
	must(t, "ListOutbox", err)
	if len(ms) != 0 {
		t.Errorf("ListOutbox after failed Tx: got %v; want none", outboxIDs(ms))
	}
}
