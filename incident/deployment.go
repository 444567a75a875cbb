package incident

import (
	"strings"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/internal/num"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Deployment records a deployment that went ahead: what went out, when, in
// which class, whether it was auto-approved, and with which risk score and
// model version. Deployments are the denominator of every incident rate.
type Deployment struct {
	ID           uuid.UUID // the deployment intent id
	Application  string
	EvidenceID   uuid.UUID // optional
	RequestID    uuid.UUID // the CAB request, optional
	Class        blastradius.Class
	AutoApproved bool
	RiskScore    decimal.Decimal // in [0, 100]
	ModelVersion string
	FinishedAt   time.Time // when it finished going out
	CreatedAt    time.Time // when it was recorded
}

// Validate checks a deployment record against now: an id, an application,
// a valid class, a score in [0, 100], a model version, and a finish time that
// is set and not later than now plus [MaxClockSkew].
func (d *Deployment) Validate(now time.Time) error {
	switch {
	case d.ID == uuid.Nil:
		return fieldErr("id", "required")
	case !d.Class.Valid():
		return fieldErr("class", "%q is not a blast radius class", d.Class)
	case !num.InRange(d.RiskScore, decimal.Zero, hundred):
		return fieldErr("risk_score", "%s is outside [0, 100]", d.RiskScore)
	case strings.TrimSpace(d.ModelVersion) == "":
		return fieldErr("model_version", "required")
	case d.FinishedAt.IsZero():
		return fieldErr("finished_at", "required")
	case d.FinishedAt.After(now.Add(MaxClockSkew)):
		return fieldErr("finished_at", "%s is in the future", d.FinishedAt.UTC().Format(time.RFC3339))
	}
	if err := checkShort("application", d.Application, true); err != nil {
		return err
	}
	return checkShort("model_version", d.ModelVersion, true)
}

// Bands is the number of risk-score bands: [0, 10), [10, 20), … [90, 100].
const Bands = 10

// Band returns the risk-score band of score: 0 for [0, 10) up to 9 for
// [90, 100] (100 belongs to the top band). Scores outside [0, 100] are
// clamped.
func Band(score decimal.Decimal) int {
	b := int(score.IntPart() / 10)
	return max(0, min(b, Bands-1))
}
