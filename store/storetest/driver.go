package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/driver"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The driver contract, checked directly on the store's own tables with rows
// their constraints accept (a SQL driver's schema has checks and triggers
// of its own): what store/driver promises and the store relies on.

// denv is what one driver subtest works with.
type denv struct {
	t      *testing.T
	d      driver.Driver
	tables map[string]*driver.Table
}

func (h Harness) denv(t *testing.T) *denv {
	t.Helper()
	d := h.New(t)
	if d == nil {
		t.Fatal("storetest: Harness.New returned nil")
	}
	return &denv{t: t, d: d, tables: storeTables()}
}

// storeTables returns the store's table definitions by name.
func storeTables() map[string]*driver.Table {
	m := map[string]*driver.Table{}
	for _, tb := range store.Tables() {
		m[tb.Name] = tb
	}
	return m
}

// tableIn returns the table name of tables, failing t without it.
func tableIn(t testing.TB, tables map[string]*driver.Table, name string) *driver.Table {
	t.Helper()
	tb, ok := tables[name]
	require.True(t, ok, "store.Tables has no table %s", name)
	return tb
}

func (e *denv) table(name string) *driver.Table {
	e.t.Helper()
	return tableIn(e.t, e.tables, name)
}

// begin starts a transaction that the test's end rolls back if the test
// has not ended it.
func (e *denv) begin(write bool) driver.Tx {
	e.t.Helper()
	tx, err := e.d.Begin(e.t.Context(), driver.TxOptions{Write: write})
	require.NoError(e.t, err)
	e.t.Cleanup(func() { _ = tx.Rollback() })
	return tx
}

// in runs fn in a write transaction and commits it.
func (e *denv) in(fn func(tx driver.Tx)) {
	e.t.Helper()
	tx := e.begin(true)
	fn(tx)
	require.NoError(e.t, tx.Commit())
}

func (e *denv) insert(tx driver.Tx, table string, row []any) {
	e.t.Helper()
	require.NoError(e.t, tx.Insert(e.t.Context(), e.table(table), row), "insert into %s", table)
}

// rows runs q in a read-only transaction of its own.
func (e *denv) rows(q *driver.Query) [][]any {
	e.t.Helper()
	tx := e.begin(false)
	out := e.rowsIn(tx, q)
	require.NoError(e.t, tx.Commit())
	return out
}

func (e *denv) rowsIn(tx driver.Tx, q *driver.Query) [][]any {
	e.t.Helper()
	var out [][]any
	require.NoError(e.t, tx.Query(e.t.Context(), q, func(row []any) error { out = append(out, row); return nil }))
	return out
}

// column returns the values of column col in rows.
func (e *denv) column(table string, rows [][]any, col string) []any {
	e.t.Helper()
	i := e.table(table).Column(col)
	require.GreaterOrEqual(e.t, i, 0, "no column %s", col)
	out := make([]any, len(rows))
	for j, r := range rows {
		out[j] = r[i]
	}
	return out
}

// precision is the precision the driver keeps times at, as the store
// applies it.
func (e *denv) precision() time.Duration {
	if p, ok := e.d.(driver.TimePrecisioner); ok && p.TimePrecision() > time.Microsecond {
		return p.TimePrecision()
	}
	return time.Microsecond
}

// deploymentRow returns a row of deployments that the schema accepts:
// finished at Epoch + i minutes, with score i%100 and its band.
func deploymentRow(id uuid.UUID, app, class string, i int, evidence any, at time.Time) []any {
	score := int64(i % 100)
	return []any{id, app, evidence, nil, class, i%2 == 0, decimal.NewFromInt(score), min(score/10, 9), "1.1",
		at, at}
}

// classRow returns a row of class_definitions.
func classRow(class string, quorum int64) []any {
	return []any{class, "a class", quorum, true, `["x"]`}
}

func runDriver(t *testing.T, h Harness) {
	t.Run("Rows", func(t *testing.T) { runDriverRows(t, h) })
	t.Run("Queries", func(t *testing.T) { runDriverQueries(t, h) })
	t.Run("Transactions", func(t *testing.T) { runDriverTransactions(t, h) })
}

