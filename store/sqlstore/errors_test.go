package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"

	"github.com/buildworksai/trustgate/store/driver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dbError stands for an error type of a database/sql driver.
type dbError struct{ code string }

func (e *dbError) Error() string { return "db: " + e.code }

// fail translates every error the database gives in one place: a
// context's error stays one, a finished transaction is driver.ErrTxDone,
// and anything else keeps the database's message but wraps nothing.
func TestFailNeverWrapsDriverErrors(t *testing.T) {
	d, err := New(&sql.DB{}, SQLite, Options{})
	require.NoError(t, err)
	live := context.Background()
	cancelled, cancel := context.WithCancel(live)
	cancel()
	raw := &dbError{code: "23505"}
	for _, c := range []struct {
		name string
		ctx  context.Context
		err  error
		is   error // what the result must match; nil for nothing
	}{
		{"a database error", live, raw, nil},
		{"a wrapped database error", live, fmt.Errorf("exec: %w", raw), nil},
		{"a database error under a done context", cancelled, raw, context.Canceled},
		{"the driver's own context error", live, fmt.Errorf("interrupted: %w (%w)", raw, context.DeadlineExceeded), context.DeadlineExceeded},
		{"a finished transaction", live, fmt.Errorf("commit: %w", sql.ErrTxDone), driver.ErrTxDone},
	} {
		got := d.fail(c.ctx, "query thing", c.err)
		require.Error(t, got, c.name)
		assert.Contains(t, got.Error(), "sqlstore: query thing: ", c.name)
		var de *dbError
		assert.False(t, errors.As(got, &de), "%s: the driver's error type crosses: %#v", c.name, got)
		assert.NotErrorIs(t, got, sql.ErrTxDone, c.name)
		if c.is != nil {
			assert.ErrorIs(t, got, c.is, c.name)
			continue
		}
		assert.Contains(t, got.Error(), "db: 23505", "%s: the database's message is kept", c.name)
		for _, s := range []error{driver.ErrConflict, driver.ErrNotFound, driver.ErrTxDone, context.Canceled} {
			assert.NotErrorIs(t, got, s, c.name)
		}
	}
}
