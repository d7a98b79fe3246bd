package store

import (
	"context"
	"strings"
)

// RevocationFeed is the capability of a backend that carries session
// revocations to every instance sharing the database as they happen
// (PostgreSQL: LISTEN/NOTIFY), so that an access token of a revoked session
// is refused everywhere at once rather than at the next re-read of
// ListRevokedSessions, which stays the record. Backends that serve one
// process (memory, SQLite) do not offer it.
type RevocationFeed interface {
	// PublishRevocations announces that the sessions ids were revoked.
	// With tx, a transaction this Storage passed to the function given to
	// its Tx method, the announcement is part of it: delivered when it
	// commits, never when it rolls back. With a nil tx it is sent at once.
	PublishRevocations(ctx context.Context, tx Tx, ids []string) error
	// ListenRevocations passes the session ids that any instance announces
	// to deliver, until ctx ends (it then returns nil) or the connection
	// breaks (it returns why; the caller listens again). It calls ready
	// once it listens: announcements made before may have been missed.
	ListenRevocations(ctx context.Context, ready func(), deliver func(ids []string)) error
}

// maxRevocationID bounds one session id in an announcement.
const maxRevocationID = 128

// EncodeRevocations packs session ids into announcements of at most max
// bytes each: the ids separated by single spaces. Ids that could not be
// decoded again (empty, longer than 128 bytes, or holding a space or a
// control character) are left out; session ids are random printable tokens.
func EncodeRevocations(ids []string, max int) []string {
	var out []string
	var b strings.Builder
	for _, id := range ids {
		if !validRevocationID(id) {
			continue
		}
		if b.Len() > 0 && b.Len()+1+len(id) > max {
			out = append(out, b.String())
			b.Reset()
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(id)
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// DecodeRevocations returns the session ids of an announcement made by
// EncodeRevocations, skipping anything that is not a valid id.
func DecodeRevocations(msg string) []string {
	var ids []string
	for id := range strings.SplitSeq(msg, " ") {
		if validRevocationID(id) {
			ids = append(ids, id)
		}
	}
	return ids
}

func validRevocationID(id string) bool {
	if id == "" || len(id) > maxRevocationID {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}
