package oauth

import (
	"context"
	"errors"

	"github.com/authos/authos"
	"github.com/authos/authos/internal/hashx"
	"github.com/authos/authos/store"
)

// flowInfo is what a provider login needs to know of a sign-in flow.
type flowInfo struct {
	ID    string
	OrgID string
}

// lookupFlow reads the pending sign-in flow id without consuming it.
// BAD_REQUEST when it is unknown, used or expired.
func (s *Service) lookupFlow(ctx context.Context, id string) (flowInfo, error) {
	if id == "" || len(id) > 128 {
		return flowInfo{}, authos.NewError(authos.CodeBadRequest, "flow is required")
	}
	ss, err := store.Require[store.SignInStore](s.a.Store())
	if err != nil {
		return flowInfo{}, authos.WrapError(authos.CodeInternalServerError, "", err)
	}
	r, err := ss.GetAuthRequest(ctx, hashx.SHA256Hex(id), s.a.Now())
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrUsed) || errors.Is(err, store.ErrExpired) {
		return flowInfo{}, authos.NewError(authos.CodeBadRequest, "The sign-in request is unknown or has expired; start again from the application")
	}
	if err != nil {
		return flowInfo{}, authos.WrapError(authos.CodeDatabaseError, "", err)
	}
	return flowInfo{ID: id, OrgID: r.OrgID}, nil
}

// registerSignIn adds the provider buttons to the hosted sign-in page
// once the instance offers sign-in methods.
func (s *Service) registerSignIn() {}
