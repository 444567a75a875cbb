package store

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/store/driver"
	"github.com/google/uuid"
)

// The calibration buckets: what IncidentCounts reads instead of the rows,
// written in the transaction of every deployment and incident write. They
// are derived data, a cache of the rows: see the package documentation
// ("Calibration buckets") for what they hold, why a bucket is a UTC day,
// and why nothing that authorises trusts them.

// day is the width of a bucket.
const day = 24 * time.Hour

// dayOf returns the start (UTC midnight) of the day t is in. time.Time
// counts from a UTC midnight, so Truncate cuts at UTC midnights.
func dayOf(t time.Time) time.Time { return t.UTC().Truncate(day) }

// The counters of a day, in the order of calibration_days' columns after
// the day: the marginals incident.Counts holds, and autoLocal (see
// autoRow).
const (
	cDeployments  = 0
	cDeployClass  = 1                            // + the class's position in blastradius.Classes()
	cDeployBand   = cDeployClass + 4             // + the band
	cIncidents    = cDeployBand + incident.Bands // 15
	cSeverity     = cIncidents + 1               // + the severity's position in incident.Severities()
	cIncClass     = cSeverity + 4                // + the class's position
	cIncBand      = cIncClass + 4                // + the band of the linked deployment
	cPreventable  = cIncBand + incident.Bands    // 34
	cAutoLocal    = cPreventable + 1             // 35
	nCounters     = cAutoLocal + 1               // 36
	severityCount = 4
)

// tally is one day's counters, or a change to them.
type tally [nCounters]int64

// tallyColumns returns the names of the counter columns, in tally order.
func tallyColumns() []string {
	names := make([]string, nCounters)
	lower := func(c blastradius.Class) string { return strings.ToLower(string(c)) }
	names[cDeployments] = "deployments"
	for i, cl := range blastradius.Classes() {
		names[cDeployClass+i] = "deployments_" + lower(cl)
		names[cIncClass+i] = "incidents_" + lower(cl)
	}
	for b := range incident.Bands {
		names[cDeployBand+b] = "deployments_band_" + strconv.Itoa(b)
		names[cIncBand+b] = "incidents_band_" + strconv.Itoa(b)
	}
	names[cIncidents] = "incidents"
	for i, s := range incident.Severities() {
		names[cSeverity+i] = "incidents_" + strings.ToLower(string(s))
	}
	names[cPreventable] = "incidents_preventable"
	names[cAutoLocal] = "auto_approved_local"
	return names
}

func calibrationDayTable() *driver.Table {
	cols := []driver.Column{col("day", driver.Time)}
	for _, n := range tallyColumns() {
		cols = append(cols, col(n, driver.Int))
	}
	return &driver.Table{Name: "calibration_days", Columns: cols, Key: []string{"day"}}
}

// calibrationAutoTable has a row for each auto-approved deployment linked
// to at least one incident (so no more rows than incidents): when it
// finished, the latest of its incidents that occurred at or before that
// (previous_incident) and the earliest that occurred after it
// (next_incident), and whether either is on the day it finished (local).
func calibrationAutoTable() *driver.Table {
	return &driver.Table{
		Name: "calibration_auto_approved",
		Columns: []driver.Column{
			col("deployment_id", driver.UUID), col("finished_at", driver.Time),
			nullCol("previous_incident", driver.Time), nullCol("next_incident", driver.Time), col("local", driver.Bool),
		},
		Key: []string{"deployment_id"},
	}
}

func classIndex(c blastradius.Class) int {
	for i, cl := range blastradius.Classes() {
		if cl == c {
			return i
		}
	}
	return -1
}

func severityIndex(s incident.Severity) int {
	for i, x := range incident.Severities() {
		if x == s {
			return i
		}
	}
	return -1
}

// deploymentTally is what one deployment adds to its day.
func deploymentTally(class blastradius.Class, band int) tally {
	var t tally
	t[cDeployments] = 1
	if i := classIndex(class); i >= 0 {
		t[cDeployClass+i] = 1
	}
	t[cDeployBand+band] = 1
	return t
}

