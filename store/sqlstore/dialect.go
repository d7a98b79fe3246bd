package sqlstore

import (
	"database/sql"
	"strconv"
	"strings"
)

// Dialect describes what differs between the SQL databases sqlstore runs on.
// Backends build one value and pass it to [New] and [Migrate]; the zero value
// of each field is the SQLite-like choice.
type Dialect struct {
	// Name identifies the database ("sqlite", "postgres").
	Name string

	// NumberedPlaceholders rewrites the ? placeholders of every query to
	// $1..$n (PostgreSQL).
	NumberedPlaceholders bool

	// ForUpdate reports whether SELECT ... FOR UPDATE and FOR UPDATE SKIP
	// LOCKED are supported. Without it (SQLite) write transactions must be
	// serialised by the database itself (BEGIN IMMEDIATE).
	ForUpdate bool

	// WritableCTEs reports whether INSERT, UPDATE and DELETE may appear in
	// a WITH clause (PostgreSQL). With them a refresh-token rotation is one
	// statement, and one round trip, instead of three.
	WritableCTEs bool

	// IsUniqueViolation reports whether err (possibly wrapped) is a
	// unique-constraint violation; such errors become store.ErrConflict.
	IsUniqueViolation func(err error) bool

	// IsTransient reports whether err (possibly wrapped) is a transient
	// failure after which the whole transaction may be retried (a busy or
	// locked database, a serialization failure, a deadlock).
	IsTransient func(err error) bool

	// TxIsolation is the isolation level asked for by Store.Tx.
	TxIsolation sql.IsolationLevel

	// OpIsolation is the isolation level of the short transactions that
	// multi-statement operations open for themselves when they are called
	// directly on the Store.
	OpIsolation sql.IsolationLevel

	// MigrationLock, when not empty, is executed first in every migration
	// transaction to serialise concurrent migrators (for example
	// SELECT pg_advisory_xact_lock(...)). It takes no arguments.
	MigrationLock string

	// PollsContext reports that the driver notices the end of a query's
	// context by polling its Err and never waits on its Done channel (the
	// SQLite driver checks Err between steps of its virtual machine and
	// while it waits for a lock). Reads outside transactions then hand
	// database/sql the context without its Done channel, which spares the
	// goroutine database/sql starts for each query to watch that channel;
	// a cancelled read still stops, through the driver's check. Leave it
	// unset for a driver that cancels through Done (PostgreSQL's).
	PollsContext bool
}

// Rebind rewrites the ? placeholders of query for the dialect. Question marks
// inside single-quoted literals, double-quoted identifiers and comments are
// left alone.
func (d *Dialect) Rebind(query string) string {
	if !d.NumberedPlaceholders || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(query) && query[j] != c {
				j++
			}
			if j >= len(query) {
				j = len(query) - 1
			}
			b.WriteString(query[i : j+1])
			i = j
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i - 1
			}
			b.WriteString(query[i : i+j+1])
			i += j
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// forUpdate returns the row-locking suffix of a SELECT, or "" when the
// dialect has none.
func (d *Dialect) forUpdate() string {
	if d.ForUpdate {
		return " FOR UPDATE"
	}
	return ""
}

// forUpdateSkipLocked returns the suffix that locks the selected rows and
// skips the rows other transactions have locked, or "" when the dialect has
// none.
func (d *Dialect) forUpdateSkipLocked() string {
	if d.ForUpdate {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

func (d *Dialect) isUnique(err error) bool {
	return err != nil && d.IsUniqueViolation != nil && d.IsUniqueViolation(err)
}

func (d *Dialect) isTransient(err error) bool {
	return err != nil && d.IsTransient != nil && d.IsTransient(err)
}
