package sqlstore

import (
	"context"
	"fmt"

	"github.com/authos/authos/store"
)

// ExecIn runs query (with ? placeholders) through tx: inside the
// transaction when tx is one that a Store passed to the function given to
// its Tx method, on its own when tx is the Store itself. Backend packages
// use it for statements of their own dialect that must commit or roll back
// with the caller's transaction, such as PostgreSQL's NOTIFY. A tx of
// another kind is an error.
func ExecIn(ctx context.Context, tx store.Tx, query string, args ...any) error {
	var h *handle
	switch v := tx.(type) {
	case *handle:
		h = v
	case *Store:
		h = &v.handle
	default:
		return fmt.Errorf("sqlstore: %T is not a transaction of a sqlstore.Store", tx)
	}
	if _, err := h.exec(ctx, query, args...); err != nil {
		return wrap("exec", err)
	}
	return nil
}
