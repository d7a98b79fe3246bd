package memory

import (
	"context"
	"slices"
	"time"

	"github.com/authos/authos/store"
)

// deviceRow is a stored device authorization.
type deviceRow = store.DeviceAuthorization

func copyDevice(d store.DeviceAuthorization) store.DeviceAuthorization {
	d.ApproverAMR = slices.Clone(d.ApproverAMR)
	return d
}

// CreateDeviceAuthorization implements store.DeviceStore.
func (s *Store) CreateDeviceAuthorization(ctx context.Context, d store.DeviceAuthorization) error {
	return s.do(ctx, func(v *view) error { return v.CreateDeviceAuthorization(ctx, d) })
}

// GetDeviceByCodeHash implements store.DeviceStore.
func (s *Store) GetDeviceByCodeHash(ctx context.Context, hash string) (d store.DeviceAuthorization, err error) {
	err = s.do(ctx, func(v *view) error { d, err = v.GetDeviceByCodeHash(ctx, hash); return err })
	return d, err
}

// GetDeviceByUserCode implements store.DeviceStore.
func (s *Store) GetDeviceByUserCode(ctx context.Context, userCode string, now time.Time) (d store.DeviceAuthorization, err error) {
	err = s.do(ctx, func(v *view) error { d, err = v.GetDeviceByUserCode(ctx, userCode, now); return err })
	return d, err
}

// DecideDevice implements store.DeviceStore.
func (s *Store) DecideDevice(ctx context.Context, id, status, userID string, amr []string, now time.Time) error {
	return s.do(ctx, func(v *view) error { return v.DecideDevice(ctx, id, status, userID, amr, now) })
}

// PollDevice implements store.DeviceStore.
func (s *Store) PollDevice(ctx context.Context, hash string, p store.DevicePoll) (d store.DeviceAuthorization, tooFast bool, err error) {
	err = s.do(ctx, func(v *view) error { d, tooFast, err = v.PollDevice(ctx, hash, p); return err })
	return d, tooFast, err
}

// ExchangeDevice implements store.DeviceStore.
func (s *Store) ExchangeDevice(ctx context.Context, hash string, now time.Time) (d store.DeviceAuthorization, err error) {
	err = s.do(ctx, func(v *view) error { d, err = v.ExchangeDevice(ctx, hash, now); return err })
	return d, err
}

// DeleteExpiredDevices implements store.DeviceStore.
func (s *Store) DeleteExpiredDevices(ctx context.Context, now time.Time) (n int, err error) {
	err = s.do(ctx, func(v *view) error { n, err = v.DeleteExpiredDevices(ctx, now); return err })
	return n, err
}

// deviceByID returns the hash (the map key) of row id.
func (v *view) deviceByID(id string) (string, bool) {
	for h, d := range v.st.devices {
		if d.ID == id {
			return h, true
		}
	}
	return "", false
}

func (v *view) CreateDeviceAuthorization(_ context.Context, d store.DeviceAuthorization) error {
	if _, ok := v.st.devices[d.DeviceCodeHash]; ok {
		return store.ErrConflict
	}
	if _, ok := v.deviceByID(d.ID); ok {
		return store.ErrConflict
	}
	for h, o := range v.st.devices {
		if o.UserCode != d.UserCode {
			continue
		}
		if o.ExpiresAt.After(d.CreatedAt) {
			return store.ErrConflict
		}
		delete(v.st.devices, h)
	}
	v.st.devices[d.DeviceCodeHash] = copyDevice(d)
	return nil
}

func (v *view) GetDeviceByCodeHash(_ context.Context, hash string) (store.DeviceAuthorization, error) {
	d, ok := v.st.devices[hash]
	if !ok {
		return store.DeviceAuthorization{}, store.ErrNotFound
	}
	return copyDevice(d), nil
}

func (v *view) GetDeviceByUserCode(_ context.Context, userCode string, now time.Time) (store.DeviceAuthorization, error) {
	for _, d := range v.st.devices {
		if d.UserCode == userCode && d.ExpiresAt.After(now) {
			return copyDevice(d), nil
		}
	}
	return store.DeviceAuthorization{}, store.ErrNotFound
}

func (v *view) DecideDevice(_ context.Context, id, status, userID string, amr []string, now time.Time) error {
	h, ok := v.deviceByID(id)
	if !ok {
		return store.ErrNotFound
	}
	d := v.st.devices[h]
	switch {
	case !d.ExpiresAt.After(now):
		return store.ErrExpired
	case d.Status != store.DeviceStatusPending:
		return store.ErrUsed
	}
	d.Status, d.UserID, d.ApproverAMR, d.DecidedAt = status, userID, slices.Clone(amr), now
	v.st.devices[h] = d
	return nil
}

func (v *view) PollDevice(_ context.Context, hash string, p store.DevicePoll) (store.DeviceAuthorization, bool, error) {
	d, ok := v.st.devices[hash]
	if !ok {
		return store.DeviceAuthorization{}, false, store.ErrNotFound
	}
	d, tooFast := store.ApplyDevicePoll(d, p)
	v.st.devices[hash] = d
	return copyDevice(d), tooFast, nil
}

func (v *view) ExchangeDevice(_ context.Context, hash string, now time.Time) (store.DeviceAuthorization, error) {
	d, ok := v.st.devices[hash]
	switch {
	case !ok:
		return store.DeviceAuthorization{}, store.ErrNotFound
	case !d.ExpiresAt.After(now):
		return store.DeviceAuthorization{}, store.ErrExpired
	case d.Status != store.DeviceStatusApproved:
		return store.DeviceAuthorization{}, store.ErrUsed
	}
	d.Status = store.DeviceStatusExchanged
	v.st.devices[hash] = d
	return copyDevice(d), nil
}

func (v *view) DeleteExpiredDevices(_ context.Context, now time.Time) (int, error) {
	n := 0
	for h, d := range v.st.devices {
		if !d.ExpiresAt.After(now) {
			delete(v.st.devices, h)
			n++
		}
	}
	return n, nil
}