func runDriverRows(t *testing.T, h Harness) {
	cases := map[string]func(e *denv){
		"EveryTypeReadsBackValueForValue": func(e *denv) {
			p := e.precision()
			at := Epoch.Truncate(p)
			data := make([]byte, 256)
			for i := range data {
				data[i] = byte(i)
			}
			id := uuid.New()
			dec := decimal.RequireFromString("-12345678901234567890.000000000000000001")
			e.in(func(tx driver.Tx) {
				e.insert(tx, "class_definitions", []any{"Ünïcode ☃ 'quoted' \"class\"", "tab\tand\nnewline", int64(2147483647), false, "null"})
				e.insert(tx, "evidence_packages", []any{id, "corr-1", data, fmt.Sprintf("%064x", 7), at, nil, nil})
				e.insert(tx, "risk_model_versions", []any{"v1", "CAUTIOUS", at, at.Add(time.Hour), dec, false, "", nil, nil, at, false, "", "[]"})
			})
			classes := e.rows(&driver.Query{Table: e.table("class_definitions")})
			require.Len(e.t, classes, 1)
			assert.Equal(e.t, []any{"Ünïcode ☃ 'quoted' \"class\"", "tab\tand\nnewline", int64(2147483647), false, "null"}, classes[0])
			ev := e.rows(&driver.Query{Table: e.table("evidence_packages")})
			require.Len(e.t, ev, 1)
			assert.Equal(e.t, id, ev[0][0])
			assert.Equal(e.t, data, ev[0][2], "bytes byte for byte")
			require.IsType(e.t, time.Time{}, ev[0][4])
			assert.True(e.t, at.Equal(ev[0][4].(time.Time)), "%v != %v", at, ev[0][4])
			assert.Equal(e.t, time.UTC, ev[0][4].(time.Time).Location(), "times come back in UTC")
			models := e.rows(&driver.Query{Table: e.table("risk_model_versions")})
			require.Len(e.t, models, 1)
			require.IsType(e.t, decimal.Decimal{}, models[0][4])
			assert.True(e.t, dec.Equal(models[0][4].(decimal.Decimal)), "decimal exactly: %v", models[0][4])
			assert.Nil(e.t, models[0][7], "NULL time")
			assert.Nil(e.t, models[0][8], "NULL text")
		},
		"ATimeAtThePrecisionReadsBackEqual": func(e *denv) {
			p := e.precision()
			// A time with every digit the precision keeps, in another zone.
			at := time.Date(2026, 2, 10, 9, 0, 0, 999_999_999, time.FixedZone("CET", 3600)).Truncate(p)
			e.in(func(tx driver.Tx) {
				e.insert(tx, "deployments", deploymentRow(uuid.New(), "app", "NON_CRITICAL", 1, nil, at))
			})
			got := e.column("deployments", e.rows(&driver.Query{Table: e.table("deployments")}), "finished_at")
			require.Len(e.t, got, 1)
			assert.True(e.t, at.Equal(got[0].(time.Time)))
		},
		"ADuplicatePrimaryKeyIsErrConflictAndWritesNothing": func(e *denv) {
			e.in(func(tx driver.Tx) { e.insert(tx, "class_definitions", classRow("A", 1)) })
			tx := e.begin(true)
			err := tx.Insert(e.t.Context(), e.table("class_definitions"), classRow("A", 2))
			require.ErrorIs(e.t, err, driver.ErrConflict)
			require.NoError(e.t, tx.Commit())
			rows := e.rows(&driver.Query{Table: e.table("class_definitions")})
			require.Len(e.t, rows, 1)
			assert.Equal(e.t, int64(1), rows[0][2], "the first row stands")
		},
		"ADuplicateUniqueKeyIsErrConflict": func(e *denv) {
			tb := e.table("evidence_packages")
			row := func(corr string) []any {
				return []any{uuid.New(), corr, []byte("{}"), fmt.Sprintf("%064x", 1), Epoch.Truncate(time.Second), nil, nil}
			}
			e.in(func(tx driver.Tx) { e.insert(tx, tb.Name, row("build-1")) })
			tx := e.begin(true)
			require.ErrorIs(e.t, tx.Insert(e.t.Context(), tb, row("build-1")), driver.ErrConflict)
			require.NoError(e.t, tx.Insert(e.t.Context(), tb, row("build-2")), "another value of the key is fine")
			require.NoError(e.t, tx.Commit())
			assert.Len(e.t, e.rows(&driver.Query{Table: tb}), 2)
		},
		"UpdateSetsOnlyTheNamedColumns": func(e *denv) {
			tb := e.table("risk_model_versions")
			at := Epoch.Truncate(time.Second)
			e.in(func(tx driver.Tx) {
				e.insert(tx, tb.Name, []any{"v1", "CAUTIOUS", at, at.Add(time.Hour), decimal.NewFromInt(80), false, "", nil, `{"a":1}`, at, false, "cab-admin", "[]"})
				e.insert(tx, tb.Name, []any{"v2", "CAUTIOUS", at, at.Add(time.Hour), decimal.NewFromInt(80), false, "", nil, nil, at, false, "", "[]"})
			})
			e.in(func(tx driver.Tx) {
				require.NoError(e.t, tx.Update(e.t.Context(), tb, []any{"v1"}, []string{"approved", "approved_by", "approved_at"},
					[]any{true, "cab-alice", at.Add(time.Minute)}))
			})
			rows := e.rows(&driver.Query{Table: tb, Order: []driver.Order{{Column: "version"}}})
			require.Len(e.t, rows, 2)
			assert.Equal(e.t, true, rows[0][5])
			assert.Equal(e.t, "cab-alice", rows[0][6])
			assert.True(e.t, at.Add(time.Minute).Equal(rows[0][7].(time.Time)))
			assert.Equal(e.t, `{"a":1}`, rows[0][8], "a column not named keeps its value")
			assert.Equal(e.t, "cab-admin", rows[0][11], "a column not named keeps its value")
			assert.Equal(e.t, false, rows[1][5], "another row is untouched")
		},
		"UpdatingAMissingRowIsErrNotFound": func(e *denv) {
			tx := e.begin(true)
			err := tx.Update(e.t.Context(), e.table("class_definitions"), []any{"nope"}, []string{"quorum"}, []any{int64(2)})
			require.ErrorIs(e.t, err, driver.ErrNotFound)
		},
		"NullsGoInAndComeBackAsNil": func(e *denv) {
			ev := uuid.New()
			e.in(func(tx driver.Tx) {
				e.insert(tx, "deployments", deploymentRow(uuid.New(), "a", "NON_CRITICAL", 1, nil, Epoch.Truncate(time.Second)))
				e.insert(tx, "deployments", deploymentRow(uuid.New(), "b", "NON_CRITICAL", 2, ev, Epoch.Truncate(time.Second)))
			})
			rows := e.rows(&driver.Query{Table: e.table("deployments"), Order: []driver.Order{{Column: "application"}}})
			assert.Equal(e.t, []any{nil, ev}, e.column("deployments", rows, "evidence_id"))
			assert.Equal(e.t, []any{nil, nil}, e.column("deployments", rows, "request_id"))
		},
		"ByteSlicesAreCopiedBothWays": func(e *denv) {
			tb := e.table("evidence_packages")
			data := []byte(`{"artifacts":[]}`)
			e.in(func(tx driver.Tx) {
				require.NoError(e.t, tx.Insert(e.t.Context(), tb, []any{uuid.New(), "c", data, fmt.Sprintf("%064x", 1), Epoch.Truncate(time.Second), nil, nil}))
				data[0] = 'X' // after the insert: must not reach the stored row
			})
			got := e.rows(&driver.Query{Table: tb})[0][2].([]byte)
			assert.Equal(e.t, `{"artifacts":[]}`, string(got))
			got[0] = 'Y'
			assert.Equal(e.t, `{"artifacts":[]}`, string(e.rows(&driver.Query{Table: tb})[0][2].([]byte)), "nor a change to a row read")
		},
	}
	driverSubtests(t, h, cases)
}

