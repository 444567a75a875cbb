package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/store/driver"
	"github.com/google/uuid"
)

// Options configures a [Store]. The zero value means the documented
// defaults.
type Options struct {
	// Now is the store's clock: approval times, creation times left unset
	// by the caller, audit event times. Default: time.Now.
	Now func() time.Time
	// NewID returns the id of each new audit event, and of each incident
	// reported without one. Default: uuid.NewV7, falling back to uuid.New.
	NewID func() uuid.UUID
	// Logger receives the store's few debug records. Default: a logger that
	// discards everything; the store never logs through slog.Default.
	Logger *slog.Logger
	// Service, when set, signs the records the store itself completes:
	// incident reports, once their linkage is inferred. Without it they
	// are stored unsigned and Verify reports them.
	Service *attest.Service
	// Log signs and publishes the audit log's checkpoints
	// ([Store.SignCheckpoint]).
	Log LogOptions
}

// Store is trustgate's storage, over a [driver.Driver] that keeps its rows.
// Create it with [New]. It is safe for concurrent use by many goroutines,
// and by many processes when the driver's database is shared.
//
// Every method runs in a transaction of its own; [Store.WithTx] runs
// several in one. The methods are those of [Tx] too.
type Store struct {
	ops
}

// Tx is the handle [Store.WithTx] gives its function: the Store's methods,
// inside one transaction. After the function returns, every method returns
// an error matching [ErrTxDone].
type Tx struct {
	ops
}

// core is what every operation of a store shares.
type core struct {
	drv       driver.Driver
	t         *tables
	now       func() time.Time
	newID     func() uuid.UUID
	log       *slog.Logger
	precision time.Duration
	service   *attest.Service
	logOpts   LogOptions
	tree      treeCache // the Merkle tree at the last head seen
}

// ops holds every record operation, promoted to both Store and Tx. tx is
// nil for the Store, whose operations each begin and end a transaction of
// their own.
type ops struct {
	c  *core
	tx *txn
}

// txn is the state of a transaction opened by WithTx.
type txn struct {
	mu     sync.Mutex // serialises operations, and their end with the transaction's
	dtx    driver.Tx
	done   bool
	failed error // an error of the database, after which the transaction can only roll back
}

