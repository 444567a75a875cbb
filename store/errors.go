package store

import (
	"fmt"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/internal/errs"
)

// The store's sentinel errors, for errors.Is. Each is a *trustgate.Error,
// so an error wrapping one carries its code as well.
var (
	// ErrNotFound: the record asked for does not exist (code
	// [trustgate.NotFound]).
	ErrNotFound = errs.ErrNotFound
	// ErrConflict: the write contradicts what is stored: a duplicate key,
	// different content under an idempotency key, a state change that is no
	// longer possible (code [trustgate.Conflict]).
	ErrConflict = errs.ErrConflict
	// ErrTxDone: a transaction handle was used after its function returned
	// (code [trustgate.Internal], reason TX_DONE).
	ErrTxDone = errs.ErrTxDone
)

// invalid returns a [trustgate.Invalid] error naming field.
func invalid(field, format string, args ...any) error {
	return &trustgate.Error{Code: trustgate.Invalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// notFound returns an error wrapping [ErrNotFound].
func notFound(format string, args ...any) error {
	return fmt.Errorf("store: %s: %w", fmt.Sprintf(format, args...), ErrNotFound)
}

// conflict returns an error wrapping [ErrConflict].
func conflict(format string, args ...any) error {
	return fmt.Errorf("store: %s: %w", fmt.Sprintf(format, args...), ErrConflict)
}

// canceled returns a [trustgate.Canceled] error wrapping the context's
// error, so that errors.Is(err, context.Canceled) holds too.
func canceled(what string, err error) error {
	return &trustgate.Error{Code: trustgate.Canceled, Message: "store: " + what + ": " + err.Error(), Err: err}
}