func runDriverQueries(t *testing.T, h Harness) {
	// fill stores 10 deployments: ids ascending with i, finished Epoch + i
	// minutes, classes cycling, applications "app-<i%3>", evidence on
	// every third.
	fill := func(e *denv) ([]uuid.UUID, []time.Time) {
		classes := []string{"NON_CRITICAL", "PRODUCTIVITY_TOOLS", "BUSINESS_CRITICAL"}
		ids := make([]uuid.UUID, 10)
		ats := make([]time.Time, 10)
		e.in(func(tx driver.Tx) {
			for i := range ids {
				ids[i] = uuid.UUID{15: byte(i + 1)}
				ats[i] = Epoch.Truncate(time.Second).Add(time.Duration(i) * time.Minute)
				var ev any
				if i%3 == 0 {
					ev = uuid.UUID{0: 0xee, 15: byte(i)}
				}
				e.insert(tx, "deployments", deploymentRow(ids[i], fmt.Sprintf("app-%d", i%3), classes[i%3], i*11, ev, ats[i]))
			}
		})
		return ids, ats
	}
	ids := func(e *denv, q *driver.Query) []any {
		q.Table = e.table("deployments")
		return e.column("deployments", e.rows(q), "id")
	}
	want := func(all []uuid.UUID, is ...int) []any {
		out := make([]any, len(is))
		for j, i := range is {
			out[j] = all[i]
		}
		return out
	}
	cases := map[string]func(e *denv){
		"EachComparisonSelectsWhatItSays": func(e *denv) {
			all, ats := fill(e)
			order := []driver.Order{{Column: "id"}}
			for _, c := range []struct {
				cond driver.Cond
				want []int
			}{
				{driver.Where("finished_at", driver.Eq, ats[4]), []int{4}},
				{driver.Where("finished_at", driver.Lt, ats[2]), []int{0, 1}},
				{driver.Where("finished_at", driver.Le, ats[2]), []int{0, 1, 2}},
				{driver.Where("finished_at", driver.Gt, ats[7]), []int{8, 9}},
				{driver.Where("finished_at", driver.Ge, ats[7]), []int{7, 8, 9}},
				{driver.Where("application", driver.Eq, "app-1"), []int{1, 4, 7}},
				{driver.Where("risk_band", driver.Ge, int64(5)), []int{5, 6, 7, 8, 9}},
				{driver.Where("auto_approved", driver.Eq, true), []int{0, 2, 4, 6, 8}},
				{driver.Where("id", driver.Lt, all[3]), []int{0, 1, 2}},
				{driver.Where("class", driver.In, []any{"NON_CRITICAL", "BUSINESS_CRITICAL"}), []int{0, 2, 3, 5, 6, 8, 9}},
				{driver.Where("id", driver.In, []any{all[9], all[0]}), []int{0, 9}},
				{driver.Where("class", driver.In, []any{}), []int{}},
				{driver.Where("evidence_id", driver.IsNull, nil), []int{1, 2, 4, 5, 7, 8}},
				{driver.Where("evidence_id", driver.NotNull, nil), []int{0, 3, 6, 9}},
				{driver.Where("evidence_id", driver.Eq, uuid.UUID{0: 0xee, 15: 3}), []int{3}},
			} {
				assert.Equal(e.t, want(all, c.want...), ids(e, &driver.Query{Where: []driver.Cond{c.cond}, Order: order}),
					"%s %v %v", c.cond.Column, c.cond.Op, c.cond.Value)
			}
			assert.Equal(e.t, want(all, 4, 7), ids(e, &driver.Query{Where: []driver.Cond{
				driver.Where("application", driver.Eq, "app-1"), driver.Where("finished_at", driver.Gt, ats[1])}, Order: order}),
				"every condition holds")
		},
		"OrderLimitAndCursorPageThroughEveryRowOnce": func(e *denv) {
			all, ats := fill(e)
			// Ascending by (application, finished_at, id), three at a time.
			asc := []driver.Order{{Column: "application"}, {Column: "finished_at"}, {Column: "id"}}
			wantAsc := want(all, 0, 3, 6, 9, 1, 4, 7, 2, 5, 8)
			var got []any
			var after []any
			for range 10 {
				rows := e.rows(&driver.Query{Table: e.table("deployments"), Order: asc, After: after, Limit: 3})
				if len(rows) == 0 {
					break
				}
				require.LessOrEqual(e.t, len(rows), 3)
				got = append(got, e.column("deployments", rows, "id")...)
				last := rows[len(rows)-1]
				after = []any{last[1], last[9], last[0]}
			}
			assert.Equal(e.t, wantAsc, got)
			// Descending by (finished_at, id) after the 6th newest.
			desc := []driver.Order{{Column: "finished_at", Desc: true}, {Column: "id", Desc: true}}
			assert.Equal(e.t, want(all, 4, 3, 2), ids(e, &driver.Query{Order: desc, After: []any{ats[5], all[5]}, Limit: 3}))
			assert.Equal(e.t, want(all, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), ids(e, &driver.Query{Order: []driver.Order{{Column: "id", Desc: true}}}))
			assert.Equal(e.t, want(all, 9), ids(e, &driver.Query{Order: []driver.Order{{Column: "finished_at", Desc: true}}, Limit: 1}))
		},
		"ColumnsSelectTheNamedColumnsInTheirOrder": func(e *denv) {
			all, ats := fill(e)
			rows := e.rows(&driver.Query{Table: e.table("deployments"), Columns: []string{"finished_at", "id", "evidence_id"},
				Where: []driver.Cond{driver.Where("id", driver.Le, all[1])}, Order: []driver.Order{{Column: "id"}}})
			require.Len(e.t, rows, 2)
			for i, r := range rows {
				require.Len(e.t, r, 3, "only the named columns")
				assert.True(e.t, ats[i].Equal(r[0].(time.Time)))
				assert.Equal(e.t, all[i], r[1])
			}
			assert.Equal(e.t, uuid.UUID{0: 0xee}, rows[0][2])
			assert.Nil(e.t, rows[1][2])
		},
		"AnErrorFromFnStopsTheQueryAndComesBackAsItIs": func(e *denv) {
			fill(e)
			tx := e.begin(false)
			boom := errors.New("boom")
			n := 0
			err := tx.Query(e.t.Context(), &driver.Query{Table: e.table("deployments")}, func([]any) error { n++; return boom })
			require.ErrorIs(e.t, err, boom)
			assert.Equal(e.t, 1, n)
		},
		"AQueryOnAnEmptyTableCallsNothing": func(e *denv) {
			assert.Empty(e.t, ids(e, &driver.Query{}))
		},
	}
	driverSubtests(t, h, cases)
}

