package memstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
)

// storedIncident is an incident as the store keeps it, with the fingerprint
// of the report that created it: what a repeated report is compared with,
// since the stored incident itself carries the linkage and facts the store
// filled in.
type storedIncident struct {
	in     incident.Incident
	report [sha256.Size]byte
}

// cloneIncident returns a deep copy of in.
func cloneIncident(in incident.Incident) incident.Incident {
	in.Resolution = cloneResolution(in.Resolution)
	return in
}

// cloneResolution returns a deep copy of r.
func cloneResolution(r incident.Resolution) incident.Resolution {
	if r.WasPreventable != nil {
		b := *r.WasPreventable
		r.WasPreventable = &b
	}
	r.ControlImprovements = bytes.Clone(r.ControlImprovements)
	return r
}

// normIncident returns a deep copy of in with its times normalised.
func normIncident(in incident.Incident) incident.Incident {
	in = cloneIncident(in)
	in.OccurredAt = normTime(in.OccurredAt)
	in.ResolvedAt = normTime(in.ResolvedAt)
	in.CreatedAt = normTime(in.CreatedAt)
	in.UpdatedAt = normTime(in.UpdatedAt)
	return in
}

// reportFingerprint returns the SHA-256 of the report in, normalised, as
// its reporter submitted it: every field but the id, the attribution and
// the times the store sets. Two reports under one correlation id are the
// same report when their fingerprints are equal.
func reportFingerprint(in incident.Incident) ([sha256.Size]byte, error) {
	in.ID = uuid.Nil
	in.Attribution = ""
	in.CreatedAt, in.UpdatedAt = time.Time{}, time.Time{}
	b, err := json.Marshal(in)
	if err != nil {
		return [sha256.Size]byte{}, fmt.Errorf("%w: incident %q cannot be encoded: %w", store.ErrInvalid, in.CorrelationID, err)
	}
	return sha256.Sum256(b), nil
}

// link sets the linkage of the incident in, reported at now: to the
// deployment it names, which must be recorded, or else to the latest
// deployment of its application that finished before now, if any. A linked
// incident takes the deployment's facts.
func (st *state) link(in *incident.Incident, now time.Time) error {
	var (
		d  incident.Deployment
		ok bool
	)
	if in.DeploymentID != uuid.Nil {
		if d, ok = st.deployments[in.DeploymentID]; !ok {
			return fmt.Errorf("%w: incident %q names deployment %s, which is not recorded", store.ErrNotFound, in.CorrelationID, in.DeploymentID)
		}
		in.Attribution = incident.AttributionReported
	} else if d, ok = st.latestDeployment(in.Application, now); ok {
		in.Attribution = incident.AttributionInferred
		in.DeploymentID = d.ID
	} else {
		in.Attribution = incident.AttributionNone
		return nil
	}
	in.Application = d.Application
	in.BlastRadius = d.Class
	in.WasAutoApproved = d.AutoApproved
	in.RiskScoreAtApproval = d.RiskScore
	if in.EvidenceID == uuid.Nil {
		in.EvidenceID = d.EvidenceID
	}
	return nil
}

// latestDeployment returns the deployment of application app that finished
// last before now (of several at the same time, the one with the largest
// id), if there is one.
func (st *state) latestDeployment(app string, now time.Time) (incident.Deployment, bool) {
	var best incident.Deployment
	found := false
	for _, d := range st.deployments {
		if d.Application != app || !d.FinishedAt.Before(now) {
			continue
		}
		if !found || d.FinishedAt.After(best.FinishedAt) ||
			(d.FinishedAt.Equal(best.FinishedAt) && bytes.Compare(d.ID[:], best.ID[:]) > 0) {
			best, found = d, true
		}
	}
	return best, found
}

