package sqltest

import (
	"context"
	"database/sql"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/driver"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Errors tests what crosses the sqlstore driver when something fails: the
// situations the store must tell apart wrap driver.ErrConflict,
// ErrNotFound, ErrTxDone, ErrReadOnly or the context's error; every other
// failure of the database is an opaque error that carries the database's
// message but wraps none of its driver's errors or types (b.DriverError
// matches them), nor any error of database/sql.
func Errors(t *testing.T, b Backend) {
	t.Run("TheDriverWrapsItsSentinels", func(t *testing.T) { errorSentinels(t, b) })
	t.Run("ACancelledTransactionStaysCancelled", func(t *testing.T) { errorCancelled(t, b) })
	t.Run("DatabaseErrorsAreOpaque", func(t *testing.T) { errorOpaque(t, b) })
	t.Run("ThroughTheStore", func(t *testing.T) { errorThroughStore(t, b) })
}

// Opaque fails t unless err is an error that wraps nothing of the
// database/sql driver's: b.DriverError does not match it, nor does any
// error of database/sql, and every error in its tree is of a type of the
// standard library's errors, fmt or context packages or of trustgate's.
func (b Backend) Opaque(t testing.TB, err error, msgAndArgs ...any) {
	t.Helper()
	if !assert.Error(t, err, msgAndArgs...) {
		return
	}
	assert.False(t, b.DriverError(err), "a %s driver error crosses the API: %#v", b.Name, err)
	for _, e := range []error{sql.ErrTxDone, sql.ErrNoRows, sql.ErrConnDone} {
		assert.NotErrorIs(t, err, e, "a database/sql error crosses the API")
	}
	var walk func(e error)
	walk = func(e error) {
		if e == nil {
			return
		}
		typ := reflect.TypeOf(e)
		for typ.Kind() == reflect.Pointer {
			typ = typ.Elem()
		}
		switch pkg := typ.PkgPath(); {
		case pkg == "errors", pkg == "fmt", pkg == "context", pkg == "github.com/buildworksai/trustgate",
			strings.HasPrefix(pkg, "github.com/buildworksai/trustgate/"):
		default:
			t.Errorf("an error of type %T (package %q) crosses the API in %q", e, pkg, err)
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		}
	}
	walk(err)
}

// tables returns the store's tables by name.
func tables() map[string]*driver.Table {
	m := map[string]*driver.Table{}
	for _, t := range store.Tables() {
		m[t.Name] = t
	}
	return m
}

func classRow(class string, quorum any) []any { return []any{class, "a class", quorum, true, `["x"]`} }

func evidenceRow(corr string) []any {
	return []any{uuid.New(), corr, []byte(`{}`), strings.Repeat("0", 64), epoch, nil, nil}
}

// firstEvent returns the row of the first event of a chain, which the
// schema accepts as the first.
func firstEvent() []any {
	return []any{int64(1), uuid.New(), "test.event", "tester", "", "", epoch, `{}`, strings.Repeat("0", 64), strings.Repeat("1", 64)}
}

func begin(t *testing.T, d driver.Driver, ctx context.Context, write bool) driver.Tx {
	t.Helper()
	tx, err := d.Begin(ctx, driver.TxOptions{Write: write})
	require.NoError(t, err)
	t.Cleanup(func() { _ = tx.Rollback() })
	return tx
}

func errorSentinels(t *testing.T, b Backend) {
	ctx := t.Context()
	d := b.New(t)
	tb := tables()
	classes, evidence := tb["class_definitions"], tb["evidence_packages"]

	tx := begin(t, d, ctx, true)
	require.NoError(t, tx.Insert(ctx, classes, classRow("A", int64(1))))
	err := tx.Insert(ctx, classes, classRow("A", int64(2)))
	require.ErrorIs(t, err, driver.ErrConflict, "a duplicate primary key")
	b.Opaque(t, err)
	require.NoError(t, tx.Insert(ctx, evidence, evidenceRow("build-1")))
	err = tx.Insert(ctx, evidence, evidenceRow("build-1"))
	require.ErrorIs(t, err, driver.ErrConflict, "a duplicate unique key")
	b.Opaque(t, err)
	err = tx.Update(ctx, classes, []any{"nope"}, []string{"quorum"}, []any{int64(3)})
	require.ErrorIs(t, err, driver.ErrNotFound)
	b.Opaque(t, err)
	require.NoError(t, tx.Commit())
	for _, err := range []error{
		tx.Insert(ctx, classes, classRow("B", int64(1))),
		tx.Query(ctx, &driver.Query{Table: classes}, func([]any) error { return nil }),
		tx.Commit(),
	} {
		require.ErrorIs(t, err, driver.ErrTxDone)
		b.Opaque(t, err)
	}

	ro := begin(t, d, ctx, false)
	err = ro.Insert(ctx, classes, classRow("C", int64(1)))
	require.ErrorIs(t, err, driver.ErrReadOnly)
	b.Opaque(t, err)

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = d.Begin(cancelled, driver.TxOptions{Write: true})
	require.ErrorIs(t, err, context.Canceled)
	b.Opaque(t, err)
	expired, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancel()
	for _, c := range []struct {
		ctx  context.Context
		want error
	}{{cancelled, context.Canceled}, {expired, context.DeadlineExceeded}} {
		err := begin(t, d, ctx, false).Query(c.ctx, &driver.Query{Table: classes}, func([]any) error { return nil })
		require.ErrorIs(t, err, c.want)
		b.Opaque(t, err)
	}
}

// The context passed to Begin is the transaction's: once it is done,
// every later call fails with an error matching its error, Commit
// included, whichever context the call is given.
func errorCancelled(t *testing.T, b Backend) {
	d := b.New(t)
	classes := tables()["class_definitions"]
	for i := range 20 { // the database/sql rollback on cancel races with the calls
		for _, write := range []bool{true, false} {
			ctx, cancel := context.WithCancel(t.Context())
			tx := begin(t, d, ctx, write)
			require.NoError(t, tx.Query(ctx, &driver.Query{Table: classes}, func([]any) error { return nil }))
			if write {
				require.NoError(t, tx.Insert(ctx, classes, classRow("A"+string(rune('a'+i)), int64(1))))
			}
			cancel()
			for _, c := range []struct {
				what string
				err  error
			}{
				{"query", tx.Query(ctx, &driver.Query{Table: classes}, func([]any) error { return nil })},
				{"query with another context", tx.Query(t.Context(), &driver.Query{Table: classes}, func([]any) error { return nil })},
				{"insert", tx.Insert(t.Context(), classes, classRow("B", int64(1)))},
				{"commit", tx.Commit()},
			} {
				require.ErrorIs(t, c.err, context.Canceled, "%s after the transaction's context was cancelled (write %v)", c.what, write)
				b.Opaque(t, c.err)
			}
		}
	}
	// Nothing was committed.
	n := 0
	require.NoError(t, begin(t, d, t.Context(), false).Query(t.Context(), &driver.Query{Table: classes},
		func([]any) error { n++; return nil }))
	assert.Zero(t, n)
}

func errorOpaque(t *testing.T, b Backend) {
	ctx := t.Context()
	d := b.New(t)
	tb := tables()
	events, classes, deployments := tb["audit_events"], tb["class_definitions"], tb["deployments"]
	tree := tb["audit_tree"]

	tx := begin(t, d, ctx, true)
	require.NoError(t, tx.Insert(ctx, tree, []any{int64(1), make([]byte, 32)}))
	require.NoError(t, tx.Insert(ctx, events, firstEvent()))
	require.NoError(t, tx.Commit())

	// Each in a transaction of its own: after an error PostgreSQL refuses
	// every later statement of the transaction.
	for _, c := range []struct {
		name, msg string
		do        func(tx driver.Tx) error
	}{
		{"a trigger refuses the update", "append-only", func(tx driver.Tx) error {
			return tx.Update(ctx, events, []any{int64(1)}, []string{"actor"}, []any{"mallory"})
		}},
		{"a trigger refuses the insert", "must follow the last", func(tx driver.Tx) error {
			return tx.Insert(ctx, tree, []any{int64(7), make([]byte, 32)})
		}},
		{"a check refuses the row", "check constraint", func(tx driver.Tx) error {
			return tx.Insert(ctx, deployments, []any{uuid.New(), "app", nil, nil, string(blastradius.NonCritical), false,
				decimal.RequireFromString("42"), int64(7), "1.1", epoch, epoch})
		}},
		{"a value of the wrong type", "", func(tx driver.Tx) error {
			return tx.Insert(ctx, classes, classRow("D", "many"))
		}},
	} {
		tx := begin(t, d, ctx, true)
		err := c.do(tx)
		require.Error(t, err, c.name)
		assert.NotErrorIs(t, err, driver.ErrConflict, c.name)
		assert.NotErrorIs(t, err, driver.ErrNotFound, c.name)
		assert.Contains(t, strings.ToLower(err.Error()), c.msg, "%s: the database's message is kept", c.name)
		b.Opaque(t, err, c.name)
		if err := tx.Query(ctx, &driver.Query{Table: classes}, func([]any) error { return nil }); err != nil {
			b.Opaque(t, err, "%s: the statement after it", c.name)
		}
		require.NoError(t, tx.Rollback())
	}

	// A table dropped behind the driver's back.
	_, err := b.Raw(t, d).ExecContext(ctx, `DROP TABLE class_definitions`)
	require.NoError(t, err)
	err = begin(t, d, ctx, false).Query(ctx, &driver.Query{Table: classes}, func([]any) error { return nil })
	require.Error(t, err)
	assert.Contains(t, err.Error(), "class_definitions")
	b.Opaque(t, err)
	err = begin(t, d, ctx, true).Insert(ctx, classes, classRow("E", int64(1)))
	b.Opaque(t, err)
}

func errorThroughStore(t *testing.T, b Backend) {
	ctx := t.Context()
	d := b.New(t)
	s, err := store.New(d, store.Options{Now: func() time.Time { return epoch }})
	require.NoError(t, err)
	require.NoError(t, store.Seed(ctx, s, devService(t), epoch))
	err = s.CreateClassDefinition(ctx, blastradius.Definitions()[0])
	require.ErrorIs(t, err, store.ErrConflict)
	b.Opaque(t, err)

	// Break the schema behind the store's back: the error it then gets
	// from the database must not cross the API.
	_, err = b.Raw(t, d).ExecContext(ctx, `DROP TABLE class_definitions`)
	require.NoError(t, err)
	_, err = s.ListClassDefinitions(ctx)
	require.Error(t, err)
	assert.Equal(t, trustgate.Internal, trustgate.ErrorCode(err))
	b.Opaque(t, err)
	err = s.CreateClassDefinition(ctx, blastradius.Definitions()[0])
	assert.Equal(t, trustgate.Internal, trustgate.ErrorCode(err))
	b.Opaque(t, err)
	err = s.WithTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.ListClassDefinitions(ctx)
		return err
	})
	assert.Equal(t, trustgate.Internal, trustgate.ErrorCode(err))
	b.Opaque(t, err)

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = s.ActiveRiskModel(cancelled)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, trustgate.Canceled, trustgate.ErrorCode(err))
	b.Opaque(t, err)
}
