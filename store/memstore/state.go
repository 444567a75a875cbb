package memstore

import (
	"bytes"
	"slices"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
)

// state is everything a Store holds. Every value in it is the store's own
// copy: normalised on the way in, copied again on the way out.
type state struct {
	// models holds every risk model version by version string, each with
	// Active false: active names the one active version instead, so that
	// there is never more than one.
	models map[string]riskmodel.Version
	active string // "" when no version is active

	classes  map[blastradius.Class]blastradius.Definition
	maturity *maturity.State // nil before InitMaturityState

	// events is the audit log in ascending Seq order; normally events[i]
	// has Seq i+1, but a Tamperer in tests may break that.
	events      []security.Event
	checkpoints map[checkpointKey]security.Checkpoint

	evidence              map[uuid.UUID]security.Evidence
	evidenceByCorrelation map[string]uuid.UUID

	deployments map[uuid.UUID]incident.Deployment
	// incidents holds every incident with the fingerprint of the report
	// that created it; incidentByCorrelation indexes them by correlation id.
	incidents             map[uuid.UUID]storedIncident
	incidentByCorrelation map[string]uuid.UUID

	evaluations map[uuid.UUID]maturity.Evaluation

	// requests holds every CAB request; requestByCorrelation indexes them
	// by correlation id.
	requests             map[uuid.UUID]cab.Request
	requestByCorrelation map[string]uuid.UUID
}

// checkpointKey identifies a checkpoint: one per log size and signing key.
type checkpointKey struct {
	size  int64
	keyID string
}

func newState() state {
	return state{
		models:      make(map[string]riskmodel.Version),
		classes:     make(map[blastradius.Class]blastradius.Definition),
		checkpoints: make(map[checkpointKey]security.Checkpoint),

		evidence:              make(map[uuid.UUID]security.Evidence),
		evidenceByCorrelation: make(map[string]uuid.UUID),

		deployments:           make(map[uuid.UUID]incident.Deployment),
		incidents:             make(map[uuid.UUID]storedIncident),
		incidentByCorrelation: make(map[string]uuid.UUID),
		evaluations:           make(map[uuid.UUID]maturity.Evaluation),

		requests:             make(map[uuid.UUID]cab.Request),
		requestByCorrelation: make(map[string]uuid.UUID),
	}
}

// normTime is t as the store keeps it: UTC, truncated to microseconds (what
// PostgreSQL keeps, so that every adapter reads back the same value).
func normTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// normVersion returns a deep copy of v with its times normalised.
func normVersion(v riskmodel.Version) riskmodel.Version {
	v = v.Clone()
	v.EffectiveAt = normTime(v.EffectiveAt)
	v.ReviewAt = normTime(v.ReviewAt)
	v.CreatedAt = normTime(v.CreatedAt)
	v.Approval.At = normTime(v.Approval.At)
	return v
}

// version returns a deep copy of the stored version v, with Active set.
func (st *state) version(v riskmodel.Version) riskmodel.Version {
	v = v.Clone()
	v.Active = v.Version == st.active
	return v
}

// cloneDefinition returns a deep copy of d.
func cloneDefinition(d blastradius.Definition) blastradius.Definition {
	d.Examples = slices.Clone(d.Examples)
	return d
}

// cloneEvent returns a deep copy of e.
func cloneEvent(e security.Event) security.Event {
	e.Data = bytes.Clone(e.Data)
	return e
}

// cloneCheckpoint returns a deep copy of c.
func cloneCheckpoint(c security.Checkpoint) security.Checkpoint {
	c.Signature = bytes.Clone(c.Signature)
	return c
}

// head is the head of the stored log: the last event's sequence number and
// hash, or the zero Head for an empty log.
func (st *state) head() security.Head {
	if len(st.events) == 0 {
		return security.Head{}
	}
	last := st.events[len(st.events)-1]
	return security.Head{Size: last.Seq, Hash: last.Hash}
}
