package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/store/driver"
	"github.com/google/uuid"
)

// Incidents: a row each, with the fingerprint of the report that created
// it. Only the resolution fields (and updated_at) ever change.

func incidentTable() *driver.Table {
	return &driver.Table{
		Name: "incidents",
		Columns: []driver.Column{
			col("id", driver.UUID), col("correlation_id", driver.Text), col("fingerprint", driver.Text),
			col("severity", driver.Text), col("occurred_at", driver.Time), col("application", driver.Text),
			nullCol("deployment_id", driver.UUID), nullCol("evidence_id", driver.UUID),
			nullCol("cab_approval_id", driver.UUID), col("attribution", driver.Text),
			col("was_auto_approved", driver.Bool), col("risk_score_at_approval", driver.Decimal),
			col("blast_radius", driver.Text), // "" when unknown
			col("affected_users", driver.Int), col("downtime_minutes", driver.Int),
			col("business_impact_usd", driver.Decimal), col("root_cause", driver.Text), col("resolution", driver.Text),
			nullCol("resolved_at", driver.Time), nullCol("was_preventable", driver.Bool),
			col("preventability_notes", driver.Text), nullCol("control_improvements", driver.Text),
			col("created_at", driver.Time), col("updated_at", driver.Time),
			nullCol("attestation", driver.Text), // the report's signed statement (incident.Incident.Verify)
		},
		Key:    []string{"id"},
		Unique: [][]string{{"correlation_id"}},
	}
}

func incidentRow(in *incident.Incident, fingerprint string) []any {
	var ci any
	if in.ControlImprovements != nil {
		ci = string(in.ControlImprovements)
	}
	return []any{in.ID, in.CorrelationID, fingerprint, string(in.Severity), in.OccurredAt, in.Application,
		nullID(in.DeploymentID), nullID(in.EvidenceID), nullID(in.CABApprovalID), string(in.Attribution),
		in.WasAutoApproved, in.RiskScoreAtApproval, string(in.BlastRadius), int64(in.AffectedUsers),
		int64(in.DowntimeMinutes), in.BusinessImpactUSD, in.RootCause, in.Resolution.Resolution, nullTime(in.ResolvedAt),
		nullBool(in.WasPreventable), in.PreventabilityNotes, ci, in.CreatedAt, in.UpdatedAt, envelopeJSON(&in.Attestation)}
}

// decodeIncident returns the incident and its report's fingerprint.
func decodeIncident(t *driver.Table, row []any) (incident.Incident, string, error) {
	r := newReader(t, row)
	x := incident.Incident{ID: r.uuid(), CorrelationID: r.text()}
	fp := r.text()
	x.Severity, x.OccurredAt, x.Application = incident.Severity(r.text()), r.time(), r.text()
	x.DeploymentID, x.EvidenceID, x.CABApprovalID = r.uuid(), r.uuid(), r.uuid()
	x.Attribution, x.WasAutoApproved, x.RiskScoreAtApproval = incident.Attribution(r.text()), r.bool(), r.decimal()
	x.BlastRadius, x.AffectedUsers, x.DowntimeMinutes = blastradius.Class(r.text()), int(r.int()), int(r.int())
	x.BusinessImpactUSD, x.RootCause, x.Resolution.Resolution, x.ResolvedAt = r.decimal(), r.text(), r.text(), r.time()
	x.WasPreventable, x.PreventabilityNotes = r.nullBool(), r.text()
	if ci := r.text(); ci != "" {
		x.ControlImprovements = json.RawMessage(ci)
	}
	x.CreatedAt, x.UpdatedAt = r.time(), r.time()
	attestation := r.text()
	if err := r.done(); err != nil {
		return x, fp, err
	}
	var err error
	if x.Attestation, err = decodeEnvelope("attestation", attestation); err != nil {
		return x, fp, rowErr(t, err)
	}
	return x, fp, nil
}

// incidentWhere returns the incident whose column col holds v, with its
// fingerprint.
func (o *op) incidentWhere(col string, v any) (incident.Incident, string, bool, error) {
	row, ok, err := o.byKey(o.t.incidents, col, v)
	if err != nil || !ok {
		return incident.Incident{}, "", false, err
	}
	x, fp, err := decodeIncident(o.t.incidents, row)
	return x, fp, err == nil, err
}

