package mfa

import (
	"context"
	"fmt"

	"github.com/authos/authos/store"
)

// storage is the store the service works on: the core and the MFA
// capability (store.MFAStore).
type storage interface {
	store.Storage
	store.MFAStore
}

// mfaTx is a transaction of storage, with the capability inside it (or
// storage itself, outside any transaction).
type mfaTx interface {
	store.Tx
	store.MFAStore
}

// newStorage checks that st offers the MFA capability.
func newStorage(st store.Storage) (storage, error) {
	if _, err := store.Require[store.MFAStore](st); err != nil {
		return nil, fmt.Errorf("mfa: the store cannot keep MFA factors: %w", err)
	}
	return st.(storage), nil
}

// tx runs fn in one transaction of the store, with the MFA capability of
// the transaction.
func (s *Service) tx(ctx context.Context, fn func(tx mfaTx) error) error {
	return s.st.Tx(ctx, func(tx store.Tx) error {
		m, err := store.Require[mfaTx](tx)
		if err != nil {
			return fmt.Errorf("mfa: the store's transaction lacks the MFA capability its Storage offers: %w", err)
		}
		return fn(m)
	})
}
