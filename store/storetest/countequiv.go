package storetest

import (
	"context"
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

// A driver whose transactions implement driver.IncidentCounter computes the
// calibration aggregates in its database; the store otherwise counts the
// rows itself. The two must agree exactly, on any data and any period: the
// test below fills one database through the store's API and compares, for
// hundreds of random periods, the driver's answer with the store's own
// computation over the same rows, reached through a second store over the
// same driver with the optional interface hidden.

// countsSeed seeds the random data of the IncidentCounts equivalence test.
// It is fixed, and logged, so that a failure can be replayed.
const countsSeed uint64 = 20260210

// withoutCounter is a driver whose transactions are the wrapped driver's
// with every optional interface hidden: a store over it counts incidents
// from the rows. It declares the precision the store over the real driver
// uses, so that both stores round times alike.
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

// countsIncidents reports whether the driver's write transactions implement
// driver.IncidentCounter.
func (e *env) countsIncidents() bool {
	e.t.Helper()
	tx, err := e.d.Begin(e.ctx(), driver.TxOptions{Write: true})
	require.NoError(e.t, err)
	defer func() { _ = tx.Rollback() }()
	_, ok := tx.(driver.IncidentCounter)
	return ok
}

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
	for i := range 200 {
		in := incident.Incident{CorrelationID: fmt.Sprintf("inc-%d", i), Severity: severities[rng.IntN(len(severities))],
			OccurredAt: instant()}
		switch rng.IntN(3) {
		case 0: // linked by id, to a deployment that may finish outside any period
			in.DeploymentID = deployments[rng.IntN(len(deployments))].ID
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
		times = append(times, got.OccurredAt)
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
		switch rng.IntN(6) {
		case 0, 1:
			from, to = random(), random()
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

// equivalenceCases compare a driver's IncidentCounter with the store's own
// counting.
func equivalenceCases() map[string]func(e *env) {
	return map[string]func(e *env){
		"TheDriversIncidentCountsEqualTheStoresOwnOnRandomData": func(e *env) {
			if !e.countsIncidents() {
				e.t.Skip("storetest: the driver's transactions do not implement driver.IncidentCounter; the store counts rows itself")
			}
			e.t.Logf("storetest: IncidentCounts equivalence: math/rand/v2 PCG seed %d", countsSeed)
			rng := rand.New(rand.NewPCG(countsSeed, countsSeed))
			own, err := store.New(withoutCounter{Driver: e.d, precision: e.precision()}, store.Options{Now: e.clock.Now})
			require.NoError(e.t, err)
			require.Equal(e.t, e.precision(), own.TimePrecision())

			times := e.randomHistory(rng)
			slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
			periods := randomPeriods(rng, times, e.precision(), 400)
			var counted, linkedOutside, autoWithIncidents int
			for i, p := range periods {
				from, to := p[0], p[1]
				want, err := own.IncidentCounts(e.ctx(), from, to)
				require.NoError(e.t, err)
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
			}
			// The data and the periods exercise what they are meant to.
			assert.Greater(e.t, counted, len(periods)/4, "periods with deployments and incidents")
			assert.Positive(e.t, linkedOutside, "a period whose incidents are linked only to deployments outside it")
			assert.Positive(e.t, autoWithIncidents, "a period with auto-approved deployments linked to its incidents")
		},
	}
}
