package memory

import (
	"context"
	"slices"
	"strings"

	"github.com/authos/authos/store"
)

// AppendAudit implements store.AuditStore.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry) error {
	return s.do(ctx, func(v *view) error { return v.AppendAudit(ctx, e) })
}

// ListAudit implements store.AuditStore.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) (es []store.AuditEntry, total int, err error) {
	err = s.do(ctx, func(v *view) error { es, total, err = v.ListAudit(ctx, f); return err })
	return es, total, err
}

func (v *view) AppendAudit(_ context.Context, e store.AuditEntry) error {
	if _, ok := v.st.audit[e.ID]; ok {
		return store.ErrConflict
	}
	v.st.audit[e.ID] = copyAudit(e)
	return nil
}

func (v *view) ListAudit(_ context.Context, f store.AuditFilter) ([]store.AuditEntry, int, error) {
	var out []store.AuditEntry
	for _, e := range v.st.audit {
		if f.ActorID != "" && e.ActorID != f.ActorID || f.Action != "" && e.Action != f.Action ||
			f.TargetType != "" && e.TargetType != f.TargetType || f.TargetID != "" && e.TargetID != f.TargetID ||
			!f.Since.IsZero() && e.CreatedAt.Before(f.Since) || !f.Until.IsZero() && !e.CreatedAt.Before(f.Until) {
			continue
		}
		out = append(out, copyAudit(e))
	}
	slices.SortFunc(out, func(a, b store.AuditEntry) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	total := len(out)
	out = out[min(max(f.Offset, 0), total):]
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, total, nil
}
