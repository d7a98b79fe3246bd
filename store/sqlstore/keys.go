package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/authos/authos/store"
)

const keyCols = `id, algorithm, private_key, public_key, created_at, retired_at`

// CreateSigningKey inserts k. ErrConflict when the id exists.
func (h *handle) CreateSigningKey(ctx context.Context, k store.SigningKey) error {
	res, err := h.exec(ctx, `INSERT INTO authos_signing_keys (`+keyCols+`) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		k.ID, k.Algorithm, bytesOrNil(k.PrivateKey), bytesOrNil(k.PublicKey), ms(k.CreatedAt), ms(k.RetiredAt))
	if err != nil {
		return h.wrapWrite("create signing key", err)
	}
	n, err := affected("create signing key", res)
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrConflict
	}
	return nil
}

// ListSigningKeys returns every key, newest (CreatedAt) first.
func (h *handle) ListSigningKeys(ctx context.Context) ([]store.SigningKey, error) {
	rows, err := h.query(ctx, `SELECT `+keyCols+` FROM authos_signing_keys ORDER BY created_at DESC NULLS LAST, id`)
	if err != nil {
		return nil, wrap("list signing keys", err)
	}
	defer closeRows(rows)
	var out []store.SigningKey
	for rows.Next() {
		var k store.SigningKey
		var priv, pub []byte
		var created, retired sql.NullInt64
		if err := rows.Scan(&k.ID, &k.Algorithm, &priv, &pub, &created, &retired); err != nil {
			return nil, wrap("list signing keys", err)
		}
		k.PrivateKey, k.PublicKey = bytesOrNil(priv), bytesOrNil(pub)
		k.CreatedAt, k.RetiredAt = at(created), at(retired)
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("list signing keys", err)
	}
	return out, nil
}

// RetireSigningKey sets RetiredAt if unset. ErrNotFound when absent.
func (h *handle) RetireSigningKey(ctx context.Context, id string, when time.Time) error {
	res, err := h.exec(ctx, `UPDATE authos_signing_keys SET retired_at = COALESCE(retired_at, ?) WHERE id = ?`, ms(when), id)
	if err != nil {
		return wrap("retire signing key", err)
	}
	n, err := affected("retire signing key", res)
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// DeleteSigningKey removes a key. ErrNotFound when absent.
func (h *handle) DeleteSigningKey(ctx context.Context, id string) error {
	res, err := h.exec(ctx, `DELETE FROM authos_signing_keys WHERE id = ?`, id)
	if err != nil {
		return wrap("delete signing key", err)
	}
	n, err := affected("delete signing key", res)
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}
