package storetest

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/driver"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// No error the store returns wraps an error of the database, of
// database/sql or of the driver: a caller matches the store's sentinels and
// codes and the domain packages' errors, and never depends on which driver
// runs underneath. The tests below provoke errors of every kind, from the
// driver under test and from drivers that fail on purpose with errors that
// wrap database/sql's and the driver package's, and walk each error's whole
// chain.

// driverSentinels are the error values no store error may wrap.
var driverSentinels = []error{
	driver.ErrConflict, driver.ErrNotFound, driver.ErrTxDone, driver.ErrReadOnly,
	sql.ErrNoRows, sql.ErrTxDone, sql.ErrConnDone, sqldriver.ErrBadConn, sqldriver.ErrSkip, sqldriver.ErrRemoveArgument,
}

// chain returns err and every error it wraps, depth first.
func chain(err error) []error {
	var out []error
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		out = append(out, err)
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		}
	}
	walk(err)
	return out
}

// pkgOf returns the package path of err's type, through pointers.
func pkgOf(err error) string {
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.PkgPath()
}

// requireClean asserts that err is an error and that nothing in its chain
// is a value or a type of database/sql, of store/driver, of the driver
// under test's package or of any package outside the standard library and
// trustgate.
func (e *env) requireClean(err error, what string) {
	e.t.Helper()
	require.Error(e.t, err, what)
	own := reflect.TypeOf(e.d)
	for own.Kind() == reflect.Pointer {
		own = own.Elem()
	}
	forbidden := map[string]bool{"database/sql": true, "database/sql/driver": true,
		reflect.TypeOf(driver.Query{}).PkgPath(): true, own.PkgPath(): true}
	for _, s := range driverSentinels {
		assert.NotErrorIs(e.t, err, s, "%s: %v", what, err)
	}
	for i, link := range chain(err) {
		pkg := pkgOf(link)
		first, _, _ := strings.Cut(pkg, "/")
		thirdParty := strings.Contains(first, ".") && !strings.HasPrefix(pkg, "github.com/buildworksai/trustgate")
		assert.False(e.t, forbidden[pkg] || thirdParty, "%s: link %d of %q is a %T, of package %s", what, i, err, link, pkg)
	}
}

// faulty is a driver that fails where fail says, with the error it
// returns; it declares the precision of the store it stands under.
type faulty struct {
	driver.Driver
	precision time.Duration
	fail      func(op string) error // op: begin, query, insert, update, commit
}

// TimePrecision implements driver.TimePrecisioner.
func (f faulty) TimePrecision() time.Duration { return f.precision }

// Begin fails when fail says so, and otherwise begins a faultyTx.
func (f faulty) Begin(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if err := f.fail("begin"); err != nil {
		return nil, err
	}
	tx, err := f.Driver.Begin(ctx, opts)
	if err != nil {
		return nil, err
	}
	return faultyTx{Tx: tx, fail: f.fail}, nil
}

// faultyTx is a transaction of faulty's.
type faultyTx struct {
	driver.Tx
	fail func(op string) error
}

// Query fails when fail says so.
func (t faultyTx) Query(ctx context.Context, q *driver.Query, fn func(row []any) error) error {
	if err := t.fail("query"); err != nil {
		return err
	}
	return t.Tx.Query(ctx, q, fn)
}

// Insert fails when fail says so.
func (t faultyTx) Insert(ctx context.Context, tb *driver.Table, row []any) error {
	if err := t.fail("insert"); err != nil {
		return err
	}
	return t.Tx.Insert(ctx, tb, row)
}

// Update fails when fail says so.
func (t faultyTx) Update(ctx context.Context, tb *driver.Table, key []any, columns []string, values []any) error {
	if err := t.fail("update"); err != nil {
		return err
	}
	return t.Tx.Update(ctx, tb, key, columns, values)
}

// Commit fails, rolling back, when fail says so.
func (t faultyTx) Commit() error {
	if err := t.fail("commit"); err != nil {
		_ = t.Tx.Rollback()
		return err
	}
	return t.Tx.Commit()
}

// readOnly is a driver whose every transaction is read-only, so that the
// store's writes fail in the driver under test, with its own error.
type readOnly struct {
	driver.Driver
	precision time.Duration
}

// TimePrecision implements driver.TimePrecisioner.
func (r readOnly) TimePrecision() time.Duration { return r.precision }

// Begin begins a read-only transaction, whatever opts asks.
func (r readOnly) Begin(ctx context.Context, _ driver.TxOptions) (driver.Tx, error) {
	return r.Driver.Begin(ctx, driver.TxOptions{})
}

// failing returns a store over e's driver that fails at op with err.
func (e *env) failing(op string, err error) *store.Store {
	e.t.Helper()
	s, serr := store.New(faulty{Driver: e.d, precision: e.precision(), fail: func(o string) error {
		if o == op {
			return err
		}
		return nil
	}}, store.Options{Now: e.clock.Now})
	require.NoError(e.t, serr)
	return s
}

