package scim

import (
	"context"
	"fmt"

	"github.com/authos/authos/store"
)

// storage is the store the service works on: the core and the SCIM
// capability (store.SCIMStore).
type storage interface {
	store.Storage
	store.SCIMStore
}

// scimTx is a transaction of storage, with the capability inside it.
type scimTx interface {
	store.Tx
	store.SCIMStore
}

// newStorage checks that st offers the SCIM capability.
func newStorage(st store.Storage) (storage, error) {
	if _, err := store.Require[store.SCIMStore](st); err != nil {
		return nil, fmt.Errorf("scim: the store cannot keep SCIM resources: %w", err)
	}
	return st.(storage), nil
}

// tx runs fn in one transaction of the store, with the SCIM capability of
// the transaction.
func (s *Service) tx(ctx context.Context, fn func(tx scimTx) error) error {
	return s.st.Tx(ctx, func(tx store.Tx) error {
		c, err := store.Require[scimTx](tx)
		if err != nil {
			return fmt.Errorf("scim: the store's transaction lacks the SCIM capability its Storage offers: %w", err)
		}
		return fn(c)
	})
}
