package device

import (
	"context"
	"fmt"

	"github.com/authos/authos/store"
)

// storage is the store the service works on: the core and the device
// capability (store.DeviceStore).
type storage interface {
	store.Storage
	store.DeviceStore
}

// deviceTx is a transaction of storage, with the capability inside it.
type deviceTx interface {
	store.Tx
	store.DeviceStore
}

// newStorage checks that st offers the device capability.
func newStorage(st store.Storage) (storage, error) {
	if _, err := store.Require[store.DeviceStore](st); err != nil {
		return nil, fmt.Errorf("device: the store cannot keep device authorizations: %w", err)
	}
	return st.(storage), nil
}

// tx runs fn in one transaction of the store, with the device capability
// of the transaction.
func (s *Service) tx(ctx context.Context, fn func(tx deviceTx) error) error {
	return s.st.Tx(ctx, func(tx store.Tx) error {
		d, err := store.Require[deviceTx](tx)
		if err != nil {
			return fmt.Errorf("device: the store's transaction lacks the device capability its Storage offers: %w", err)
		}
		return fn(d)
	})
}
