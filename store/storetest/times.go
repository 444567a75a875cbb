package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/driver"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The store keeps every time in UTC at one precision, the driver's: it
// rounds what it writes down to it and the bounds it compares up to it, in
// one place. Each area's tests compare times at the precision the store
// reports; these check the rule itself.

// declaring is a driver that declares a precision of its choosing.
type declaring struct {
	driver.Driver
	precision time.Duration
}

// TimePrecision implements driver.TimePrecisioner.
func (d declaring) TimePrecision() time.Duration { return d.precision }

// plainDriver is a driver.Driver and nothing else.
type plainDriver struct{ driver.Driver }

// Begin begins a transaction of the wrapped driver.
func (d plainDriver) Begin(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return d.Driver.Begin(ctx, opts)
}

func runTimes(t *testing.T, h Harness) {
	subtests(t, h, map[string]func(e *env){
		"TheStoreKeepsThePrecisionItsDriverDeclares": func(e *env) {
			want := time.Microsecond
			if p, ok := e.d.(driver.TimePrecisioner); ok && p.TimePrecision() > want {
				want = p.TimePrecision()
			}
			assert.Equal(e.t, want, e.s.TimePrecision())
			for declared, kept := range map[time.Duration]time.Duration{
				time.Nanosecond: time.Microsecond, time.Microsecond: time.Microsecond,
				time.Millisecond: time.Millisecond, 500 * time.Microsecond: 500 * time.Microsecond,
			} {
				s, err := store.New(declaring{e.d, declared}, store.Options{})
				require.NoError(e.t, err, "%s", declared)
				assert.Equal(e.t, kept, s.TimePrecision(), "declared %s", declared)
			}
			s, err := store.New(plainDriver{e.d}, store.Options{})
			require.NoError(e.t, err)
			assert.Equal(e.t, time.Microsecond, s.TimePrecision(), "a driver that declares none keeps microseconds")
			// Coarser than a millisecond, or not dividing one, would change
			// the times signed records keep.
			for _, bad := range []time.Duration{1500 * time.Nanosecond, 300 * time.Microsecond, 10 * time.Millisecond, time.Second, 2 * time.Second} {
				_, err := store.New(declaring{e.d, bad}, store.Options{})
				requireInvalid(e.t, err, "driver.time_precision", "declared %s", bad)
			}
			_, err = store.New(nil, store.Options{})
			requireInvalid(e.t, err, "driver")
		},
		"EveryTimeIsStoredInUTCAtThePrecision": func(e *env) {
			zone := time.FixedZone("X", -5*3600)
			s := e.storeWith(store.Options{Now: func() time.Time { return time.Date(2026, 5, 1, 7, 0, 0, 999, zone) }})
			v := riskmodel.Seed(Epoch)
			v.Version, v.Active, v.Approval, v.CreatedAt = "1.0", false, riskmodel.Approval{}, time.Time{}
			require.NoError(e.t, s.CreateRiskModel(e.ctx(), v, "admin"))
			stored, err := s.RiskModel(e.ctx(), "1.0")
			require.NoError(e.t, err)
			require.NoError(e.t, s.ApproveRiskModel(e.ctx(), "1.0", e.signoff(stored, "cab"), true))
			fine := time.Date(2026, 1, 1, 0, 0, 0, 1500, zone)
			require.NoError(e.t, s.InitMaturityState(e.ctx(), maturity.State{Since: fine}))

			now := time.Date(2026, 5, 1, 12, 0, 0, 999, time.UTC).Truncate(e.precision())
			got, err := s.RiskModel(e.ctx(), "1.0")
			require.NoError(e.t, err)
			assert.Equal(e.t, now, got.CreatedAt, "the clock's time, in UTC at the precision")
			assert.Equal(e.t, now, got.Approval.At)
			require.Len(e.t, got.Signoffs, 1)
			assert.Equal(e.t, now, got.Signoffs[0].At, "a signoff at the clock's time")
			st, err := s.MaturityState(e.ctx())
			require.NoError(e.t, err)
			assert.Equal(e.t, time.Date(2026, 1, 1, 5, 0, 0, 1500, time.UTC).Truncate(e.precision()), st.Since)
			for _, ev := range e.events() {
				assert.Equal(e.t, now, ev.OccurredAt)
			}
		},
		"CreateRiskModelValidatesTheTimesAsStored": func(e *env) {
			// Review less than one precision step after effective: the same
			// time once stored, so not after it.
			for _, gap := range []time.Duration{time.Nanosecond, e.precision() - time.Nanosecond} {
				v := candidate("1.0")
				v.EffectiveAt = e.at(Epoch)
				v.ReviewAt = v.EffectiveAt.Add(gap)
				require.ErrorIs(e.t, e.s.CreateRiskModel(e.ctx(), v, "admin"), riskmodel.ErrOutOfRange, "review %s after effective", gap)
			}
			assert.Zero(e.t, e.auditSize())
			v := candidate("1.0")
			v.EffectiveAt = e.at(Epoch)
			v.ReviewAt = v.EffectiveAt.Add(e.precision())
			require.NoError(e.t, e.s.CreateRiskModel(e.ctx(), v, "admin"), "one precision step later is later")
		},
		"ATimeFinerThanThePrecisionIsRoundedDownNotToTheNearest": func(e *env) {
			v := candidate("1.0")
			v.EffectiveAt = e.at(Epoch).Add(e.precision() - time.Nanosecond)
			e.create(v)
			got, err := e.s.RiskModel(e.ctx(), "1.0")
			require.NoError(e.t, err)
			assert.Equal(e.t, e.at(Epoch), got.EffectiveAt)
		},
		"StoredTimesComeBackInUTCWhateverZoneTheyWereWrittenIn": func(e *env) {
			zone := time.FixedZone("Y", 9*3600+30*60)
			v := candidate("1.0")
			v.EffectiveAt, v.ReviewAt, v.CreatedAt = v.EffectiveAt.In(zone), v.ReviewAt.In(zone), v.CreatedAt.In(zone)
			v.Approval.At = v.Approval.At.In(zone)
			e.create(v)
			got, err := e.s.RiskModel(e.ctx(), "1.0")
			require.NoError(e.t, err)
			assertUTC(e.t, got.EffectiveAt, got.ReviewAt, got.CreatedAt, got.Approval.At)
			assertSameVersion(e.t, e.asStored(v), got)
		},
	})
}
