package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/driver"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The store keeps the calibration aggregates in day buckets written with
// every deployment and incident (and every correction of one), and
// IncidentCounts reads them; RecountIncidents counts the same aggregates
// from the rows, which is their definition. The two must agree exactly, on
// any data and any period: the tests below fill one database through the
// store's API, correct some of its incidents, and compare the two for
// hundreds of random periods (sub-day, day-aligned, empty, inverted and
// whole-history ones), and check that a rolled-back transaction leaves the
// buckets as they were. A driver whose transactions implement
// driver.IncidentCounter recounts the rows in its database: for the same
// periods its answer must equal the store's own count of the rows, reached
// through a second store over the same driver with the interface hidden.

// withoutCounter is a driver whose transactions are the wrapped driver's
// with every optional interface hidden: a store over it recounts incidents
// from the rows itself, never through driver.IncidentCounter. It declares
// the precision the store over the real driver uses, so that both stores
// round times alike.
type withoutCounter struct {
	driver.Driver
	precision time.Duration
}

// plainTx is a driver.Tx and nothing else.
type plainTx struct{ driver.Tx }

// Begin begins a transaction of the wrapped driver, as a plainTx.
func (w withoutCounter) Begin(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := w.Driver.Begin(ctx, opts)
	if err != nil {
		return nil, err
	}
	return plainTx{tx}, nil
}

// TimePrecision implements driver.TimePrecisioner.
func (w withoutCounter) TimePrecision() time.Duration { return w.precision }

// countsSeed seeds the random data of the IncidentCounts equivalence test.
// It is fixed, and logged, so that a failure can be replayed.
const countsSeed uint64 = 20260210

// randomHistory records deployments and reports incidents at random through
// the store, over the 60 days before Epoch, at nanosecond offsets, and
// returns every time the store holds, as stored.
func (e *env) randomHistory(rng *rand.Rand) []time.Time {
	e.t.Helper()
	start := Epoch.Add(-60 * 24 * time.Hour)
	var times []time.Time
	instant := func() time.Time {
		if len(times) > 0 && rng.IntN(10) == 0 { // a tie with a stored time
			return times[rng.IntN(len(times))]
		}
		return start.Add(time.Duration(rng.Int64N(int64(60 * 24 * time.Hour))))
	}
	classes := blastradius.Classes()
	apps := []string{"Zoom", "Slack", "SAP", "Salesforce", "AV", "Jamf"}
	scores := []string{"0", "9.99", "10", "19.99", "20", "55.5", "89.99", "90", "99.99", "100"}
	var deployments []incident.Deployment
	for range 100 {
		score := decimal.New(rng.Int64N(10001), -2)
		if rng.IntN(3) == 0 { // a band's edge
			score = decimal.RequireFromString(scores[rng.IntN(len(scores))])
		}
		d := incident.Deployment{ID: uuid.New(), Application: apps[rng.IntN(len(apps))], Class: classes[rng.IntN(len(classes))],
			AutoApproved: rng.IntN(2) == 0, RiskScore: score, ModelVersion: "1.1", FinishedAt: instant()}
		if rng.IntN(2) == 0 {
			d.EvidenceID = uuid.New()
		}
		d = e.record(d)
		deployments = append(deployments, d)
		times = append(times, d.FinishedAt)
	}
	severities := incident.Severities()
	var reported []incident.Incident
	for i := range 200 {
		in := incident.Incident{CorrelationID: fmt.Sprintf("inc-%d", i), Severity: severities[rng.IntN(len(severities))],
			OccurredAt: instant()}
		switch rng.IntN(4) {
		case 0: // linked by id, to a deployment that may finish outside any period
			in.DeploymentID = deployments[rng.IntN(len(deployments))].ID
		case 3: // linked by id, occurring within a day or so of the deployment's finish, either side
			d := deployments[rng.IntN(len(deployments))]
			in.DeploymentID = d.ID
			in.OccurredAt = d.FinishedAt.Add(time.Duration(rng.Int64N(int64(36*time.Hour))) - 12*time.Hour)
			if in.OccurredAt.After(Epoch) {
				in.OccurredAt = Epoch
			}
		case 1: // linked by inference, to its application's latest deployment
			in.Application = apps[rng.IntN(len(apps))]
		default: // unlinked: an application nothing was deployed to
			in.Application = fmt.Sprintf("orphan-%d", rng.IntN(3))
			if c := rng.IntN(len(classes) + 1); c < len(classes) {
				in.BlastRadius = classes[c]
			}
		}
		if p := rng.IntN(3); p < 2 {
			yes := p == 0
			in.WasPreventable = &yes
		}
		got := e.report(in)
		reported = append(reported, got)
		times = append(times, got.OccurredAt)
	}
	// Corrections: whether an incident was preventable, set, changed and
	// cleared later, some of them twice.
	for range 80 {
		x := reported[rng.IntN(len(reported))]
		yes := rng.IntN(2) == 0
		_, err := e.s.UpdateIncident(e.ctx(), x.ID, incident.Update{WasPreventable: &yes})
		require.NoError(e.t, err)
	}
	return times
}

