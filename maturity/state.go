package maturity

import (
	"fmt"
	"time"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/google/uuid"
)

// Level is a trust maturity level, from [Baseline] (0) to [OptimizedLevel]
// (4). Each level earns a little more automation than the one before.
type Level int

// The five levels.
const (
	Baseline       Level = 0
	CautiousLevel  Level = 1
	ModerateLevel  Level = 2
	MatureLevel    Level = 3
	OptimizedLevel Level = 4
)

// Valid reports whether l is one of the five levels.
func (l Level) Valid() bool { return l >= Baseline && l <= OptimizedLevel }

// String returns the level's number and name, such as "level 1 (Cautious)".
func (l Level) String() string {
	names := [...]string{"Baseline", "Cautious", "Moderate", "Mature", "Optimized"}
	if !l.Valid() {
		return fmt.Sprintf("level %d (invalid)", int(l))
	}
	return fmt.Sprintf("level %d (%s)", int(l), names[l])
}

// State is the installation's current trust maturity: the level in force,
// since when, and the risk model version that carries its thresholds.
type State struct {
	Level        Level
	Since        time.Time // when the level took effect
	ModelVersion string    // the risk model version activated with the level
	Reason       string    // why the level was entered (seed, progression, regression)
	// Kind is how the level was entered: Progression, Regression, or ""
	// for the seed's baseline.
	Kind Kind
	// Evaluation and EvaluationHash name the evaluation behind a
	// transition (its id and content hash); zero for the seed.
	Evaluation     uuid.UUID
	EvaluationHash security.Digest
	// Approvals are the CAB members' signed approvals of a progression.
	Approvals []Approval
	// Attestation is the state's statement signed by the service key (see
	// [VerifyState]).
	Attestation dsse.Envelope
}