func runDriverTransactions(t *testing.T, h Harness) {
	cases := map[string]func(e *denv){
		"ATransactionSeesItsOwnWritesAndOthersOnlyCommittedOnes": func(e *denv) {
			q := &driver.Query{Table: e.table("class_definitions")}
			tx := e.begin(true)
			e.insert(tx, "class_definitions", classRow("A", 1))
			assert.Len(e.t, e.rowsIn(tx, q), 1, "its own write")
			assert.Empty(e.t, e.rows(q), "not yet for a reader")
			require.NoError(e.t, tx.Commit())
			assert.Len(e.t, e.rows(q), 1, "committed")
		},
		"ARolledBackTransactionLeavesNothing": func(e *denv) {
			tx := e.begin(true)
			e.insert(tx, "class_definitions", classRow("A", 1))
			require.NoError(e.t, tx.Rollback())
			assert.Empty(e.t, e.rows(&driver.Query{Table: e.table("class_definitions")}))
			e.in(func(tx driver.Tx) { e.insert(tx, "class_definitions", classRow("A", 1)) }) // and the writer is free again
		},
		"AfterCommitOrRollbackEveryMethodIsErrTxDone": func(e *denv) {
			tb := e.table("class_definitions")
			for _, end := range []string{"commit", "rollback"} {
				for _, write := range []bool{true, false} {
					tx := e.begin(write)
					if end == "commit" {
						require.NoError(e.t, tx.Commit())
					} else {
						require.NoError(e.t, tx.Rollback())
					}
					ctx := e.t.Context()
					assert.ErrorIs(e.t, tx.Insert(ctx, tb, classRow("A", 1)), driver.ErrTxDone, end)
					assert.ErrorIs(e.t, tx.Update(ctx, tb, []any{"A"}, []string{"quorum"}, []any{int64(2)}), driver.ErrTxDone, end)
					assert.ErrorIs(e.t, tx.Query(ctx, &driver.Query{Table: tb}, func([]any) error { return nil }), driver.ErrTxDone, end)
					assert.ErrorIs(e.t, tx.Commit(), driver.ErrTxDone, end)
					assert.ErrorIs(e.t, tx.Rollback(), driver.ErrTxDone, end)
				}
			}
		},
		"AWriteInAReadOnlyTransactionFailsAndWritesNothing": func(e *denv) {
			tx := e.begin(false)
			require.Error(e.t, tx.Insert(e.t.Context(), e.table("class_definitions"), classRow("A", 1)))
			require.NoError(e.t, tx.Commit())
			assert.Empty(e.t, e.rows(&driver.Query{Table: e.table("class_definitions")}))
		},
		"ACancelledContextStopsTheTransaction": func(e *denv) {
			ctx, cancel := context.WithCancel(e.t.Context())
			cancel()
			_, err := e.d.Begin(ctx, driver.TxOptions{Write: true})
			require.ErrorIs(e.t, err, context.Canceled)
			ctx, cancel = context.WithCancel(e.t.Context())
			tx, err := e.d.Begin(ctx, driver.TxOptions{Write: true})
			require.NoError(e.t, err)
			defer func() { _ = tx.Rollback() }()
			cancel()
			require.ErrorIs(e.t, tx.Insert(ctx, e.table("class_definitions"), classRow("A", 1)), context.Canceled)
		},
		"BeginOfAWriteWaitsForTheOpenOneOrItsContext": func(e *denv) {
			tx := e.begin(true)
			ctx, cancel := context.WithTimeout(e.t.Context(), 50*time.Millisecond)
			defer cancel()
			other, err := e.d.Begin(ctx, driver.TxOptions{Write: true})
			if err == nil {
				// A driver may begin and then wait at the first statement
				// (SQLite's busy wait); that statement must not succeed.
				err = other.Insert(ctx, e.table("class_definitions"), classRow("B", 1))
				_ = other.Rollback()
			}
			require.Error(e.t, err, "a second writer while one is open")
			require.NoError(e.t, tx.Rollback())
		},
		"WriteTransactionsAreSerialisedSoNoUpdateIsLost": func(e *denv) {
			tb := e.table("class_definitions")
			e.in(func(tx driver.Tx) { e.insert(tx, tb.Name, classRow("counter", 1)) })
			const writers, each = 8, 5
			errs := make(chan error, writers)
			for range writers {
				go func() {
					errs <- func() error {
						for range each {
							ctx := e.t.Context()
							tx, err := e.d.Begin(ctx, driver.TxOptions{Write: true})
							if err != nil {
								return err
							}
							var n int64
							err = tx.Query(ctx, &driver.Query{Table: tb}, func(row []any) error { n = row[2].(int64); return nil })
							if err == nil {
								err = tx.Update(ctx, tb, []any{"counter"}, []string{"quorum"}, []any{n + 1})
							}
							if err != nil {
								_ = tx.Rollback()
								return err
							}
							if err := tx.Commit(); err != nil {
								return err
							}
						}
						return nil
					}()
				}()
			}
			for range writers {
				require.NoError(e.t, <-errs)
			}
			rows := e.rows(&driver.Query{Table: tb})
			assert.Equal(e.t, int64(1+writers*each), rows[0][2], "read-modify-writes one at a time")
		},
	}
	driverSubtests(t, h, cases)
}

// driverSubtests runs each named case with a fresh driver.
func driverSubtests(t *testing.T, h Harness, cases map[string]func(e *denv)) {
	t.Helper()
	for name, fn := range cases {
		t.Run(name, func(t *testing.T) { fn(h.denv(t)) })
	}
}