// reportFields is what fingerprint hashes: every field of a report as it
// was submitted, so that the same report again is recognised and a
// different one under the same correlation id is not. It is spelled out
// here, rather than hashing incident.Incident, so that the stored
// fingerprints do not change when that type gains a field.
type reportFields struct {
	CorrelationID       string          `json:"correlation_id"`
	Severity            string          `json:"severity"`
	OccurredAt          string          `json:"occurred_at"`
	Application         string          `json:"application"`
	DeploymentID        string          `json:"deployment_id"`
	EvidenceID          string          `json:"evidence_id"`
	CABApprovalID       string          `json:"cab_approval_id"`
	WasAutoApproved     bool            `json:"was_auto_approved"`
	RiskScoreAtApproval string          `json:"risk_score_at_approval"`
	BlastRadius         string          `json:"blast_radius"`
	AffectedUsers       int             `json:"affected_users"`
	DowntimeMinutes     int             `json:"downtime_minutes"`
	BusinessImpactUSD   string          `json:"business_impact_usd"`
	RootCause           string          `json:"root_cause"`
	Resolution          string          `json:"resolution"`
	ResolvedAt          string          `json:"resolved_at"`
	WasPreventable      *bool           `json:"was_preventable"`
	PreventabilityNotes string          `json:"preventability_notes"`
	ControlImprovements json.RawMessage `json:"control_improvements"` // compacted by Marshal
}

