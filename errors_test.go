package trustgate_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAsError(t *testing.T) {
	t.Run("nil", func(t *testing.T) {
		assert.Nil(t, trustgate.AsError(nil))
		assert.Equal(t, trustgate.Code(""), trustgate.ErrorCode(nil))
	})

	t.Run("a context's error is canceled", func(t *testing.T) {
		for _, cause := range []error{context.Canceled, context.DeadlineExceeded} {
			err := fmt.Errorf("store: reading: %w", cause)
			e := trustgate.AsError(err)
			require.NotNil(t, e)
			assert.Equal(t, trustgate.Canceled, e.Code)
			assert.Same(t, err, e.Err, "it wraps the error it was given")
			assert.ErrorIs(t, e, cause)
			assert.Equal(t, err.Error(), e.Error())
		}
	})

	t.Run("a foreign error is internal", func(t *testing.T) {
		err := errors.New("pq: connection refused")
		e := trustgate.AsError(err)
		assert.Equal(t, trustgate.Internal, e.Code)
		assert.Empty(t, e.Reason)
		assert.Empty(t, e.Field)
		assert.Same(t, err, e.Err)
		assert.Equal(t, "pq: connection refused", e.Error())
	})

	t.Run("a wrapped sentinel gives its code and reason, as a copy", func(t *testing.T) {
		err := fmt.Errorf("cab: request 1: %w", cab.ErrNotMember)
		e := trustgate.AsError(err)
		assert.Equal(t, trustgate.Forbidden, e.Code)
		assert.Equal(t, "NOT_CAB_MEMBER", e.Reason)
		assert.NotSame(t, cab.ErrNotMember, e)
		e.Code, e.Reason = trustgate.Internal, "CHANGED"
		assert.Equal(t, trustgate.Forbidden, cab.ErrNotMember.Code, "changing the copy leaves the sentinel alone")
		assert.Equal(t, "NOT_CAB_MEMBER", cab.ErrNotMember.Reason)
		assert.Equal(t, trustgate.Forbidden, trustgate.ErrorCode(err))

		e = trustgate.AsError(fmt.Errorf("memstore: %w", store.ErrTxDone))
		assert.Equal(t, trustgate.Internal, e.Code)
		assert.Equal(t, "TX_DONE", e.Reason)
	})

	t.Run("the outermost error decides", func(t *testing.T) {
		inner := fmt.Errorf("x: %w", store.ErrNotFound)
		err := fmt.Errorf("y: %w", &trustgate.Error{Code: trustgate.Invalid, Field: "deployment_id", Err: inner})
		e := trustgate.AsError(err)
		assert.Equal(t, trustgate.Invalid, e.Code)
		assert.Equal(t, "deployment_id", e.Field)
		assert.ErrorIs(t, err, store.ErrNotFound, "what it wraps still matches")

		err = &trustgate.Error{Code: trustgate.Conflict, Err: context.Canceled}
		assert.Equal(t, trustgate.Conflict, trustgate.ErrorCode(err), "a coded error wrapping a context's keeps its code")

		joined := errors.Join(&trustgate.Error{Code: trustgate.Invalid, Field: "a"}, &trustgate.Error{Code: trustgate.Conflict, Field: "b"})
		assert.Equal(t, "a", trustgate.AsError(joined).Field, "a join gives the first")
	})
}

func TestErrorText(t *testing.T) {
	cause := errors.New("cause")
	for want, e := range map[string]*trustgate.Error{
		"message":        {Code: trustgate.Invalid, Field: "f", Message: "message", Err: cause},
		"cause":          {Code: trustgate.Invalid, Field: "f", Err: cause},
		"invalid: f":     {Code: trustgate.Invalid, Field: "f"},
		"not_found":      {Code: trustgate.NotFound},
		"conflict: rows": {Code: trustgate.Conflict, Reason: "R", Field: "rows"},
	} {
		assert.Equal(t, want, e.Error())
	}
	e := &trustgate.Error{Code: trustgate.Internal, Err: cause}
	assert.Same(t, cause, errors.Unwrap(e))
	assert.Nil(t, errors.Unwrap(&trustgate.Error{Code: trustgate.Internal}))
}
