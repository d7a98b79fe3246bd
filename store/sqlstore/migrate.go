package sqlstore

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"time"
)

// Migration errors. Migrate wraps them with details; match with errors.Is.
var (
	// ErrChecksumMismatch: an applied migration's file has changed since it
	// was applied.
	ErrChecksumMismatch = errors.New("sqlstore: migration checksum mismatch")
	// ErrUnknownMigration: the database records a migration this program does
	// not have (typically a newer version of the schema).
	ErrUnknownMigration = errors.New("sqlstore: unknown applied migration")
)

// Migration is one schema change, read from a file named NNNN_name.sql.
type Migration struct {
	Version  int64
	Name     string
	SQL      string
	Checksum string // hex SHA-256 of the file's bytes
}

var migrationFile = regexp.MustCompile(`^([0-9]+)_([A-Za-z0-9_.-]+)\.sql$`)

// LoadMigrations reads the NNNN_name.sql files at the root of fsys, sorted by
// version. Other files are ignored; a .sql file with another name, or two
// files with one version, is an error.
func LoadMigrations(fsys fs.FS) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("sqlstore: read migrations: %w", err)
	}
	var ms []Migration
	seen := map[int64]string{}
	for _, e := range entries {
		if e.IsDir() || len(e.Name()) < 4 || e.Name()[len(e.Name())-4:] != ".sql" {
			continue
		}
		m := migrationFile.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("sqlstore: migration file %q: name is not NNNN_name.sql", e.Name())
		}
		v, err := strconv.ParseInt(m[1], 10, 64)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("sqlstore: migration file %q: bad version", e.Name())
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("sqlstore: migration files %q and %q have the same version", other, e.Name())
		}
		seen[v] = e.Name()
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("sqlstore: read migration %q: %w", e.Name(), err)
		}
		sum := sha256.Sum256(b)
		ms = append(ms, Migration{Version: v, Name: m[2], SQL: string(b), Checksum: hex.EncodeToString(sum[:])})
	}
	slices.SortFunc(ms, func(a, b Migration) int { return cmp.Compare(a.Version, b.Version) })
	return ms, nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS authos_schema_migrations (
	version    BIGINT PRIMARY KEY,
	name       TEXT NOT NULL,
	checksum   TEXT NOT NULL,
	applied_at BIGINT NOT NULL
)`

// Migrate brings the schema of db up to date with the migrations in fsys
// (see [LoadMigrations]) and returns how many it applied.
//
// Each migration runs in its own transaction together with its row in
// authos_schema_migrations. Concurrent migrators are serialised: every
// transaction starts with the dialect's MigrationLock (PostgreSQL advisory
// lock) or is an immediate transaction (SQLite). Before applying anything,
// and again before each migration, the recorded migrations are checked: a
// checksum that differs from its file gives ErrChecksumMismatch, a recorded
// version without a file gives ErrUnknownMigration, and nothing is applied.
func Migrate(ctx context.Context, db *sql.DB, d Dialect, fsys fs.FS) (int, error) {
	files, err := LoadMigrations(fsys)
	if err != nil {
		return 0, err
	}
	r := &Store{db: db, d: d}
	r.handle = handle{s: r}
	opts := &sql.TxOptions{Isolation: d.OpIsolation}

	applied := 0
	for {
		done := false
		err := r.run(ctx, opts, func(tx *sql.Tx) error {
			done = false
			h := &handle{s: r, tx: tx}
			if d.MigrationLock != "" {
				if _, err := tx.ExecContext(ctx, d.MigrationLock); err != nil {
					return wrap("migrate: lock", err)
				}
			}
			if _, err := tx.ExecContext(ctx, createMigrationsTable); err != nil {
				return wrap("migrate: create table", err)
			}
			recorded, err := recordedMigrations(ctx, h)
			if err != nil {
				return err
			}
			if err := checkRecorded(recorded, files); err != nil {
				return err
			}
			var next *Migration
			for i := range files {
				if _, ok := recorded[files[i].Version]; !ok {
					next = &files[i]
					break
				}
			}
			if next == nil {
				done = true
				return nil
			}
			if _, err := tx.ExecContext(ctx, next.SQL); err != nil {
				return wrap(fmt.Sprintf("migrate: apply %04d_%s", next.Version, next.Name), err)
			}
			if _, err := h.exec(ctx, `INSERT INTO authos_schema_migrations (version, name, checksum, applied_at)
				VALUES (?, ?, ?, ?)`, next.Version, next.Name, next.Checksum, time.Now().UnixMilli()); err != nil {
				return wrap("migrate: record", err)
			}
			return nil
		})
		if err != nil {
			return applied, err
		}
		if done {
			return applied, nil
		}
		applied++
	}
}

type recordedMigration struct {
	name, checksum string
}

func recordedMigrations(ctx context.Context, h *handle) (map[int64]recordedMigration, error) {
	rows, err := h.query(ctx, `SELECT version, name, checksum FROM authos_schema_migrations`)
	if err != nil {
		return nil, wrap("migrate: read applied", err)
	}
	defer closeRows(rows)
	out := map[int64]recordedMigration{}
	for rows.Next() {
		var v int64
		var m recordedMigration
		if err := rows.Scan(&v, &m.name, &m.checksum); err != nil {
			return nil, wrap("migrate: read applied", err)
		}
		out[v] = m
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("migrate: read applied", err)
	}
	return out, nil
}

// checkRecorded refuses a database whose recorded migrations do not match
// files.
func checkRecorded(recorded map[int64]recordedMigration, files []Migration) error {
	byVersion := make(map[int64]Migration, len(files))
	var latest int64
	for _, f := range files {
		byVersion[f.Version] = f
		latest = max(latest, f.Version)
	}
	versions := make([]int64, 0, len(recorded))
	for v := range recorded {
		versions = append(versions, v)
	}
	slices.Sort(versions)
	for _, v := range versions {
		rec := recorded[v]
		f, ok := byVersion[v]
		if !ok {
			if v > latest {
				return fmt.Errorf("%w: database is at version %d, newer than the latest known %d", ErrUnknownMigration, v, latest)
			}
			return fmt.Errorf("%w: version %d (%s)", ErrUnknownMigration, v, rec.name)
		}
		if f.Checksum != rec.checksum {
			return fmt.Errorf("%w: version %d (%s)", ErrChecksumMismatch, v, f.Name)
		}
	}
	return nil
}