// randomPeriods returns n periods: random ones, empty, inverted and
// whole-history ones, and bounds on, just off and finer than the
// precision around the stored times.
func randomPeriods(rng *rand.Rand, times []time.Time, p time.Duration, n int) [][2]time.Time {
	start := Epoch.Add(-62 * 24 * time.Hour)
	random := func() time.Time { return start.Add(time.Duration(rng.Int64N(int64(64 * 24 * time.Hour)))) }
	stored := func() time.Time { return times[rng.IntN(len(times))] }
	offsets := []time.Duration{0, time.Nanosecond, -time.Nanosecond, p - time.Nanosecond, -(p - time.Nanosecond), p, -p, p / 2}
	near := func() time.Time { return stored().Add(offsets[rng.IntN(len(offsets))]) }
	periods := [][2]time.Time{
		{{}, Epoch.Add(365 * 24 * time.Hour)},                         // from the zero time
		{start, Epoch.Add(time.Hour)},                                 // the whole history
		{Epoch.Add(-365 * 24 * time.Hour), Epoch.Add(24 * time.Hour)}, // and more
		{Epoch, Epoch}, // empty
		{Epoch, start}, // inverted
	}
	for len(periods) < n {
		var from, to time.Time
		switch rng.IntN(8) {
		case 0, 1:
			from, to = random(), random()
		case 6: // day-aligned at one end or both
			from, to = random().Truncate(24*time.Hour), random()
			if rng.IntN(2) == 0 {
				to = to.Truncate(24 * time.Hour)
			}
			if rng.IntN(3) == 0 {
				from, to = to, from
			}
		case 7: // around a stored time's midnight, within a day or across a few
			m := stored().Truncate(24 * time.Hour)
			from = m.Add(time.Duration(rng.Int64N(int64(48*time.Hour))) - 24*time.Hour)
			to = from.Add(time.Duration(rng.Int64N(int64(4 * 24 * time.Hour))))
		case 2:
			from, to = near(), near()
		case 3:
			from, to = near(), random()
		case 4: // within one precision step of a stored time
			s := stored()
			from, to = s.Add(time.Nanosecond), s.Add(p-time.Nanosecond)
		default: // empty, at a stored time
			from = near()
			to = from
		}
		if rng.IntN(4) != 0 && to.Before(from) { // mostly ordered; some stay inverted
			from, to = to, from
		}
		periods = append(periods, [2]time.Time{from, to})
	}
	return periods
}

