package store

import (
	"context"
	"time"
)

// AuditEntry is one row of the append-only platform audit log.
type AuditEntry struct {
	ID         string
	ActorID    string // user who acted
	Action     string // e.g. "approve_organization", "reset_mfa"
	TargetType string // "organization", "user", ...
	TargetID   string
	Before     []byte // JSON snapshot before the action (may be nil)
	After      []byte // JSON snapshot after the action (may be nil)
	Reason     string
	CreatedAt  time.Time
}

// AuditFilter selects entries for ListAudit; empty fields match anything.
type AuditFilter struct {
	ActorID    string
	Action     string
	TargetType string
	TargetID   string
	Since      time.Time // CreatedAt >= Since when set
	Until      time.Time // CreatedAt < Until when set
	Limit      int       // 0: no limit
	Offset     int
}

// AuditStore is the platform audit log. Entries are never updated or deleted.
type AuditStore interface {
	// AppendAudit inserts e. ErrConflict when the id exists.
	AppendAudit(ctx context.Context, e AuditEntry) error
	// ListAudit returns matching entries newest first (ties by id) and the
	// number of matching entries before Limit/Offset.
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, int, error)
}
