package sqlstore

import (
	"context"
	"database/sql"
	"math"

	"github.com/authos/authos/store"
)

const auditCols = `id, actor_id, action, target_type, target_id, before_json, after_json, reason, created_at`

// AppendAudit inserts e. ErrConflict when the id exists.
func (h *handle) AppendAudit(ctx context.Context, e store.AuditEntry) error {
	res, err := h.exec(ctx, `INSERT INTO authos_audit_log (`+auditCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		e.ID, e.ActorID, e.Action, e.TargetType, e.TargetID, bytesOrNil(e.Before), bytesOrNil(e.After), e.Reason, ms(e.CreatedAt))
	if err != nil {
		return h.wrapWrite("append audit", err)
	}
	n, err := affected("append audit", res)
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrConflict
	}
	return nil
}

// ListAudit returns matching entries newest first and the total count.
func (h *handle) ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, int, error) {
	where := ` WHERE 1 = 1`
	var args []any
	for _, c := range []struct{ col, val string }{{"actor_id", f.ActorID}, {"action", f.Action},
		{"target_type", f.TargetType}, {"target_id", f.TargetID}} {
		if c.val != "" {
			where += ` AND ` + c.col + ` = ?`
			args = append(args, c.val)
		}
	}
	if !f.Since.IsZero() {
		where += ` AND created_at >= ?`
		args = append(args, ms(f.Since))
	}
	if !f.Until.IsZero() {
		where += ` AND created_at < ?`
		args = append(args, ms(f.Until))
	}
	var total int
	if err := h.queryRow(ctx, `SELECT COUNT(*) FROM authos_audit_log`+where, args...).Scan(&total); err != nil {
		return nil, 0, wrap("count audit", err)
	}
	q := `SELECT ` + auditCols + ` FROM authos_audit_log` + where + ` ORDER BY created_at DESC, id`
	if f.Limit > 0 || f.Offset > 0 {
		limit := f.Limit
		if limit <= 0 {
			limit = math.MaxInt32
		}
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	if f.Offset > 0 {
		q += ` OFFSET ?`
		args = append(args, f.Offset)
	}
	rows, err := h.query(ctx, q, args...)
	if err != nil {
		return nil, 0, wrap("list audit", err)
	}
	defer closeRows(rows)
	var out []store.AuditEntry
	for rows.Next() {
		var e store.AuditEntry
		var before, after []byte
		var created sql.NullInt64
		if err := rows.Scan(&e.ID, &e.ActorID, &e.Action, &e.TargetType, &e.TargetID, &before, &after, &e.Reason, &created); err != nil {
			return nil, 0, wrap("list audit", err)
		}
		e.Before, e.After, e.CreatedAt = bytesOrNil(before), bytesOrNil(after), at(created)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, wrap("list audit", err)
	}
	return out, total, nil
}