// New returns a store over d. It runs nothing on d; a driver's own
// constructor (sqlite.Open, postgres.Open) prepares its database. A
// precision d declares ([driver.TimePrecisioner]) that is not a whole
// number of microseconds dividing one millisecond is an [trustgate.Invalid]
// error: signed records (decisions, model contents, states) write times at
// milliseconds, so a store must keep at least that.
func New(d driver.Driver, opts Options) (*Store, error) {
	if d == nil {
		return nil, invalid("driver", "store: a driver is required")
	}
	c := &core{drv: d, t: newTables(), now: opts.Now, newID: opts.NewID, log: opts.Logger, precision: time.Microsecond,
		service: opts.Service, logOpts: opts.Log}
	if p, ok := d.(driver.TimePrecisioner); ok {
		switch prec := p.TimePrecision(); {
		case prec <= time.Microsecond:
		case prec > time.Millisecond || time.Millisecond%prec != 0 || prec%time.Microsecond != 0:
			// Signed statements and content hashes keep milliseconds: a
			// coarser store would change what was signed.
			return nil, invalid("driver.time_precision", "store: a driver's time precision must be whole microseconds dividing a millisecond "+
				"(signed records keep milliseconds), not %s", prec)
		default:
			c.precision = prec
		}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.newID == nil {
		c.newID = func() uuid.UUID {
			if id, err := uuid.NewV7(); err == nil {
				return id
			}
			return uuid.New()
		}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	return &Store{ops{c: c}}, nil
}

// Driver returns the driver the store runs on.
func (s *Store) Driver() driver.Driver { return s.c.drv }

// TimePrecision returns the precision times are stored at.
func (s *Store) TimePrecision() time.Duration { return s.c.precision }

// Close closes the driver when it is an io.Closer (the sqlite package's
// is); otherwise it does nothing. The store must not be used afterwards.
func (s *Store) Close() error {
	if c, ok := s.c.drv.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// WithTx runs fn in one write transaction. It commits if fn returns nil;
// it rolls back if fn returns an error (returned as it is), panics or calls
// runtime.Goexit (both go on after the rollback), or ctx is done by the
// time fn returns. Write transactions are serialised with every other, in
// this process and in others sharing the database, which is what lets an
// operation check and then write without a race.
//
// An operation that fails inside fn because of its input (a typed
// validation error, a conflict, a record not found) writes nothing, and
// the transaction goes on. One that fails because of the database dooms
// the transaction: every later operation fails, and WithTx rolls back and
// returns that error even if fn returns nil.
//
// fn must use only tx, never the Store, which may wait for the
// transaction to end.
func (s *Store) WithTx(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return canceled("begin transaction", err)
	}
	dtx, err := s.c.drv.Begin(ctx, driver.TxOptions{Write: true})
	if err != nil {
		return s.c.dbErr(ctx, "begin transaction", err)
	}
	t := &txn{dtx: dtx}
	committed := false
	defer func() {
		if !committed {
			t.finish()
			if err := dtx.Rollback(); err != nil {
				s.c.log.DebugContext(ctx, "store: rollback", "err", err)
			}
		}
	}()
	if err := fn(ctx, &Tx{ops{c: s.c, tx: t}}); err != nil {
		return err
	}
	t.finish()
	if t.failed != nil {
		return t.failed
	}
	if err := ctx.Err(); err != nil {
		return canceled("commit", err)
	}
	if err := dtx.Commit(); err != nil {
		return s.c.dbErr(ctx, "commit", err)
	}
	committed = true
	return nil
}

// finish ends the handle, waiting for an operation in progress.
func (t *txn) finish() {
	t.mu.Lock()
	t.done = true
	t.mu.Unlock()
}

// op is one operation's view of its transaction: the store's shared
// state, the operation's context, and the driver transaction it runs on.
type op struct {
	*core
	ctx context.Context
	dtx driver.Tx
	txn *txn // the WithTx transaction, or nil for a transaction of the op's own
}

// run runs fn as one operation: inside the WithTx transaction when h has
// one, else in a transaction of its own, a write one when write is set,
// committed when fn succeeds.
func run[T any](ctx context.Context, h *ops, write bool, fn func(o *op) (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, canceled("operation", err)
	}
	if t := h.tx; t != nil {
		t.mu.Lock()
		defer t.mu.Unlock()
		switch {
		case t.done:
			return zero, ErrTxDone
		case t.failed != nil:
			return zero, fmt.Errorf("store: the transaction failed earlier and can only roll back: %w", t.failed)
		}
		return fn(&op{core: h.c, ctx: ctx, dtx: t.dtx, txn: t})
	}
	dtx, err := h.c.drv.Begin(ctx, driver.TxOptions{Write: write})
	if err != nil {
		return zero, h.c.dbErr(ctx, "begin transaction", err)
	}
	defer func() { _ = dtx.Rollback() }() // a no-op after Commit
	v, err := fn(&op{core: h.c, ctx: ctx, dtx: dtx})
	if err != nil {
		return zero, err
	}
	if err := ctx.Err(); err != nil {
		return zero, canceled("commit", err)
	}
	if err := dtx.Commit(); err != nil {
		return zero, h.c.dbErr(ctx, "commit", err)
	}
	return v, nil
}

// read runs fn as a read-only operation.
func read[T any](ctx context.Context, h *ops, fn func(o *op) (T, error)) (T, error) {
	return run(ctx, h, false, fn)
}

// write runs fn as a write operation.
func write[T any](ctx context.Context, h *ops, fn func(o *op) (T, error)) (T, error) {
	return run(ctx, h, true, fn)
}

// write0 runs fn, which returns nothing but an error, as a write operation.
func write0(ctx context.Context, h *ops, fn func(o *op) error) error {
	_, err := run(ctx, h, true, func(o *op) (struct{}, error) { return struct{}{}, fn(o) })
	return err
}

// dbErr translates an error of the driver, and dooms the WithTx
// transaction the operation runs in: after a database error the state of
// the transaction is unknown (PostgreSQL refuses every later statement).
func (o *op) dbErr(what string, err error) error {
	e := o.core.dbErr(o.ctx, what, err)
	if o.txn != nil && o.txn.failed == nil {
		o.txn.failed = e
	}
	return e
}

// dbErr translates an error of the driver into the store's: a context's
// error stays one (code [trustgate.Canceled]), a finished transaction is
// [ErrTxDone], a duplicate key [ErrConflict], and anything else a failure of
// the database (code [trustgate.Internal]) whose text carries the driver's
// but which wraps no driver error or type.
func (c *core) dbErr(ctx context.Context, what string, err error) error {
	switch {
	case ctx.Err() != nil:
		return canceled(what, ctx.Err())
	case errors.Is(err, context.Canceled):
		return canceled(what, context.Canceled) // the context's error alone, never the driver's
	case errors.Is(err, context.DeadlineExceeded):
		return canceled(what, context.DeadlineExceeded)
	case errors.Is(err, driver.ErrTxDone):
		return fmt.Errorf("store: %s: %w", what, ErrTxDone)
	case errors.Is(err, driver.ErrConflict):
		return &trustgate.Error{Code: trustgate.Conflict, Message: "store: " + what + ": " + err.Error(), Err: ErrConflict}
	}
	return &trustgate.Error{Code: trustgate.Internal, Message: "store: " + what + ": " + err.Error()}
}

// The store satisfies the interfaces the domain packages declare, inside a
// transaction too.
var (
	_ cab.Store            = (*Store)(nil)
	_ cab.Store            = (*Tx)(nil)
	_ maturity.Store       = (*Store)(nil)
	_ maturity.Store       = (*Tx)(nil)
	_ security.Store       = (*Store)(nil)
	_ security.Store       = (*Tx)(nil)
	_ security.EventReader = (*Store)(nil)
)