// CreateIncident implements [store.Incidents]. The report is validated as
// stored, with its times in UTC truncated to microseconds; CreatedAt and
// UpdatedAt are the store's clock. A repeated report is the same when every
// field its reporter supplied is equal, whatever its id (or lack of one).
func (t *tx) CreateIncident(ctx context.Context, in incident.Incident) (incident.Incident, error) {
	st, err := t.begin(ctx, true)
	if err != nil {
		return incident.Incident{}, err
	}
	defer t.mu.Unlock()
	now := t.clock()
	in = normIncident(in)
	if err := in.Validate(now); err != nil {
		return incident.Incident{}, err
	}
	fp, err := reportFingerprint(in)
	if err != nil {
		return incident.Incident{}, err
	}
	if id, ok := st.incidentByCorrelation[in.CorrelationID]; ok {
		stored := st.incidents[id]
		if stored.report != fp {
			return incident.Incident{}, fmt.Errorf("%w: a different incident is reported under correlation id %q", store.ErrConflict, in.CorrelationID)
		}
		return cloneIncident(stored.in), nil
	}
	if in.ID == uuid.Nil {
		in.ID = t.s.newID()
	}
	if _, ok := st.incidents[in.ID]; ok {
		return incident.Incident{}, fmt.Errorf("%w: incident id %s is taken", store.ErrConflict, in.ID)
	}
	if err := st.link(&in, now); err != nil {
		return incident.Incident{}, err
	}
	in.CreatedAt, in.UpdatedAt = now, now
	deployment := ""
	if in.DeploymentID != uuid.Nil {
		deployment = in.DeploymentID.String()
	}
	e, err := t.newEvent(st, security.EventInput{
		Type:          security.EventIncidentReported,
		Actor:         recordsActor,
		Subject:       "incident:" + in.ID.String(),
		CorrelationID: in.CorrelationID,
		Data: auditData(map[string]string{
			"incident_id":   in.ID.String(),
			"severity":      string(in.Severity),
			"deployment_id": deployment,
			"attribution":   string(in.Attribution),
		}),
	}, now)
	if err != nil {
		return incident.Incident{}, err
	}
	st.incidents[in.ID] = storedIncident{in: in, report: fp}
	st.incidentByCorrelation[in.CorrelationID] = in.ID
	t.onRollback(func() {
		delete(st.incidents, in.ID)
		delete(st.incidentByCorrelation, in.CorrelationID)
	})
	t.pushEvent(st, e)
	return cloneIncident(in), nil
}

// Incident implements [store.Incidents].
func (t *tx) Incident(ctx context.Context, id uuid.UUID) (incident.Incident, error) {
	st, err := t.begin(ctx, false)
	if err != nil {
		return incident.Incident{}, err
	}
	defer t.mu.Unlock()
	s, ok := st.incidents[id]
	if !ok {
		return incident.Incident{}, fmt.Errorf("%w: incident %s", store.ErrNotFound, id)
	}
	return cloneIncident(s.in), nil
}

// newestFirst orders incident positions newest first: by occurrence time,
// then by id (in byte order, which is the order of the ids' canonical
// strings), both descending.
func newestFirst(aAt time.Time, aID uuid.UUID, bAt time.Time, bID uuid.UUID) int {
	if c := bAt.Compare(aAt); c != 0 {
		return c
	}
	return bytes.Compare(bID[:], aID[:])
}

// matches reports whether x passes every filter of f, whose bounds are
// normalised as stored times are.
func matches(x *incident.Incident, f *incident.Filter) bool {
	switch {
	case f.Severity != nil && x.Severity != *f.Severity,
		f.Class != nil && x.BlastRadius != *f.Class,
		f.From != nil && x.OccurredAt.Before(normTime(*f.From)),
		f.To != nil && !x.OccurredAt.Before(normTime(*f.To)),
		f.AutoApproved != nil && x.WasAutoApproved != *f.AutoApproved,
		f.DeploymentID != nil && x.DeploymentID != *f.DeploymentID:
		return false
	case f.After != nil:
		return newestFirst(normTime(f.After.OccurredAt), f.After.ID, x.OccurredAt, x.ID) < 0
	}
	return true
}