// incidentFacts are what the aggregates take from an incident: its
// severity, class ("" when none), the band of its deployment (-1 when it
// is linked to none) and whether it is marked preventable.
type incidentFacts struct {
	severity    incident.Severity
	class       blastradius.Class
	band        int
	preventable bool
}

func factsOf(x *incident.Incident) incidentFacts {
	f := incidentFacts{severity: x.Severity, class: x.BlastRadius, band: -1,
		preventable: x.WasPreventable != nil && *x.WasPreventable}
	if x.DeploymentID != uuid.Nil {
		f.band = incident.Band(x.RiskScoreAtApproval) // the deployment's score, taken when it was linked
	}
	return f
}

// tally is what the incident adds to the day it occurred on.
func (f incidentFacts) tally() tally {
	var t tally
	t[cIncidents] = 1
	if i := severityIndex(f.severity); i >= 0 {
		t[cSeverity+i] = 1
	}
	if i := classIndex(f.class); i >= 0 {
		t[cIncClass+i] = 1
	}
	if f.band >= 0 {
		t[cIncBand+f.band] = 1
	}
	if f.preventable {
		t[cPreventable] = 1
	}
	return t
}

func (t *tally) add(u *tally, sign int64) {
	for i := range t {
		t[i] += sign * u[i]
	}
}

// addTo adds the marginals of t to c (not autoLocal, which is no count of
// its own).
func (t *tally) addTo(c *incident.Counts) {
	c.Deployments += t[cDeployments]
	c.Incidents += t[cIncidents]
	for i, cl := range blastradius.Classes() {
		c.DeploymentsByClass[cl] += t[cDeployClass+i]
		c.IncidentsByClass[cl] += t[cIncClass+i]
	}
	for i, s := range incident.Severities() {
		c.BySeverity[s] += t[cSeverity+i]
	}
	for b := range incident.Bands {
		c.DeploymentsByBand[b] += t[cDeployBand+b]
		c.IncidentsByBand[b] += t[cIncBand+b]
	}
	c.Preventable += t[cPreventable]
}

// dropZeros removes the zero counts of c's maps: IncidentCounts' maps hold
// only non-zero counts.
func dropZeros(c *incident.Counts) {
	for _, m := range []map[blastradius.Class]int64{c.DeploymentsByClass, c.IncidentsByClass} {
		for k, v := range m {
			if v == 0 {
				delete(m, k)
			}
		}
	}
	for k, v := range c.BySeverity {
		if v == 0 {
			delete(c.BySeverity, k)
		}
	}
}

// bucketDeltas collects an operation's changes to the day buckets, by day.
type bucketDeltas map[time.Time]*tally

func (d bucketDeltas) add(at time.Time, t tally, sign int64) {
	k := dayOf(at)
	if d[k] == nil {
		d[k] = &tally{}
	}
	d[k].add(&t, sign)
}

// bucketChanges reads the day rows deltas change and returns the writes
// that apply them: an update of each row that exists, an insert of each
// that does not. Days are written in order, so that two operations touch
// rows alike.
func (o *op) bucketChanges(deltas bucketDeltas) ([]change, error) {
	days := make([]time.Time, 0, len(deltas))
	for k, t := range deltas {
		if *t != (tally{}) {
			days = append(days, k)
		}
	}
	slices.SortFunc(days, time.Time.Compare)
	names := tallyColumns()
	var out []change
	for _, k := range days {
		delta := deltas[k]
		row, ok, err := o.byKey(o.t.days, "day", k)
		if err != nil {
			return nil, err
		}
		if !ok {
			values := make([]any, 0, 1+nCounters)
			values = append(values, k)
			for i := range delta {
				values = append(values, delta[i])
			}
			out = append(out, insert(o.t.days, values))
			continue
		}
		cur, err := decodeDay(o.t.days, row)
		if err != nil {
			return nil, err
		}
		var cols []string
		var values []any
		for i := range delta {
			if delta[i] != 0 {
				cols = append(cols, names[i])
				values = append(values, cur.counts[i]+delta[i])
			}
		}
		out = append(out, update(o.t.days, []any{k}, cols, values...))
	}
	return out, nil
}

