package store

import (
	"fmt"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/store/driver"
)

// bucketCounts computes the aggregates of [f, t), f < t, from the
// calibration buckets: the day rows of the whole days inside the period,
// the rows of the deployments and incidents of the part of each end day
// inside it (or of the part outside it, taken off the day's row, when that
// is the smaller), and, for AutoApprovedWithIncidents, the autoLocal
// counters of the whole days with the calibration_auto_approved rows of
// the deployments that are not local or finished on an end day. A period
// within one day is counted from its rows ([op.countRows]).
func (o *op) bucketCounts(f, t time.Time) (incident.Counts, error) {
	df, dt := dayOf(f), dayOf(t)
	if df.Equal(dt) {
		return o.countRows(f, t)
	}
	whole := df // the first whole day
	if !f.Equal(df) {
		whole = df.Add(day)
	}
	var sum tally
	if whole.Before(dt) {
		err := o.query(&driver.Query{Table: o.t.days, Where: between("day", whole, dt)}, func(row []any) error {
			d, err := decodeDay(o.t.days, row)
			sum.add(&d.counts, 1)
			return err
		})
		if err != nil {
			return incident.Counts{}, err
		}
	}
	auto := sum[cAutoLocal]
	sum[cAutoLocal] = 0
	if !f.Equal(df) {
		if err := o.endDay(&sum, df, f, whole); err != nil {
			return incident.Counts{}, err
		}
	}
	if !t.Equal(dt) {
		if err := o.endDay(&sum, dt, dt, t); err != nil {
			return incident.Counts{}, err
		}
	}
	c := emptyCounts()
	sum.addTo(&c)
	dropZeros(&c)

	// The auto-approved deployments with an incident: the local ones of
	// the whole days are counted; every other that finished in the period
	// is checked.
	check := func(local []any, lo, hi time.Time) error {
		q := &driver.Query{Table: o.t.auto, Where: append([]driver.Cond{driver.Where("local", driver.In, local)}, between("finished_at", lo, hi)...)}
		return o.query(q, func(row []any) error {
			a, err := decodeAuto(o.t.auto, row)
			if err == nil && a.counts(f, t) {
				auto++
			}
			return err
		})
	}
	either := []any{false, true}
	if whole.Before(dt) {
		if err := check([]any{false}, whole, dt); err != nil {
			return incident.Counts{}, err
		}
	}
	if !f.Equal(df) {
		if err := check(either, f, whole); err != nil {
			return incident.Counts{}, err
		}
	}
	if !t.Equal(dt) {
		if err := check(either, dt, t); err != nil {
			return incident.Counts{}, err
		}
	}
	c.AutoApprovedWithIncidents = auto
	return c, nil
}

// between is the conditions lo ≤ col < hi.
func between(col string, lo, hi time.Time) []driver.Cond {
	return []driver.Cond{driver.Where(col, driver.Ge, lo), driver.Where(col, driver.Lt, hi)}
}

// endDay adds to sum the counts of [lo, hi), the part of day d inside a
// period, where lo is d's start or hi its end: from the rows of the part,
// or, when the part is longer than half a day, as d's row less the rows of
// the rest of the day.
func (o *op) endDay(sum *tally, d, lo, hi time.Time) error {
	if hi.Sub(lo) <= day/2 {
		return o.rowTally(sum, lo, hi, 1)
	}
	row, ok, err := o.byKey(o.t.days, "day", d)
	if err != nil {
		return err
	}
	if ok {
		r, err := decodeDay(o.t.days, row)
		if err != nil {
			return err
		}
		r.counts[cAutoLocal] = 0
		sum.add(&r.counts, 1)
	}
	if lo.Equal(d) {
		return o.rowTally(sum, hi, d.Add(day), -1)
	}
	return o.rowTally(sum, d, lo, -1)
}

// rowTally adds sign times the counters of the deployments and incidents
// of [lo, hi) to sum, from their rows.
func (o *op) rowTally(sum *tally, lo, hi time.Time, sign int64) error {
	depCols := []string{"class", "risk_band"}
	err := o.query(&driver.Query{Table: o.t.deployments, Columns: depCols, Where: between("finished_at", lo, hi)}, func(row []any) error {
		r := newProjected(o.t.deployments, depCols, row)
		class, band := blastradius.Class(r.text()), r.int()
		if err := r.done(); err != nil {
			return err
		}
		if band < 0 || band >= incident.Bands {
			return rowErr(o.t.deployments, fmt.Errorf("risk_band %d is not a band", band))
		}
		t := deploymentTally(class, int(band))
		sum.add(&t, sign)
		return nil
	})
	if err != nil {
		return err
	}
	incCols := []string{"severity", "blast_radius", "deployment_id", "risk_score_at_approval", "was_preventable"}
	return o.query(&driver.Query{Table: o.t.incidents, Columns: incCols, Where: between("occurred_at", lo, hi)}, func(row []any) error {
		r := newProjected(o.t.incidents, incCols, row)
		x := incident.Incident{Severity: incident.Severity(r.text()), BlastRadius: blastradius.Class(r.text()),
			DeploymentID: r.uuid(), RiskScoreAtApproval: r.decimal()}
		x.WasPreventable = r.nullBool()
		if err := r.done(); err != nil {
			return err
		}
		t := factsOf(&x).tally()
		sum.add(&t, sign)
		return nil
	})
}
