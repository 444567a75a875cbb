// Package errs holds the storage sentinel errors. The store package exports
// them (store.ErrNotFound is errs.ErrNotFound), and the domain packages, which
// must not import store, match the same values through this package.
//
// Each is a *trustgate.Error, so an error wrapping one (with fmt.Errorf and
// %w, as the adapters do) carries its code to trustgate.AsError, and
// errors.Is still matches the value itself.
package errs

import "github.com/buildworksai/trustgate"

// The portable storage errors; see the store package for their meaning.
var (
	ErrNotFound = &trustgate.Error{Code: trustgate.NotFound, Message: "store: not found"}
	ErrConflict = &trustgate.Error{Code: trustgate.Conflict, Message: "store: conflict"}
	ErrTxDone   = &trustgate.Error{Code: trustgate.Internal, Reason: "TX_DONE", Message: "store: transaction has already finished"}
	ErrInvalid  = &trustgate.Error{Code: trustgate.Invalid, Message: "store: invalid input"}
)
