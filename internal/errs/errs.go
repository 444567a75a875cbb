// Package errs holds the storage sentinel errors. The store package exports
// them (store.ErrNotFound is errs.ErrNotFound), and the domain packages, which
// must not import store, match the same values through this package.
package errs

import "errors"

// The portable storage errors; see the store package for their meaning.
var (
	ErrNotFound = errors.New("store: not found")
	ErrConflict = errors.New("store: conflict")
	ErrTxDone   = errors.New("store: transaction has already finished")
	ErrInvalid  = errors.New("store: invalid input")
)
