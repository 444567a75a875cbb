package sqlstore

import (
	"database/sql"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/driver"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The SQL is one for both dialects: PostgreSQL's is SQLite's with its
// placeholders numbered, for every table's insert and update and for
// queries of every shape.
func TestBothDialectsRunTheSameSQL(t *testing.T) {
	lite, err := New(&sql.DB{}, SQLite, Options{})
	require.NoError(t, err)
	pg, err := New(&sql.DB{}, PostgreSQL, Options{})
	require.NoError(t, err)
	at := time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)
	for _, tb := range store.Tables() {
		assert.Equal(t, rebind(lite.insertSQL(tb)), pg.insertSQL(tb), tb.Name)
		cols := []string{tb.Columns[len(tb.Columns)-1].Name, tb.Columns[0].Name}
		ls, err := lite.updateSQL(tb, cols)
		require.NoError(t, err)
		ps, err := pg.updateSQL(tb, cols)
		require.NoError(t, err)
		assert.Equal(t, rebind(ls), ps, tb.Name)
	}
	incidents := tableNamed(t, "incidents")
	for _, q := range []*driver.Query{
		{Table: incidents},
		{Table: incidents, Where: []driver.Cond{driver.Where("severity", driver.In, []any{"P1", "P2"}),
			driver.Where("occurred_at", driver.Ge, at), driver.Where("occurred_at", driver.Lt, at),
			driver.Where("deployment_id", driver.IsNull, nil), driver.Where("id", driver.Eq, uuid.Nil)},
			Order: []driver.Order{{Column: "occurred_at", Desc: true}, {Column: "id", Desc: true}},
			After: []any{at, uuid.Nil}, Limit: 51},
		{Table: incidents, Where: []driver.Cond{driver.Where("severity", driver.In, []any{})}, Limit: 1},
	} {
		ls, largs, err := lite.selectSQL(q)
		require.NoError(t, err)
		ps, pargs, err := pg.selectSQL(q)
		require.NoError(t, err)
		assert.Equal(t, rebind(ls), ps)
		assert.Len(t, pargs, len(largs))
	}
	assert.Contains(t, rebind(countsQuery()), "$6")
	assert.NotContains(t, rebind(countsQuery()), "?")
}

// A keyset page reads as the plans expect it (the sqlite package's plan
// test checks the plans of what the store actually issues).
func TestSelectSQL(t *testing.T) {
	d, err := New(&sql.DB{}, PostgreSQL, Options{})
	require.NoError(t, err)
	at := time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)
	q, args, err := d.selectSQL(&driver.Query{Table: tableNamed(t, "cab_requests"),
		Where: []driver.Cond{driver.Where("created_at", driver.Ge, at), driver.Where("created_at", driver.Lt, at.Add(time.Hour))},
		Order: []driver.Order{{Column: "created_at"}, {Column: "id"}}, After: []any{at, uuid.Nil}, Limit: 100})
	require.NoError(t, err)
	assert.Equal(t, "SELECT id, correlation_id, evidence_id, deployment_intent_id, application, artifact_digest, submitter, "+
		"submission_hash, outcome, reason_code, score, class, threshold, exception_threshold, model_version, quorum, status, "+
		"factors, score_supplied, declared_class, class_rule, model_hash, attestation, "+
		"approvals, rejection, exception, created_at, updated_at FROM cab_requests "+
		"WHERE created_at >= $1 AND created_at < $2 AND (created_at, id) > ($3, $4) ORDER BY created_at, id LIMIT 100", q)
	assert.Equal(t, []any{at, at.Add(time.Hour), at, uuid.Nil.String()}, args, "the limit is a literal")

	// Booleans are literals too: SQLite would re-prepare a statement whose
	// bound value decides whether a partial index applies.
	q, args, err = d.selectSQL(&driver.Query{Table: tableNamed(t, "risk_model_versions"),
		Where: []driver.Cond{driver.Where("active", driver.Eq, true), driver.Where("approved", driver.Eq, false)}, Limit: 1})
	require.NoError(t, err)
	assert.Contains(t, q, "WHERE active = TRUE AND approved = FALSE LIMIT 1")
	assert.Empty(t, args)

	for _, bad := range []*driver.Query{
		{Table: tableNamed(t, "cab_requests"), Where: []driver.Cond{driver.Where("nope", driver.Eq, 1)}},
		{Table: tableNamed(t, "cab_requests"), Order: []driver.Order{{Column: "created_at"}, {Column: "id", Desc: true}}},
		{Table: tableNamed(t, "cab_requests"), Order: []driver.Order{{Column: "created_at"}}, After: []any{at, uuid.Nil}},
		{Table: tableNamed(t, "cab_requests"), Where: []driver.Cond{driver.Where("id", driver.In, uuid.Nil)}},
	} {
		_, _, err := d.selectSQL(bad)
		assert.Error(t, err)
	}
}

func tableNamed(t *testing.T, name string) *driver.Table {
	t.Helper()
	for _, tb := range store.Tables() {
		if tb.Name == name {
			return tb
		}
	}
	t.Fatalf("no table %s", name)
	return nil
}
