package storetest

import (
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/driver"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Epoch is the suite's starting time: the stores it makes read this from
// their clock until a test advances it. It has digits finer than a
// millisecond, so that every store rounds it: a test compares what it
// wrote with what reads back at the precision the store reports (the env's
// at helper), never at an assumed one.
var Epoch = time.Date(2026, 2, 10, 9, 0, 0, 123456000, time.UTC)

// Clock is a settable clock for the stores under test. It is safe for
// concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock reading t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// env is what one subtest works with: a store over a fresh driver, with a
// clock the test moves.
type env struct {
	t     *testing.T
	d     driver.Driver
	s     *store.Store
	clock *Clock
	h     Harness
}

func (h Harness) env(t *testing.T) *env {
	t.Helper()
	clock := NewClock(Epoch)
	d := h.New(t)
	if d == nil {
		t.Fatal("storetest: Harness.New returned nil")
	}
	s, err := store.New(d, store.Options{Now: clock.Now})
	require.NoError(t, err)
	return &env{t: t, d: d, s: s, clock: clock, h: h}
}

// at returns t as the store keeps it: in UTC, truncated to the precision
// the store reports (store.Store.TimePrecision). Every expectation about a
// time that was written and read back goes through it.
func (e *env) at(t time.Time) time.Time { return t.UTC().Truncate(e.s.TimePrecision()) }

// precision returns the precision the store keeps times at.
func (e *env) precision() time.Duration { return e.s.TimePrecision() }

// storeWith returns another store over the env's driver, on the same
// database, with opts; Now defaults to the env's clock.
func (e *env) storeWith(opts store.Options) *store.Store {
	e.t.Helper()
	if opts.Now == nil {
		opts.Now = e.clock.Now
	}
	s, err := store.New(e.d, opts)
	require.NoError(e.t, err)
	return s
}

// cases merges maps of named subtests into one; a name in two is a bug of
// the suite.
func cases(parts ...map[string]func(e *env)) map[string]func(e *env) {
	out := map[string]func(e *env){}
	for _, p := range parts {
		for name, fn := range p {
			if _, dup := out[name]; dup {
				panic("storetest: two subtests named " + name)
			}
			out[name] = fn
		}
	}
	return out
}

// tamper returns the harness's Tamperer for the env's driver.
func (e *env) tamper() Tamperer { return e.h.Tamper(e.t, e.d) }

// requireCode asserts that err carries code.
func requireCode(t require.TestingT, err error, code trustgate.Code, msgAndArgs ...any) {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	require.Error(t, err, msgAndArgs...)
	require.Equal(t, code, trustgate.ErrorCode(err), append([]any{"error %q"}, err.Error())...)
}

// requireInvalid asserts that err has code trustgate.Invalid and names
// field.
func requireInvalid(t require.TestingT, err error, field string, msgAndArgs ...any) {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	requireCode(t, err, trustgate.Invalid, msgAndArgs...)
	require.Equal(t, field, trustgate.AsError(err).Field, append([]any{"the field of %q"}, err.Error())...)
}

// Run runs the whole conformance suite against the driver h makes: the
// driver contract directly, then every behaviour of the store over it.
func Run(t *testing.T, h Harness) {
	if h.New == nil {
		t.Fatal("storetest: Harness.New is required")
	}
	t.Run("Driver", func(t *testing.T) { runDriver(t, h) })
	t.Run("RiskModels", func(t *testing.T) { runRiskModels(t, h) })
	t.Run("Classes", func(t *testing.T) { runClasses(t, h) })
	t.Run("Maturity", func(t *testing.T) { runMaturity(t, h) })
	t.Run("Audit", func(t *testing.T) { runAudit(t, h) })
	t.Run("Subjects", func(t *testing.T) { runSubjects(t, h) })
	t.Run("Evidence", func(t *testing.T) { runEvidence(t, h) })
	t.Run("Deployments", func(t *testing.T) { runDeployments(t, h) })
	t.Run("Incidents", func(t *testing.T) { runIncidents(t, h) })
	t.Run("Counts", func(t *testing.T) { runCounts(t, h) })
	t.Run("Evaluations", func(t *testing.T) { runEvaluations(t, h) })
	t.Run("Requests", func(t *testing.T) { runRequests(t, h) })
	t.Run("Signed", func(t *testing.T) { runSigned(t, h) })
	t.Run("Tamper", func(t *testing.T) { runTamper(t, h) })
	t.Run("Transactions", func(t *testing.T) { runTransactions(t, h) })
	t.Run("Seed", func(t *testing.T) { runSeed(t, h) })
	t.Run("Times", func(t *testing.T) { runTimes(t, h) })
	t.Run("Errors", func(t *testing.T) { runErrors(t, h) })
	t.Run("Pipeline", func(t *testing.T) { runPipeline(t, h) })
}

// subtests runs each named case with a fresh store.
func subtests(t *testing.T, h Harness, cases map[string]func(e *env)) {
	t.Helper()
	for _, name := range slices.Sorted(maps.Keys(cases)) {
		fn := cases[name]
		t.Run(name, func(t *testing.T) { fn(h.env(t)) })
	}
}

// duplicatesStoreOne calls create from n goroutines at once, each creating
// the same record under the same idempotency key, and requires that every
// call succeeded and got the one stored record, and that exactly one audit
// event was written.
func (e *env) duplicatesStoreOne(n int, create func() (uuid.UUID, error)) {
	e.t.Helper()
	type result struct {
		id  uuid.UUID
		err error
	}
	results := make(chan result, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := create()
			results <- result{id, err}
		}()
	}
	wg.Wait()
	close(results)
	var first uuid.UUID
	for r := range results {
		require.NoError(e.t, r.err)
		if first == uuid.Nil {
			first = r.id
		}
		assert.Equal(e.t, first, r.id, "every caller gets the one stored record")
	}
	assert.Equal(e.t, int64(1), e.auditSize())
}
