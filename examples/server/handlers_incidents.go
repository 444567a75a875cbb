package main

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
)

// newIncidentDTO is the body of POST /api/v1/incidents. Linkage facts
// (auto-approval, risk score, class) are taken from the deployment record
// when the incident is linked to one.
type newIncidentDTO struct {
	CorrelationID       string          `json:"correlation_id,omitempty"`
	Severity            string          `json:"severity"`
	OccurredAt          time.Time       `json:"occurred_at"`
	Application         string          `json:"application,omitempty"`
	DeploymentID        string          `json:"deployment_id,omitempty"`
	AffectedUsers       int             `json:"affected_users,omitempty"`
	DowntimeMinutes     int             `json:"downtime_minutes,omitempty"`
	BusinessImpactUSD   string          `json:"business_impact_usd,omitempty"`
	RootCause           string          `json:"root_cause,omitempty"`
	Resolution          string          `json:"resolution,omitempty"`
	ResolvedAt          *time.Time      `json:"resolved_at,omitempty"`
	WasPreventable      *bool           `json:"was_preventable,omitempty"`
	PreventabilityNotes string          `json:"preventability_notes,omitempty"`
	ControlImprovements json.RawMessage `json:"control_improvements,omitempty"`
}

func (d *newIncidentDTO) toIncident(key string) (incident.Incident, error) {
	sev, err := incident.ParseSeverity(d.Severity)
	if err != nil {
		return incident.Incident{}, err
	}
	in := incident.Incident{
		CorrelationID: key, Severity: sev, OccurredAt: d.OccurredAt, Application: d.Application,
		AffectedUsers: d.AffectedUsers, DowntimeMinutes: d.DowntimeMinutes,
		Resolution: incident.Resolution{RootCause: d.RootCause, Resolution: d.Resolution, WasPreventable: d.WasPreventable,
			PreventabilityNotes: d.PreventabilityNotes, ControlImprovements: d.ControlImprovements},
	}
	if d.ResolvedAt != nil {
		in.ResolvedAt = *d.ResolvedAt
	}
	if d.DeploymentID != "" {
		if in.DeploymentID, err = parseUUID("deployment_id", d.DeploymentID); err != nil {
			return in, err
		}
	}
	if d.BusinessImpactUSD != "" {
		if in.BusinessImpactUSD, err = parseDecimal("business_impact_usd", d.BusinessImpactUSD); err != nil {
			return in, err
		}
	}
	return in, nil
}

// createIncident: POST /api/v1/incidents. Idempotent on the correlation
// id: the same report again answers 200 with the stored incident; a
// different report under the same id is 409.
func (s *Server) createIncident(w http.ResponseWriter, r *http.Request, _ *principal) error {
	var body newIncidentDTO
	if err := decodeJSON(w, r, s.maxBody, &body); err != nil {
		return err
	}
	key, err := idempotencyKey(r, body.CorrelationID)
	if err != nil {
		return err
	}
	in, err := body.toIncident(key)
	if err != nil {
		return err
	}
	in.ID = s.newID()
	stored, err := s.store.CreateIncident(r.Context(), in)
	if errors.Is(err, store.ErrNotFound) {
		return newHTTPError(http.StatusUnprocessableEntity, codeValidationFailed, "deployment_id",
			"the deployment is not recorded: "+err.Error())
	}
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if stored.ID != in.ID {
		status = http.StatusOK
	}
	w.Header().Set("Location", "/api/v1/incidents/"+stored.ID.String())
	writeJSON(w, status, stored)
	return nil
}

// getIncident: GET /api/v1/incidents/{id}: incident.Incident's JSON form,
// with the service key's attestation.
func (s *Server) getIncident(w http.ResponseWriter, r *http.Request, _ *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	in, err := s.store.Incident(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, in)
	return nil
}

// incidentPageDTO is one page of incidents, newest first, each in
// incident.Incident's JSON form.
type incidentPageDTO struct {
	Incidents  []incident.Incident `json:"incidents"`
	NextCursor string              `json:"next_cursor,omitempty"`
}

