package store

import "github.com/buildworksai/trustgate/internal/errs"

// Portable errors. Every adapter returns these (possibly wrapped, with
// detail) for the same situations, so callers match them with errors.Is and
// never with an adapter's native errors. Domain packages match the same
// values without importing this package.
var (
	// ErrNotFound: the record asked for does not exist.
	ErrNotFound = errs.ErrNotFound
	// ErrConflict: the write contradicts what is stored: a duplicate key,
	// different content under an idempotency key, a state change that is no
	// longer possible.
	ErrConflict = errs.ErrConflict
	// ErrTxDone: a transaction handle was used after its function returned.
	ErrTxDone = errs.ErrTxDone
	// ErrInvalid: the input breaks a rule of the store itself (as opposed to
	// a domain rule, which comes as the domain package's typed error).
	ErrInvalid = errs.ErrInvalid
)