// equivalenceCases compare the bucketed counts and the driver's count with
// the store's count of the rows.
func equivalenceCases() map[string]func(e *env) {
	return map[string]func(e *env){
		"TheBucketedAndTheDriversCountsEqualTheStoresCountOfTheRowsOnRandomData": func(e *env) {
			e.t.Logf("storetest: IncidentCounts equivalence: math/rand/v2 PCG seed %d", countsSeed)
			rng := rand.New(rand.NewPCG(countsSeed, countsSeed))
			times := e.randomHistory(rng)
			slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
			periods := randomPeriods(rng, times, e.precision(), 600)
			own, err := store.New(withoutCounter{Driver: e.d, precision: e.precision()}, store.Options{Now: e.clock.Now})
			require.NoError(e.t, err)
			require.Equal(e.t, e.precision(), own.TimePrecision())
			var counted, linkedOutside, autoWithIncidents, multiDay int
			for i, p := range periods {
				from, to := p[0], p[1]
				want, err := own.RecountIncidents(e.ctx(), from, to)
				require.NoError(e.t, err)
				recounted, err := e.s.RecountIncidents(e.ctx(), from, to)
				require.NoError(e.t, err)
				require.Equal(e.t, want, recounted, "period %d: [%s, %s): the driver's count of the rows (driver.IncidentCounter) is not the store's", i, from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano))
				got, err := e.s.IncidentCounts(e.ctx(), from, to)
				require.NoError(e.t, err)
				require.Equal(e.t, want, got, "period %d: [%s, %s)", i, from.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano))
				if want.Deployments > 0 && want.Incidents > 0 {
					counted++
				}
				var banded int64
				for _, n := range want.IncidentsByBand {
					banded += n
				}
				var deployed int64
				for _, n := range want.DeploymentsByBand {
					deployed += n
				}
				if banded > 0 && deployed == 0 {
					linkedOutside++
				}
				if want.AutoApprovedWithIncidents > 0 {
					autoWithIncidents++
				}
				if to.Sub(from) > 48*time.Hour {
					multiDay++
				}
			}
			// The data and the periods exercise what they are meant to.
			assert.Greater(e.t, counted, len(periods)/4, "periods with deployments and incidents")
			assert.Positive(e.t, linkedOutside, "a period whose incidents are linked only to deployments outside it")
			assert.Greater(e.t, autoWithIncidents, len(periods)/10, "periods with auto-approved deployments linked to their incidents")
			assert.Greater(e.t, multiDay, len(periods)/4, "periods over whole days, read from their buckets")
		},
		"ARolledBackTransactionLeavesTheBucketsAsTheyWere": func(e *env) {
			ctx := e.ctx()
			d := e.record(incident.Deployment{ID: uuid.New(), Application: "Zoom", Class: blastradius.ProductivityTools,
				AutoApproved: true, RiskScore: decimal.NewFromInt(12), ModelVersion: "1.1", FinishedAt: Epoch.Add(-50 * time.Hour)})
			x := e.report(incident.Incident{CorrelationID: "inc-kept", Severity: incident.P3, OccurredAt: Epoch.Add(-49 * time.Hour),
				DeploymentID: d.ID})
			from, to := Epoch.Add(-10*24*time.Hour), Epoch.Add(time.Hour)
			before, err := e.s.IncidentCounts(ctx, from, to)
			require.NoError(e.t, err)
			require.Equal(e.t, int64(1), before.AutoApprovedWithIncidents)
			errRollback := errors.New("storetest: roll back")
			err = e.s.WithTx(ctx, func(ctx context.Context, tx *store.Tx) error {
				for i := range 3 {
					_, err := tx.RecordDeployment(ctx, incident.Deployment{ID: uuid.New(), Application: "Zoom",
						Class: blastradius.CriticalInfrastructure, AutoApproved: true, RiskScore: decimal.NewFromInt(95),
						ModelVersion: "1.1", FinishedAt: Epoch.Add(-time.Duration(30+i) * time.Hour)})
					require.NoError(e.t, err)
				}
				in, err := tx.CreateIncident(ctx, incident.Incident{CorrelationID: "inc-gone", Severity: incident.P1,
					OccurredAt: Epoch.Add(-29 * time.Hour), Application: "Zoom"})
				require.NoError(e.t, err)
				yes := true
				for _, id := range []uuid.UUID{in.ID, x.ID} {
					_, err = tx.UpdateIncident(ctx, id, incident.Update{WasPreventable: &yes})
					require.NoError(e.t, err)
				}
				inside, err := tx.IncidentCounts(ctx, from, to)
				require.NoError(e.t, err)
				require.Equal(e.t, before.Deployments+3, inside.Deployments, "the transaction sees its own buckets")
				require.Equal(e.t, int64(2), inside.Preventable)
				require.Equal(e.t, int64(2), inside.AutoApprovedWithIncidents)
				return errRollback
			})
			require.ErrorIs(e.t, err, errRollback)
			after, err := e.s.IncidentCounts(ctx, from, to)
			require.NoError(e.t, err)
			assert.Equal(e.t, before, after, "the buckets are as they were")
			exact, err := e.s.RecountIncidents(ctx, from, to)
			require.NoError(e.t, err)
			assert.Equal(e.t, exact, after)
		},
	}
}
