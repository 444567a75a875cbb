package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// querier is what *sql.DB, *sql.Conn and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs one operation's statements: on a transaction for writes and
// inside WithTx, on the read pool for reads outside it. Every operation is
// written once, as a method of conn, and shared by Store and txn.
type conn struct {
	s *Store
	q querier
}

// exec, query and queryRow take queries written with ? placeholders.
func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.q.ExecContext(ctx, rebind(c.s.dialect, query), args...)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.q.QueryContext(ctx, rebind(c.s.dialect, query), args...)
}

func (c conn) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return c.q.QueryRowContext(ctx, rebind(c.s.dialect, query), args...)
}

// insertOnce runs an INSERT … ON CONFLICT DO NOTHING and reports whether it
// inserted a row.
func (c conn) insertOnce(ctx context.Context, op, query string, args ...any) (bool, error) {
	res, err := c.exec(ctx, query, args...)
	if err != nil {
		return false, c.s.fail(ctx, op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, c.s.fail(ctx, op, err)
	}
	return n == 1, nil
}

// rebind turns the ? placeholders of query into PostgreSQL's $1, $2, ….
// The package's queries contain no other question marks.
func rebind(d Dialect, query string) string {
	if d != PostgreSQL || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] != '?' {
			b.WriteByte(query[i])
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// placeholders returns rows groups of cols placeholders: "(?, ?), (?, ?)".
func placeholders(rows, cols int) string {
	group := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(group+", ", rows), ", ")
}

// fail translates an error from the database into the package's errors, in
// this one place: context cancellation stays matchable with errors.Is, a
// PostgreSQL unique violation becomes [store.ErrConflict] (the serialised
// writes make it unreachable in practice), and anything else becomes an
// opaque error whose text carries the driver's message but which wraps no
// driver error or type.
func (s *Store) fail(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("sqlstore: %s: %w", op, ctxErr)
	}
	for _, ctxErr := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, ctxErr) {
			return fmt.Errorf("sqlstore: %s: %w", op, ctxErr)
		}
	}
	var coded interface{ SQLState() string }
	if errors.As(err, &coded) && coded.SQLState() == "23505" {
		return fmt.Errorf("sqlstore: %s: %w: %v", op, store.ErrConflict, err)
	}
	return fmt.Errorf("sqlstore: %s: %v", op, err)
}

// Time columns. PostgreSQL keeps timestamptz; SQLite keeps TEXT in a fixed
// width layout that sorts as time does. Every time is written in UTC and
// truncated to microseconds, so it reads back equal.
const (
	sqliteTimeLayout = "2006-01-02T15:04:05.000000Z"
	// nanoTimeLayout keeps a checkpoint's signing time exactly: its
	// signature covers the nanoseconds.
	nanoTimeLayout = "2006-01-02T15:04:05.000000000Z"
)

// timeArg returns t as a query argument.
func (s *Store) timeArg(t time.Time) any {
	t = t.UTC().Truncate(time.Microsecond)
	if s.dialect == SQLite {
		return t.Format(sqliteTimeLayout)
	}
	return t
}

// nullTimeArg is timeArg with the zero time stored as NULL.
func (s *Store) nullTimeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return s.timeArg(t)
}

// ceilArg is timeArg for the bound of a half-open range: stored times have
// microsecond precision, so t < bound (or t >= bound) holds exactly when it
// holds against bound rounded up to the microsecond.
func (s *Store) ceilArg(bound time.Time) any {
	if bound.Truncate(time.Microsecond).Equal(bound) {
		return s.timeArg(bound)
	}
	return s.timeArg(bound.Truncate(time.Microsecond).Add(time.Microsecond))
}

// normTime returns t as the store keeps it: UTC, truncated to
// microseconds; the zero time stays zero.
func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// nullIDArg returns id as a query argument, with uuid.Nil stored as NULL.
// Ids are written as lower-case canonical text, which PostgreSQL reads into
// uuid and SQLite keeps as it is: either way they sort as the uuids' bytes.
func nullIDArg(id uuid.UUID) any {
	if id == uuid.Nil {
		return nil
	}
	return id.String()
}

// idCol scans a uuid column (uuid in PostgreSQL, text in SQLite); NULL
// scans as uuid.Nil.
type idCol struct{ u *uuid.UUID }

func (c idCol) Scan(src any) error {
	var err error
	switch v := src.(type) {
	case nil:
		*c.u = uuid.Nil
	case string:
		*c.u, err = uuid.Parse(v)
	case []byte:
		if len(v) == 16 {
			*c.u, err = uuid.FromBytes(v)
		} else {
			*c.u, err = uuid.ParseBytes(v)
		}
	case [16]byte:
		*c.u = v
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into a uuid", src)
	}
	if err != nil {
		return fmt.Errorf("sqlstore: stored uuid: %v", err)
	}
	return nil
}

// timeCol scans a time column, from either dialect, into a UTC time.Time;
// NULL scans as the zero time.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.t = time.Time{}
	case time.Time:
		*c.t = v.UTC()
	case string:
		return c.parse(v)
	case []byte:
		return c.parse(string(v))
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into a time", src)
	}
	return nil
}

func (c timeCol) parse(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("sqlstore: stored time %q: %w", s, err)
	}
	*c.t = t.UTC()
	return nil
}

// decimalCol scans an exact decimal, stored as TEXT (SQLite) or NUMERIC
// (PostgreSQL, which hands it over as text), without going through a float.
type decimalCol struct{ d *decimal.Decimal }

func (c decimalCol) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into an exact decimal", src)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return fmt.Errorf("sqlstore: stored decimal %q: %w", s, err)
	}
	*c.d = d
	return nil
}

// notFound and friends build the portable errors with detail.
func notFound(format string, args ...any) error {
	return fmt.Errorf("sqlstore: %s: %w", fmt.Sprintf(format, args...), store.ErrNotFound)
}

func conflict(format string, args ...any) error {
	return fmt.Errorf("sqlstore: %s: %w", fmt.Sprintf(format, args...), store.ErrConflict)
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("sqlstore: %s: %w", fmt.Sprintf(format, args...), store.ErrInvalid)
}