func runErrors(t *testing.T, h Harness) {
	subtests(t, h, map[string]func(e *env){
		"NoErrorOfTheDriverUnderTestCrossesTheStoresAPI": func(e *env) {
			ctx := e.ctx()
			e.create(candidate("2.0"))
			err := e.s.CreateRiskModel(ctx, candidate("2.1"), " ")
			requireInvalid(e.t, err, "actor")
			e.requireClean(err, "invalid")
			_, err = e.s.RiskModel(ctx, "9.9")
			require.ErrorIs(e.t, err, store.ErrNotFound)
			e.requireClean(err, "not found")
			err = e.s.CreateRiskModel(ctx, candidate("2.0"), "cab-admin")
			require.ErrorIs(e.t, err, store.ErrConflict)
			e.requireClean(err, "conflict the store sees")
			bad := candidate("2.2")
			bad.Weights[riskmodel.SupplyChain] = decimal.NewFromInt(1)
			err = e.s.CreateRiskModel(ctx, bad, "cab-admin")
			require.ErrorIs(e.t, err, riskmodel.ErrWeightsSum)
			e.requireClean(err, "a risk model's rule")
			_, err = e.s.AppendAudit(ctx, security.EventInput{Type: "t"})
			requireInvalid(e.t, err, "actor")
			e.requireClean(err, "an audit event's rule")
			_, err = e.s.RecordDeployment(ctx, deployment("Zoom", "HUGE", false, "1", Epoch))
			requireInvalid(e.t, err, "class")
			e.requireClean(err, "a deployment's rule")

			var leaked *store.Tx
			require.NoError(e.t, e.s.WithTx(ctx, func(_ context.Context, tx *store.Tx) error { leaked = tx; return nil }))
			_, err = leaked.AuditHead(ctx)
			require.ErrorIs(e.t, err, store.ErrTxDone)
			e.requireClean(err, "a finished transaction")

			cancelled, cancel := context.WithCancel(ctx)
			cancel()
			_, err = e.s.RiskModel(cancelled, "2.0")
			require.ErrorIs(e.t, err, context.Canceled)
			requireCode(e.t, err, trustgate.Canceled)
			e.requireClean(err, "a cancelled context")
			expired, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
			defer cancel()
			err = e.s.CreateClassDefinition(expired, blastradius.Definitions()[0])
			require.ErrorIs(e.t, err, context.DeadlineExceeded)
			requireCode(e.t, err, trustgate.Canceled)
			e.requireClean(err, "an expired deadline")

			// A write the driver itself refuses: in a read-only transaction.
			ro, err := store.New(readOnly{Driver: e.d, precision: e.precision()}, store.Options{Now: e.clock.Now})
			require.NoError(e.t, err)
			err = ro.CreateClassDefinition(ctx, blastradius.Definitions()[0])
			requireCode(e.t, err, trustgate.Internal)
			e.requireClean(err, "a write the driver refuses")
		},
		"ADuplicateKeyTheDriverReportsIsErrConflictAndNothingOfTheDriver": func(e *env) {
			// A class definition put in place behind the store's back: the
			// store inserts without reading first, so the driver, not the
			// store, finds the duplicate.
			d := blastradius.Definitions()[0]
			e.rawInsert("class_definitions", []any{string(d.Class), "put there", int64(d.Quorum), d.AutoApproveAllowed, "null"})
			err := e.s.CreateClassDefinition(e.ctx(), d)
			require.ErrorIs(e.t, err, store.ErrConflict)
			requireCode(e.t, err, trustgate.Conflict)
			e.requireClean(err, "a duplicate key")
			got, err := e.s.ClassDefinition(e.ctx(), d.Class)
			require.NoError(e.t, err)
			assert.Equal(e.t, "put there", got.Description, "nothing was written over it")
			assert.Zero(e.t, e.auditSize())
		},
		"ADuplicateKeyInTheAuditLogFailsTheAppendAndAppendsNothing": func(e *env) {
			// An event put in place behind the store's back with the id the
			// store gives its next one. The log is append-only under keys
			// the store allocates, so a driver may report this as any
			// failure (driver.Table.Append): whatever it says, the append
			// fails, says nothing of the driver, and leaves the log as it
			// was.
			id := uuid.MustParse("01890a5d-ac96-774b-bcce-b302099a8057")
			ev, err := security.NewEvent(security.Head{}, security.EventInput{Type: "t", Actor: "a"}, id, e.at(Epoch))
			require.NoError(e.t, err)
			leaf, err := ev.Canonical()
			require.NoError(e.t, err)
			hashes, err := new(auditlog.Tree).Append(leaf)
			require.NoError(e.t, err)
			e.rawInsert("audit_tree", []any{ev.Seq, hashes[0][:]})
			e.rawInsert("audit_events", []any{ev.Seq, ev.ID, string(ev.Type), ev.Actor, ev.Subject,
				ev.CorrelationID, ev.OccurredAt, string(ev.Data), ev.PrevHash.String(), ev.Hash.String()})
			s := e.storeWith(store.Options{NewID: func() uuid.UUID { return id }})
			_, err = s.AppendAudit(e.ctx(), security.EventInput{Type: "t", Actor: "b"})
			require.Error(e.t, err)
			assert.Contains(e.t, []trustgate.Code{trustgate.Conflict, trustgate.Internal}, trustgate.ErrorCode(err))
			e.requireClean(err, "a duplicate key in the log")
			head, err := e.verify(security.VerifyOptions{})
			require.NoError(e.t, err)
			assert.Equal(e.t, int64(1), head.Size, "nothing was appended")
		},
		"AFailingDatabaseIsInternalAndWrapsNoneOfItsErrors": func(e *env) {
			e.create(candidate("2.0"))
			broken := fmt.Errorf("injected: connection reset: %w: %w", sql.ErrConnDone, sqldriver.ErrBadConn)
			for _, op := range []string{"begin", "query", "insert", "update", "commit"} {
				s := e.failing(op, broken)
				var err error
				switch op {
				case "update": // a write that updates a row
					err = s.ActivateRiskModel(e.ctx(), "2.0", "cab-admin")
				case "query": // a write that reads first
					err = s.ApproveRiskModel(e.ctx(), "2.0", e.signoff(candidate("2.0"), "cab-bob"), false)
				default:
					err = s.CreateClassDefinition(e.ctx(), blastradius.Definitions()[0])
				}
				requireCode(e.t, err, trustgate.Internal, op)
				assert.Contains(e.t, err.Error(), "connection reset", "the text says what failed (%s)", op)
				e.requireClean(err, "a failing "+op)
			}
			_, err := e.s.ClassDefinition(e.ctx(), blastradius.CriticalInfrastructure)
			require.ErrorIs(e.t, err, store.ErrNotFound, "no failed write took effect")
			_, err = e.s.ActiveRiskModel(e.ctx())
			require.ErrorIs(e.t, err, store.ErrNotFound)
		},
		"TheDriversSentinelsBecomeTheStoresOwn": func(e *env) {
			conflict := e.failing("insert", fmt.Errorf("injected: %w (%w)", driver.ErrConflict, sql.ErrNoRows))
			err := conflict.CreateClassDefinition(e.ctx(), blastradius.Definitions()[0])
			require.ErrorIs(e.t, err, store.ErrConflict)
			e.requireClean(err, "the driver's ErrConflict")
			done := e.failing("query", fmt.Errorf("injected: %w (%w)", driver.ErrTxDone, sql.ErrTxDone))
			_, err = done.RiskModel(e.ctx(), "2.0")
			require.ErrorIs(e.t, err, store.ErrTxDone)
			e.requireClean(err, "the driver's ErrTxDone")
		},
		"AContextErrorOfTheDriverKeepsOnlyTheContextsError": func(e *env) {
			// A driver's own timeout (a connection's, say) while the
			// operation's context is still live: the store reports a
			// cancellation, and wraps the context's error alone.
			timeout := e.failing("query", fmt.Errorf("injected: connect timeout: %w (%w)", context.DeadlineExceeded, sql.ErrConnDone))
			_, err := timeout.RiskModel(e.ctx(), "2.0")
			require.ErrorIs(e.t, err, context.DeadlineExceeded)
			requireCode(e.t, err, trustgate.Canceled)
			e.requireClean(err, "a driver's context error")
		},
		"ADatabaseErrorInsideWithTxDoomsItWithoutLeakingTheDriversError": func(e *env) {
			broken := fmt.Errorf("injected: disk I/O error: %w", sqldriver.ErrBadConn)
			s := e.failing("insert", broken)
			var inside error
			err := s.WithTx(e.ctx(), func(ctx context.Context, tx *store.Tx) error {
				requireCode(e.t, tx.CreateClassDefinition(ctx, blastradius.Definitions()[0]), trustgate.Internal)
				_, inside = tx.ClassDefinition(ctx, blastradius.NonCritical) // after the failure: refused too
				return nil
			})
			requireCode(e.t, err, trustgate.Internal)
			e.requireClean(err, "WithTx after a database error")
			e.requireClean(inside, "an operation after a database error")
			_, err = e.s.ClassDefinition(e.ctx(), blastradius.CriticalInfrastructure)
			require.ErrorIs(e.t, err, store.ErrNotFound)
		},
	})
}

// rawInsert writes row into the store's table name through the driver,
// behind the store's back.
func (e *env) rawInsert(name string, row []any) {
	e.t.Helper()
	t := tableIn(e.t, storeTables(), name)
	tx, err := e.d.Begin(e.ctx(), driver.TxOptions{Write: true})
	require.NoError(e.t, err)
	require.NoError(e.t, tx.Insert(e.ctx(), t, row))
	require.NoError(e.t, tx.Commit())
}
