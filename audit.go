package authos

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// AuditEntry is a platform audit-log entry (the store's shape).
type AuditEntry = store.AuditEntry

// Audit appends a platform action to the audit log through tx, so the entry
// commits or rolls back with the action itself. before and after are
// marshalled to JSON (nil stays nil). ID and CreatedAt are filled in.
func (a *Authos) Audit(ctx context.Context, tx store.Tx, actorID, action, targetType, targetID, reason string, before, after any) error {
	e := AuditEntry{ID: randx.ID(), ActorID: actorID, Action: action, TargetType: targetType, TargetID: targetID,
		Reason: reason, CreatedAt: a.now()}
	var err error
	if e.Before, err = marshalOptional(before); err != nil {
		return err
	}
	if e.After, err = marshalOptional(after); err != nil {
		return err
	}
	return tx.AppendAudit(ctx, e)
}

func marshalOptional(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

// ListAudit returns audit entries newest first and the total matching.
func (a *Authos) ListAudit(ctx context.Context, f store.AuditFilter) ([]AuditEntry, int, error) {
	if f.Limit <= 0 || f.Limit > 100 {
		f.Limit = 50
	}
	es, total, err := a.st.ListAudit(ctx, f)
	return es, total, dbError(err)
}

// IsPlatformOwner reports whether the user is a platform owner, from the
// store (never from a token claim).
func (a *Authos) IsPlatformOwner(ctx context.Context, userID string) (bool, error) {
	u, err := a.st.GetUser(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, dbError(err)
	}
	return u.IsPlatformOwner && !u.Disabled, nil
}

// RequirePlatformOwner is RequireAuth plus a store check that the user is a
// platform owner: PLATFORM_OWNER_REQUIRED otherwise.
func (a *Authos) RequirePlatformOwner(next http.Handler) http.Handler {
	return a.RequireAuth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, err := a.IsPlatformOwner(r.Context(), PrincipalFrom(r.Context()).UserID)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		if !ok {
			a.WriteError(w, r, NewError(CodePlatformOwnerRequired, "Platform owner access needed"))
			return
		}
		next.ServeHTTP(w, r)
	}))
}
