package authos

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/authos/authos/internal/randx"
	"github.com/authos/authos/store"
)

// audit is Extension.Audit: appends a platform action to the audit log through tx, so the entry
// commits or rolls back with the action itself. before and after are
// marshalled to JSON (nil stays nil). ID and CreatedAt are filled in.
func (a *Authos) audit(ctx context.Context, tx store.Tx, in AuditInput) error {
	e := store.AuditEntry{ID: randx.ID(), ActorID: in.ActorID, Action: in.Action, TargetType: in.TargetType, TargetID: in.TargetID,
		Reason: in.Reason, CreatedAt: a.now()}
	var err error
	if e.Before, err = marshalOptional(in.Before); err != nil {
		return err
	}
	if e.After, err = marshalOptional(in.After); err != nil {
		return err
	}
	return tx.AppendAudit(ctx, e)
}

// AuditInput is one platform action for the audit log (Extension.Audit).
type AuditInput struct {
	ActorID    string // who acted ("" for the system; "billing:stripe" for a billing event)
	Action     string // e.g. "suspend_organization"
	TargetType string // e.g. "organization", "user"
	TargetID   string
	Reason     string // optional, as the actor gave it
	// Before and After are the target's state around the action, stored
	// as JSON (nil stays absent).
	Before, After any
}

func marshalOptional(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

// ListAudit returns audit entries newest first and the total matching.
func (a *Authos) ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, int, error) {
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