// fingerprint returns the SHA-256, in hex, of the JSON encoding of the
// report in as submitted (its times as stored, decimals by value), without
// what the store assigns: id, attribution and timestamps.
func fingerprint(in *incident.Incident) (string, error) {
	text := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	id := func(u uuid.UUID) string {
		if u == uuid.Nil {
			return ""
		}
		return u.String()
	}
	b, err := json.Marshal(reportFields{
		CorrelationID: in.CorrelationID, Severity: string(in.Severity), OccurredAt: text(in.OccurredAt),
		Application: in.Application, DeploymentID: id(in.DeploymentID), EvidenceID: id(in.EvidenceID),
		CABApprovalID: id(in.CABApprovalID), WasAutoApproved: in.WasAutoApproved,
		RiskScoreAtApproval: in.RiskScoreAtApproval.String(), BlastRadius: string(in.BlastRadius),
		AffectedUsers: in.AffectedUsers, DowntimeMinutes: in.DowntimeMinutes,
		BusinessImpactUSD: in.BusinessImpactUSD.String(), RootCause: in.RootCause, Resolution: in.Resolution.Resolution,
		ResolvedAt: text(in.ResolvedAt), WasPreventable: in.WasPreventable,
		PreventabilityNotes: in.PreventabilityNotes, ControlImprovements: in.ControlImprovements,
	})
	if err != nil {
		return "", invalid("control_improvements", "store: incident %q cannot be encoded: %v", in.CorrelationID, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// link ties in, reported at now, to a deployment: the one it names, which
// must be recorded ([ErrNotFound]), else the latest of its application that
// finished before now (ties to the greatest id), else none, and returns
// the deployment (nil for none). A linked incident takes its facts at
// approval from the deployment record.
func (o *op) link(in *incident.Incident, now time.Time) (*incident.Deployment, error) {
	var d incident.Deployment
	if in.DeploymentID != uuid.Nil {
		var ok bool
		var err error
		if d, ok, err = o.deployment(in.DeploymentID); err != nil {
			return nil, err
		} else if !ok {
			return nil, notFound("incident %q names deployment %s, which is not recorded", in.CorrelationID, in.DeploymentID)
		}
		in.Attribution = incident.AttributionReported
	} else {
		latest, ok, err := o.deploymentWhere(&driver.Query{Table: o.t.deployments,
			Where: []driver.Cond{driver.Where("application", driver.Eq, in.Application), driver.Where("finished_at", driver.Lt, now)},
			Order: []driver.Order{{Column: "finished_at", Desc: true}, {Column: "id", Desc: true}}})
		if err != nil {
			return nil, err
		}
		if !ok {
			in.Attribution = incident.AttributionNone
			return nil, nil
		}
		d, in.Attribution = latest, incident.AttributionInferred
	}
	in.DeploymentID, in.Application, in.BlastRadius = d.ID, d.Application, d.Class
	in.WasAutoApproved, in.RiskScoreAtApproval = d.AutoApproved, d.RiskScore
	if in.EvidenceID == uuid.Nil {
		in.EvidenceID = d.EvidenceID
	}
	return &d, nil
}

// CreateIncident stores a reported incident and appends an
// incident.reported audit event. It is idempotent on the correlation id:
// the same report again (every field its reporter supplied equal, whatever
// its id or lack of one) returns the stored incident and writes nothing; a
// different report under the same correlation id is [ErrConflict], as is an
// id already taken. The id is assigned when nil. The report is validated as
// stored, its times at the store's precision, against the store's clock
// (the incident package's errors); CreatedAt and UpdatedAt are the clock.
// A store given a service key ([Options].Service) signs the report
// (incident.Incident.Sign) once its linkage is settled.
//
// Linkage: when the report names a deployment it must be recorded
// ([ErrNotFound] otherwise) and the incident's application, class,
// auto-approval and risk score are taken from the record (Attribution
// "reported"). When it names none, the incident is attributed to the
// latest deployment of the same application that finished before the
// incident was reported (the rule DORA tooling such as Apache DevLake
// uses), with Attribution "inferred"; with no such deployment, "none".
//
// The incident is counted in the calibration buckets in the same
// transaction.
func (h *ops) CreateIncident(ctx context.Context, in incident.Incident) (incident.Incident, error) {
	return write(ctx, h, func(o *op) (incident.Incident, error) {
		now := o.clock()
		in = cloneIncident(in)
		in.OccurredAt, in.ResolvedAt = o.norm(in.OccurredAt), o.norm(in.ResolvedAt)
		if err := in.Validate(now); err != nil {
			return incident.Incident{}, err
		}
		fp, err := fingerprint(&in)
		if err != nil {
			return incident.Incident{}, err
		}
		stored, storedFP, ok, err := o.incidentWhere("correlation_id", in.CorrelationID)
		switch {
		case err != nil:
			return incident.Incident{}, err
		case ok && storedFP != fp:
			return incident.Incident{}, conflict("a different incident is reported under correlation id %q", in.CorrelationID)
		case ok:
			return stored, nil
		}
		if in.ID == uuid.Nil {
			in.ID = o.newID()
		}
		linked, err := o.link(&in, now)
		if err != nil {
			return incident.Incident{}, err
		}
		in.CreatedAt, in.UpdatedAt = now, now
		if o.service != nil {
			if err := in.Sign(o.service); err != nil {
				return incident.Incident{}, err
			}
		}
		buckets, err := o.incidentBuckets(&in, linked)
		if err != nil {
			return incident.Incident{}, err
		}
		_, err = o.apply(append([]change{insertNew(o.t.incidents, incidentRow(&in, fp), "incident id %s is taken", in.ID)}, buckets...),
			incidentReported(&in))
		return in, err
	})
}

// cloneIncident returns a deep copy of in.
func cloneIncident(in incident.Incident) incident.Incident {
	if in.WasPreventable != nil {
		b := *in.WasPreventable
		in.WasPreventable = &b
	}
	in.ControlImprovements = append(json.RawMessage(nil), in.ControlImprovements...)
	return in
}

// Incident returns the incident with the given id, or [ErrNotFound].
func (h *ops) Incident(ctx context.Context, id uuid.UUID) (incident.Incident, error) {
	return read(ctx, h, func(o *op) (incident.Incident, error) {
		x, _, ok, err := o.incidentWhere("id", id)
		if err == nil && !ok {
			err = notFound("incident %s", id)
		}
		return x, err
	})
}

// ListIncidents returns a page of incidents matching f, newest first
// (occurrence time, then id), with a keyset cursor to the next page, set
// only when more incidents match after the page. Time bounds and the
// cursor are compared exactly, as given. An invalid filter is the incident
// package's error.
func (h *ops) ListIncidents(ctx context.Context, f incident.Filter) (incident.Page, error) {
	if err := f.Validate(); err != nil {
		return incident.Page{}, err
	}
	return read(ctx, h, func(o *op) (incident.Page, error) {
		q := &driver.Query{Table: o.t.incidents,
			Order: []driver.Order{{Column: "occurred_at", Desc: true}, {Column: "id", Desc: true}}, Limit: f.PageSize() + 1}
		add := func(col string, op driver.Op, v any) { q.Where = append(q.Where, driver.Where(col, op, v)) }
		if f.Severity != nil {
			add("severity", driver.Eq, string(*f.Severity))
		}
		if f.Class != nil {
			add("blast_radius", driver.Eq, string(*f.Class))
		}
		if f.From != nil {
			add("occurred_at", driver.Ge, o.bound(*f.From))
		}
		if f.To != nil {
			add("occurred_at", driver.Lt, o.bound(*f.To))
		}
		if f.AutoApproved != nil {
			add("was_auto_approved", driver.Eq, *f.AutoApproved)
		}
		switch {
		case f.DeploymentID != nil && *f.DeploymentID == uuid.Nil:
			add("deployment_id", driver.IsNull, nil) // the unattributed incidents
		case f.DeploymentID != nil:
			add("deployment_id", driver.Eq, *f.DeploymentID)
		}
		if c := f.After; c != nil {
			if at := c.OccurredAt.UTC(); o.aligned(at) {
				q.After = []any{at, c.ID}
			} else { // finer than any stored time: nothing ties with it
				add("occurred_at", driver.Lt, o.bound(at))
			}
		}
		var ins []incident.Incident
		err := o.query(q, func(row []any) error {
			x, _, err := decodeIncident(o.t.incidents, row)
			ins = append(ins, x)
			return err
		})
		if err != nil {
			return incident.Page{}, err
		}
		page := incident.Page{Incidents: ins}
		if size := f.PageSize(); len(ins) > size {
			page.Incidents = ins[:size:size]
			last := ins[size-1]
			page.Next = &incident.Cursor{OccurredAt: last.OccurredAt, ID: last.ID}
		}
		if page.Incidents == nil {
			page.Incidents = []incident.Incident{}
		}
		return page, nil
	})
}

// UpdateIncident changes only the resolution fields, sets UpdatedAt,
// appends an incident.updated audit event listing the fields the update
// set, and returns the incident. [ErrNotFound] if there is no such
// incident; invalid resolution fields (validated as stored against the
// incident's occurrence time) are the incident package's errors. A change
// of whether it was preventable moves it in its day's calibration bucket,
// in the same transaction.
func (h *ops) UpdateIncident(ctx context.Context, id uuid.UUID, u incident.Update) (incident.Incident, error) {
	return write(ctx, h, func(o *op) (incident.Incident, error) {
		in, _, ok, err := o.incidentWhere("id", id)
		switch {
		case err != nil:
			return incident.Incident{}, err
		case !ok:
			return incident.Incident{}, notFound("incident %s", id)
		}
		r := u.Apply(in.Resolution)
		r.ResolvedAt = o.norm(r.ResolvedAt)
		if err := r.Validate(in.OccurredAt); err != nil {
			return incident.Incident{}, err
		}
		var ci any
		if r.ControlImprovements != nil {
			ci = string(r.ControlImprovements)
		}
		now := o.clock()
		old := in
		in.Resolution, in.UpdatedAt = r, now
		buckets, err := o.correctionBuckets(&old, &in)
		if err != nil {
			return incident.Incident{}, err
		}
		_, err = o.apply(append([]change{update(o.t.incidents, []any{id},
			[]string{"root_cause", "resolution", "resolved_at", "was_preventable", "preventability_notes", "control_improvements", "updated_at"},
			r.RootCause, r.Resolution, nullTime(r.ResolvedAt), nullBool(r.WasPreventable), r.PreventabilityNotes, ci, now)}, buckets...),
			incidentUpdated(&in, &u))
		return in, err
	})
}

// LatestIncidentAt returns the occurrence time of the latest incident of
// one of the given severities that occurred before before (compared
// exactly), or [ErrNotFound]. An unknown severity matches nothing.
func (h *ops) LatestIncidentAt(ctx context.Context, severities []incident.Severity, before time.Time) (time.Time, error) {
	return read(ctx, h, func(o *op) (time.Time, error) {
		var latest time.Time
		seen := map[incident.Severity]bool{}
		for _, s := range severities {
			if !s.Valid() || seen[s] {
				continue
			}
			seen[s] = true
			// One probe per severity, each served by an index on
			// (severity, occurred_at) in a SQL database.
			row, ok, err := o.first(&driver.Query{Table: o.t.incidents,
				Where: []driver.Cond{driver.Where("severity", driver.Eq, string(s)), driver.Where("occurred_at", driver.Lt, o.bound(before))},
				Order: []driver.Order{{Column: "occurred_at", Desc: true}}})
			if err != nil {
				return time.Time{}, err
			}
			if !ok {
				continue
			}
			x, _, err := decodeIncident(o.t.incidents, row)
			if err != nil {
				return time.Time{}, err
			}
			if x.OccurredAt.After(latest) {
				latest = x.OccurredAt
			}
		}
		if latest.IsZero() {
			return time.Time{}, notFound("no incident of severity %v before %s", severities, before.UTC().Format(time.RFC3339Nano))
		}
		return latest, nil
	})
}
