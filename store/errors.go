package store

import "github.com/buildworksai/trustgate/internal/errs"

// Portable errors. Every adapter returns these (possibly wrapped, with
// detail) for the same situations, so callers match them with errors.Is and
// never with an adapter's native errors. Domain packages match the same
// values without importing this package. Each is a *trustgate.Error, so
// trustgate.AsError finds its code through any wrapping.
var (
	// ErrNotFound: the record asked for does not exist. Code
	// trustgate.NotFound.
	ErrNotFound = errs.ErrNotFound
	// ErrConflict: the write contradicts what is stored: a duplicate key,
	// different content under an idempotency key, a state change that is no
	// longer possible. Code trustgate.Conflict.
	ErrConflict = errs.ErrConflict
	// ErrTxDone: a transaction handle was used after its function returned.
	// Code trustgate.Internal, reason TX_DONE: a bug in the caller.
	ErrTxDone = errs.ErrTxDone
	// ErrInvalid: the input breaks a rule of the store itself (as opposed to
	// a domain rule, which comes as the domain package's error naming the
	// field). Code trustgate.Invalid.
	ErrInvalid = errs.ErrInvalid
)