// dayRow is one row of calibration_days.
type dayRow struct {
	day    time.Time
	counts tally
}

func decodeDay(t *driver.Table, row []any) (dayRow, error) {
	r := newReader(t, row)
	d := dayRow{day: r.time()}
	for i := range d.counts {
		d.counts[i] = r.int()
	}
	return d, r.done()
}

// autoRow is one row of calibration_auto_approved. An auto-approved
// deployment d counts in AutoApprovedWithIncidents over [f, t) when it
// finished in it and one of its incidents occurred in it; as the period
// holds d's finish, that is exactly when previous ≥ f or next < t (an
// incident in the period at or before the finish is no later than
// previous; one after it no earlier than next). When previous or next is
// on d's day, d counts in every period that holds that whole day: such a
// deployment is local, and counted in its day's autoLocal counter too.
type autoRow struct {
	deployment     uuid.UUID
	finished       time.Time
	previous, next time.Time // zero when there is none
	local          bool
}

func autoRowValues(a *autoRow) []any {
	return []any{a.deployment, a.finished, nullTime(a.previous), nullTime(a.next), a.local}
}

func decodeAuto(t *driver.Table, row []any) (autoRow, error) {
	r := newReader(t, row)
	a := autoRow{deployment: r.uuid(), finished: r.time(), previous: r.time(), next: r.time(), local: r.bool()}
	return a, r.done()
}

// isLocal reports whether previous or next is on the day a finished.
func (a *autoRow) isLocal() bool {
	d := dayOf(a.finished)
	return (!a.previous.IsZero() && dayOf(a.previous).Equal(d)) || (!a.next.IsZero() && dayOf(a.next).Equal(d))
}

// withIncident adds an incident that occurred at at to a.
func (a *autoRow) withIncident(at time.Time) {
	switch {
	case !at.After(a.finished):
		if a.previous.IsZero() || at.After(a.previous) {
			a.previous = at
		}
	case a.next.IsZero() || at.Before(a.next):
		a.next = at
	}
	a.local = a.isLocal()
}

// counts reports whether a counts in AutoApprovedWithIncidents over [f, t),
// given that it finished in it.
func (a *autoRow) counts(f, t time.Time) bool {
	return (!a.previous.IsZero() && !a.previous.Before(f)) || (!a.next.IsZero() && a.next.Before(t))
}

// autoChange returns the write that records an incident at at linked to
// the auto-approved deployment d, and adds to deltas what it changes in
// d's day (autoLocal, once d becomes local: it never stops being so, as
// previous and next only move towards the finish).
func (o *op) autoChange(d *incident.Deployment, at time.Time, deltas bucketDeltas) (change, error) {
	row, ok, err := o.byKey(o.t.auto, "deployment_id", d.ID)
	if err != nil {
		return change{}, err
	}
	a := autoRow{deployment: d.ID, finished: d.FinishedAt}
	if ok {
		if a, err = decodeAuto(o.t.auto, row); err != nil {
			return change{}, err
		}
	}
	was := ok && a.local
	a.withIncident(at)
	if a.local && !was {
		var t tally
		t[cAutoLocal] = 1
		deltas.add(a.finished, t, 1)
	}
	if !ok {
		return insert(o.t.auto, autoRowValues(&a)), nil
	}
	return update(o.t.auto, []any{a.deployment}, []string{"previous_incident", "next_incident", "local"},
		nullTime(a.previous), nullTime(a.next), a.local), nil
}