// ListIncidents implements [store.Incidents]. Filter and cursor times are
// compared as stored: in UTC, truncated to microseconds. Next is set only
// when more incidents match after the page.
func (t *tx) ListIncidents(ctx context.Context, f incident.Filter) (incident.Page, error) {
	st, err := t.begin(ctx, false)
	if err != nil {
		return incident.Page{}, err
	}
	defer t.mu.Unlock()
	if err := f.Validate(); err != nil {
		return incident.Page{}, err
	}
	var hits []incident.Incident // shallow copies, cloned below
	for _, s := range st.incidents {
		if matches(&s.in, &f) {
			hits = append(hits, s.in)
		}
	}
	slices.SortFunc(hits, func(a, b incident.Incident) int {
		return newestFirst(a.OccurredAt, a.ID, b.OccurredAt, b.ID)
	})
	size := f.PageSize()
	var page incident.Page
	if len(hits) > size {
		hits = hits[:size]
		last := hits[size-1]
		page.Next = &incident.Cursor{OccurredAt: last.OccurredAt, ID: last.ID}
	}
	page.Incidents = make([]incident.Incident, len(hits))
	for i, x := range hits {
		page.Incidents[i] = cloneIncident(x)
	}
	return page, nil
}

// updatedFields names the resolution fields u sets, for the audit event.
func updatedFields(u incident.Update) []string {
	fields := []string{}
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"root_cause", u.RootCause != nil}, {"resolution", u.Resolution != nil}, {"resolved_at", u.ResolvedAt != nil},
		{"was_preventable", u.WasPreventable != nil}, {"preventability_notes", u.PreventabilityNotes != nil},
		{"control_improvements", u.ControlImprovements != nil},
	} {
		if f.set {
			fields = append(fields, f.name)
		}
	}
	return fields
}

// UpdateIncident implements [store.Incidents]. The new resolution fields
// are validated as stored (ResolvedAt in UTC, truncated to microseconds)
// against the incident's occurrence time. The audit event lists the fields
// the update set.
func (t *tx) UpdateIncident(ctx context.Context, id uuid.UUID, u incident.Update) (incident.Incident, error) {
	st, err := t.begin(ctx, true)
	if err != nil {
		return incident.Incident{}, err
	}
	defer t.mu.Unlock()
	old, ok := st.incidents[id]
	if !ok {
		return incident.Incident{}, fmt.Errorf("%w: incident %s", store.ErrNotFound, id)
	}
	r := u.Apply(cloneResolution(old.in.Resolution)) // Apply copies what it sets
	r.ResolvedAt = normTime(r.ResolvedAt)
	if err := r.Validate(old.in.OccurredAt); err != nil {
		return incident.Incident{}, err
	}
	now := t.clock()
	e, err := t.newEvent(st, security.EventInput{
		Type:          security.EventIncidentUpdated,
		Actor:         recordsActor,
		Subject:       "incident:" + id.String(),
		CorrelationID: old.in.CorrelationID,
		Data:          auditJSON(map[string]any{"incident_id": id.String(), "fields": updatedFields(u)}),
	}, now)
	if err != nil {
		return incident.Incident{}, err
	}
	updated := old
	updated.in.Resolution = r
	updated.in.UpdatedAt = now
	st.incidents[id] = updated
	t.onRollback(func() { st.incidents[id] = old })
	t.pushEvent(st, e)
	return cloneIncident(updated.in), nil
}

// CreateIncident implements [store.Incidents].
func (s *Store) CreateIncident(ctx context.Context, in incident.Incident) (incident.Incident, error) {
	return do(ctx, s, true, func(t *tx) (incident.Incident, error) { return t.CreateIncident(ctx, in) })
}

// Incident implements [store.Incidents].
func (s *Store) Incident(ctx context.Context, id uuid.UUID) (incident.Incident, error) {
	return do(ctx, s, false, func(t *tx) (incident.Incident, error) { return t.Incident(ctx, id) })
}

// ListIncidents implements [store.Incidents].
func (s *Store) ListIncidents(ctx context.Context, f incident.Filter) (incident.Page, error) {
	return do(ctx, s, false, func(t *tx) (incident.Page, error) { return t.ListIncidents(ctx, f) })
}

// UpdateIncident implements [store.Incidents].
func (s *Store) UpdateIncident(ctx context.Context, id uuid.UUID, u incident.Update) (incident.Incident, error) {
	return do(ctx, s, true, func(t *tx) (incident.Incident, error) { return t.UpdateIncident(ctx, id, u) })
}
