package sqlstore

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// migrations holds the schema, one directory of numbered .sql files per
// dialect, applied in name order.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Migration is one schema change: a file of migrations/<dialect>/.
type Migration struct {
	Version string // the file name without ".sql", such as "0001_init"
	SQL     string // the statements
}

// Migrations returns the dialect's migrations in the order Migrate applies
// them.
func Migrations(d Dialect) ([]Migration, error) {
	dir := "migrations/" + map[Dialect]string{SQLite: "sqlite", PostgreSQL: "postgres"}[d]
	if dir == "migrations/" {
		return nil, fmt.Errorf("sqlstore: migrations: unknown dialect %v", d)
	}
	names, err := fs.Glob(migrations, dir+"/*.sql")
	if err != nil {
		return nil, fmt.Errorf("sqlstore: migrations: %w", err)
	}
	slices.Sort(names)
	ms := make([]Migration, 0, len(names))
	for _, name := range names {
		b, err := migrations.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: migrations: %w", err)
		}
		ms = append(ms, Migration{Version: strings.TrimSuffix(path.Base(name), ".sql"), SQL: string(b)})
	}
	return ms, nil
}

// Migrate creates or upgrades the schema: it applies, in order, each
// migration not yet recorded in the schema_migrations table, each in its own
// transaction together with its record. Running it again is a no-op. It runs
// only when called, never when a store is made.
//
// Concurrent Migrate calls, from one process or many, apply each migration
// once: on PostgreSQL they queue on a session advisory lock held on one
// connection for the whole run; on SQLite on the database's write lock
// (BEGIN IMMEDIATE).
func (s *Driver) Migrate(ctx context.Context) error {
	ms, err := Migrations(s.dialect)
	if err != nil {
		return err
	}
	var q interface {
		querier
		BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
	} = s.db
	if s.dialect == PostgreSQL {
		c, err := s.db.Conn(ctx)
		if err != nil {
			return s.fail(ctx, "migrate: connect", err)
		}
		defer func() { _ = c.Close() }()
		if _, err := c.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrateLockKey); err != nil {
			return s.fail(ctx, "migrate: lock", err)
		}
		defer func() {
			_, uerr := c.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLockKey)
			if uerr != nil {
				// Closing the session is what releases the lock now.
				_ = c.Raw(func(any) error { return sqldriver.ErrBadConn })
			}
		}()
		q = c
	}

	createTable := `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    TEXT NOT NULL PRIMARY KEY,
		applied_at TEXT NOT NULL
	)`
	if s.dialect == PostgreSQL {
		createTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    text        NOT NULL PRIMARY KEY,
			applied_at timestamptz NOT NULL
		)`
	}
	for i, m := range ms {
		tx, err := q.BeginTx(ctx, nil)
		if err != nil {
			return s.fail(ctx, "migrate: begin", err)
		}
		applied, err := s.applyMigration(ctx, tx, m, i == 0, createTable)
		if err == nil {
			err = tx.Commit()
			if err != nil {
				err = s.fail(ctx, "migrate: commit "+m.Version, err)
			}
		}
		if err != nil {
			_ = tx.Rollback()
			return err
		}
		if applied {
			s.log.InfoContext(ctx, "sqlstore: applied migration", "dialect", s.dialect.String(), "version", m.Version)
		}
	}
	return nil
}

// applyMigration applies m on tx unless schema_migrations records it, and
// reports whether it did.
func (s *Driver) applyMigration(ctx context.Context, tx *sql.Tx, m Migration, first bool, createTable string) (bool, error) {
	if first {
		if _, err := tx.ExecContext(ctx, createTable); err != nil {
			return false, s.fail(ctx, "migrate: create schema_migrations", err)
		}
	}
	param := func(n int) string {
		if s.dialect == PostgreSQL {
			return "$" + strconv.Itoa(n)
		}
		return "?"
	}
	var one int
	err := tx.QueryRowContext(ctx, `SELECT 1 FROM schema_migrations WHERE version = `+param(1), m.Version).Scan(&one)
	switch {
	case err == nil:
		return false, nil
	case !errors.Is(err, sql.ErrNoRows):
		return false, s.fail(ctx, "migrate: read schema_migrations", err)
	}
	// The file as it is: several statements, no arguments.
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, s.fail(ctx, "migrate: apply "+m.Version, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (`+param(1)+`, `+param(2)+`)`,
		m.Version, s.arg(time.Now().Truncate(time.Microsecond))); err != nil {
		return false, s.fail(ctx, "migrate: record "+m.Version, err)
	}
	return true, nil
}
