package storetest

import (
	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/store/driver"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Epoch is the suite's starting time: the stores it makes read this from
// their clock until a test advances it.
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
	t.Run("Evidence", func(t *testing.T) { runEvidence(t, h) })
	t.Run("Deployments", func(t *testing.T) { runDeployments(t, h) })
	t.Run("Incidents", func(t *testing.T) { runIncidents(t, h) })
	t.Run("Evaluations", func(t *testing.T) { runEvaluations(t, h) })
	t.Run("Requests", func(t *testing.T) { runRequests(t, h) })
	t.Run("Tamper", func(t *testing.T) { runTamper(t, h) })
	t.Run("Transactions", func(t *testing.T) { runTransactions(t, h) })
	t.Run("Seed", func(t *testing.T) { runSeed(t, h) })
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
