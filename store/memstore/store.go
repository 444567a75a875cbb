package memstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
)

// Options configures a [Store]. The zero value means the documented
// defaults.
type Options struct {
	// Now is the store's clock: approval times, creation times left unset
	// by the caller, and audit event times. Default: time.Now.
	Now func() time.Time
	// NewID returns the id of each new audit event, and of each incident
	// reported without one. Default: uuid.NewV7, falling back to uuid.New if
	// it fails.
	NewID func() uuid.UUID
	// Logger receives the store's few debug records (rolled-back
	// transactions). Default: a logger that discards everything; the store
	// never logs through slog.Default.
	Logger *slog.Logger
}

// Store is an in-memory [store.Store]. Create it with [New]. It is safe for
// concurrent use by many goroutines; see the package documentation for how
// transactions are serialised.
type Store struct {
	now   func() time.Time
	newID func() uuid.UUID
	log   *slog.Logger

	// mu guards st: write transactions hold it exclusively from start to
	// end, reads outside a transaction share it.
	mu sync.RWMutex
	st state
}

var _ store.Store = (*Store)(nil)

// New returns an empty store: no risk models, class definitions, maturity
// state, audit events, checkpoints, evidence, deployments, incidents,
// evaluations or CAB requests. Seed it with [store.Seed].
func New(opts Options) *Store {
	s := &Store{now: opts.Now, newID: opts.NewID, log: opts.Logger, st: newState()}
	if s.now == nil {
		s.now = time.Now
	}
	if s.newID == nil {
		s.newID = defaultID
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// defaultID returns a time-ordered UUIDv7, or a random UUIDv4 if the system
// cannot produce one.
func defaultID() uuid.UUID {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.New()
	}
	return id
}

// errReadOnly reports a write attempted through a read-only transaction. The
// Store's own read methods are the only users of read-only transactions and
// never write, so this is an internal safeguard, not a caller's error.
var errReadOnly = errors.New("memstore: write in a read-only transaction")

// WithTx runs fn in one write transaction; see [store.Store]. The
// transaction commits if fn returns nil and rolls back if fn returns an
// error (returned as it is) or panics (the panic goes on after the
// rollback). If ctx is done before the transaction starts, or by the time
// fn returns, nothing is written and the context's error is returned,
// wrapped. After WithTx returns, tx's methods return [store.ErrTxDone].
//
// fn must use only tx: calling s itself inside fn deadlocks.
func (s *Store) WithTx(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	return s.run(ctx, true, func(t *tx) error { return fn(ctx, t) })
}

// run runs fn in a transaction: a write transaction holding s.mu
// exclusively when write is set, otherwise a read-only one sharing it.
func (s *Store) run(ctx context.Context, write bool, fn func(t *tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: transaction not started: %w", err)
	}
	unlock := s.mu.RUnlock
	if write {
		s.mu.Lock()
		unlock = s.mu.Unlock
	} else {
		s.mu.RLock()
	}
	t := &tx{s: s, st: &s.st, write: write}
	committed := false
	// Deferred, so that a panic in fn, or runtime.Goexit, rolls back and
	// releases the lock too; the panic then goes on unchanged.
	defer func() {
		if !committed && write {
			t.rollback()
			s.log.DebugContext(ctx, "memstore: transaction rolled back", "err", err)
		}
		t.finish()
		unlock()
	}()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: transaction not started: %w", err)
	}
	if err := fn(t); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore: transaction aborted: %w", err)
	}
	committed = true
	return nil
}

// do runs fn in a transaction of its own and returns its result: how the
// Store's methods reuse the transaction's.
func do[T any](ctx context.Context, s *Store, write bool, fn func(t *tx) (T, error)) (T, error) {
	var out T
	err := s.run(ctx, write, func(t *tx) error {
		var err error
		out, err = fn(t)
		return err
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return out, nil
}

// tx is a transaction handle: the [store.Tx] passed to WithTx, and the
// single-operation transactions behind the Store's own methods. While it is
// live, its Store's lock is held for it; each operation records in undo how
// to revert its changes.
type tx struct {
	s     *Store
	write bool

	// mu serialises the handle's operations with each other and with the
	// end of the transaction, so that a handle used after (or while) its
	// transaction ends never touches the state unlocked.
	mu   sync.Mutex
	st   *state
	done bool
	undo []func()
}

var _ store.Tx = (*tx)(nil)

// begin starts one operation: it locks the handle and checks that the
// transaction is live, that ctx is not done, and that a write is allowed.
// On success the caller must call t.mu.Unlock when done; on error the
// handle is already unlocked.
func (t *tx) begin(ctx context.Context, write bool) (*state, error) {
	t.mu.Lock()
	var err error
	switch {
	case t.done:
		err = store.ErrTxDone
	case ctx.Err() != nil:
		err = fmt.Errorf("memstore: %w", ctx.Err())
	case write && !t.write:
		err = errReadOnly
	}
	if err != nil {
		t.mu.Unlock()
		return nil, err
	}
	return t.st, nil
}

// onRollback records how to revert a change just made.
func (t *tx) onRollback(f func()) { t.undo = append(t.undo, f) }

// savepoint returns a mark for rollbackTo: the current length of the undo
// log. The caller holds t.mu.
func (t *tx) savepoint() int { return len(t.undo) }

// rollbackTo reverts, newest first, every change made through t since mark,
// so that an operation made of several steps is all or nothing even inside
// a transaction that goes on to commit. The caller holds t.mu.
func (t *tx) rollbackTo(mark int) {
	for i := len(t.undo) - 1; i >= mark; i-- {
		t.undo[i]()
	}
	clear(t.undo[mark:])
	t.undo = t.undo[:mark]
}

// rollback reverts every change made through t, newest first.
func (t *tx) rollback() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := len(t.undo) - 1; i >= 0; i-- {
		t.undo[i]()
	}
	t.undo = nil
}

// finish ends the handle: from now on every operation returns
// store.ErrTxDone.
func (t *tx) finish() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done = true
	t.undo = nil
	t.st = nil
}

// clock returns the store's current time as stored: UTC, microseconds.
func (t *tx) clock() time.Time { return normTime(t.s.now()) }