// incidentBuckets returns the bucket writes of a new incident x, linked to
// d when d is set.
func (o *op) incidentBuckets(x *incident.Incident, d *incident.Deployment) ([]change, error) {
	deltas := bucketDeltas{}
	deltas.add(x.OccurredAt, factsOf(x).tally(), 1)
	var auto []change
	if d != nil && d.AutoApproved {
		c, err := o.autoChange(d, x.OccurredAt, deltas)
		if err != nil {
			return nil, err
		}
		auto = append(auto, c)
	}
	days, err := o.bucketChanges(deltas)
	return append(days, auto...), err
}

// correctionBuckets returns the bucket writes of a change of the incident
// old into x (the same incident): what old added to its day comes off,
// what x adds goes on. A change of the deployment it is linked to, or of
// when it occurred while linked to an auto-approved one, rebuilds that
// deployment's row of calibration_auto_approved from its incidents, with x
// in place of old (the incidents row is written after these reads).
func (o *op) correctionBuckets(old, x *incident.Incident) ([]change, error) {
	deltas := bucketDeltas{}
	deltas.add(old.OccurredAt, factsOf(old).tally(), -1)
	deltas.add(x.OccurredAt, factsOf(x).tally(), 1)
	var auto []change
	if old.DeploymentID != x.DeploymentID || !old.OccurredAt.Equal(x.OccurredAt) {
		ids := []uuid.UUID{old.DeploymentID}
		if x.DeploymentID != old.DeploymentID {
			ids = append(ids, x.DeploymentID)
		}
		for _, id := range ids {
			if id == uuid.Nil {
				continue
			}
			c, ok, err := o.rebuildAuto(id, x, deltas)
			if err != nil {
				return nil, err
			}
			if ok {
				auto = append(auto, c)
			}
		}
	}
	days, err := o.bucketChanges(deltas)
	return append(days, auto...), err
}

// rebuildAuto recomputes the calibration_auto_approved row of deployment
// id from its incidents, counting x (whose stored row is about to change)
// as it will be, and returns its write, adjusting deltas for a change of
// local. It writes nothing for a deployment that is not auto-approved, or
// that had and has no incident.
func (o *op) rebuildAuto(id uuid.UUID, x *incident.Incident, deltas bucketDeltas) (change, bool, error) {
	d, found, err := o.deployment(id)
	if err != nil || !found || !d.AutoApproved {
		return change{}, false, err
	}
	row, had, err := o.byKey(o.t.auto, "deployment_id", id)
	if err != nil {
		return change{}, false, err
	}
	var before autoRow
	if had {
		if before, err = decodeAuto(o.t.auto, row); err != nil {
			return change{}, false, err
		}
	}
	a := autoRow{deployment: id, finished: d.FinishedAt}
	n := 0
	err = o.query(&driver.Query{Table: o.t.incidents, Columns: []string{"id", "occurred_at"},
		Where: []driver.Cond{driver.Where("deployment_id", driver.Eq, id)}}, func(row []any) error {
		r := newProjected(o.t.incidents, []string{"id", "occurred_at"}, row)
		other, at := r.uuid(), r.time()
		if err := r.done(); err != nil {
			return err
		}
		if other != x.ID {
			a.withIncident(at)
			n++
		}
		return nil
	})
	if err != nil {
		return change{}, false, err
	}
	if x.DeploymentID == id {
		a.withIncident(x.OccurredAt)
		n++
	}
	a.local = n > 0 && a.isLocal()
	if before.local != a.local {
		var t tally
		t[cAutoLocal] = 1
		sign := int64(1)
		if before.local {
			sign = -1
		}
		deltas.add(d.FinishedAt, t, sign)
	}
	switch {
	case n == 0 && !had:
		return change{}, false, nil
	case !had:
		return insert(o.t.auto, autoRowValues(&a)), true, nil
	}
	// A deployment left without incidents keeps a row with neither time,
	// which counts in no period: rows are never deleted.
	return update(o.t.auto, []any{id}, []string{"previous_incident", "next_incident", "local"},
		nullTime(a.previous), nullTime(a.next), a.local), true, nil
}