// listIncidents: GET /api/v1/incidents?severity=&class=&from=&to=
// &auto_approved=&deployment_id=&limit=&cursor=. Pages are keyset
// paginated: pass next_cursor as cursor.
func (s *Server) listIncidents(w http.ResponseWriter, r *http.Request, _ *principal) error {
	f, err := incidentFilter(r)
	if err != nil {
		return err
	}
	page, err := s.store.ListIncidents(r.Context(), f)
	if err != nil {
		return err
	}
	out := incidentPageDTO{Incidents: page.Incidents}
	if out.Incidents == nil {
		out.Incidents = []incident.Incident{} // an empty page is [], not null
	}
	if page.Next != nil {
		out.NextCursor = page.Next.String()
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func incidentFilter(r *http.Request) (incident.Filter, error) {
	q := r.URL.Query()
	var f incident.Filter
	for name := range q {
		switch name {
		case "severity", "class", "from", "to", "auto_approved", "deployment_id", "limit", "cursor":
		default:
			return f, queryError(name, "unknown query parameter")
		}
	}
	if v := q.Get("severity"); v != "" {
		sev, err := incident.ParseSeverity(v)
		if err != nil {
			return f, err
		}
		f.Severity = &sev
	}
	if v := q.Get("class"); v != "" {
		c, err := blastradius.Parse(v)
		if err != nil {
			return f, err
		}
		f.Class = &c
	}
	var err error
	if f.From, err = queryTime(r, "from"); err != nil {
		return f, err
	}
	if f.To, err = queryTime(r, "to"); err != nil {
		return f, err
	}
	if v := q.Get("auto_approved"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return f, queryError("auto_approved", strconv.Quote(v)+" is not true or false")
		}
		f.AutoApproved = &b
	}
	if v := q.Get("deployment_id"); v != "" {
		id, err := uuid.Parse(v)
		if err != nil {
			return f, queryError("deployment_id", strconv.Quote(v)+" is not a UUID")
		}
		f.DeploymentID = &id
	}
	if f.Limit, err = queryInt(r, "limit", 0); err != nil {
		return f, err
	}
	if v := q.Get("cursor"); v != "" {
		c, err := incident.ParseCursor(v)
		if err != nil {
			return f, err
		}
		f.After = &c
	}
	return f, f.Validate()
}

// incidentUpdateDTO is the body of PATCH /api/v1/incidents/{id}: the
// resolution fields to change. Absent (or null) fields are left as they
// are; linkage and severity cannot be changed.
type incidentUpdateDTO struct {
	RootCause           *string          `json:"root_cause"`
	Resolution          *string          `json:"resolution"`
	ResolvedAt          *time.Time       `json:"resolved_at"`
	WasPreventable      *bool            `json:"was_preventable"`
	PreventabilityNotes *string          `json:"preventability_notes"`
	ControlImprovements *json.RawMessage `json:"control_improvements"`
}

// updateIncident: PATCH /api/v1/incidents/{id}. Applying the same update
// twice leaves the incident as the first did.
func (s *Server) updateIncident(w http.ResponseWriter, r *http.Request, _ *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var body incidentUpdateDTO
	if err := decodeJSON(w, r, s.maxBody, &body); err != nil {
		return err
	}
	u := incident.Update{RootCause: body.RootCause, Resolution: body.Resolution, ResolvedAt: body.ResolvedAt,
		WasPreventable: body.WasPreventable, PreventabilityNotes: body.PreventabilityNotes,
		ControlImprovements: body.ControlImprovements}
	if u == (incident.Update{}) {
		return newHTTPError(http.StatusUnprocessableEntity, codeValidationFailed, "",
			"nothing to update: give at least one of root_cause, resolution, resolved_at, was_preventable, preventability_notes, control_improvements")
	}
	in, err := s.store.UpdateIncident(r.Context(), id, u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, in)
	return nil
}
