package maturity

import (
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/internal/num"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/shopspring/decimal"
)

// Definition is one trust maturity level: what must hold, over the
// evaluation period, to enter it from the level below, and the
// auto-approve thresholds it brings.
type Definition struct {
	Level Level
	Name  string
	Mode  riskmodel.Mode
	// WeeksRequired is how many weeks the installation must have spent at
	// the level below before entering this one.
	WeeksRequired int
	// MaxIncidentRate, MaxP1 and MaxP2 are the limits over the period; nil
	// means unlimited. They are also the level's own limits: breaching them
	// while at the level steps it down.
	MaxIncidentRate *decimal.Decimal
	MaxP1, MaxP2    *int64
	// CleanWeeksRequired is how many consecutive weeks without a P1 or P2
	// incident entry needs (0: no such criterion).
	CleanWeeksRequired int
	// Thresholds are the auto-approve thresholds of the level's model.
	Thresholds map[blastradius.Class]decimal.Decimal
}

func ptr[T any](v T) *T { return &v }

func thresholds(crit, bus, prod, non int64) map[blastradius.Class]decimal.Decimal {
	return map[blastradius.Class]decimal.Decimal{
		blastradius.CriticalInfrastructure: decimal.NewFromInt(crit),
		blastradius.BusinessCritical:       decimal.NewFromInt(bus),
		blastradius.ProductivityTools:      decimal.NewFromInt(prod),
		blastradius.NonCritical:            decimal.NewFromInt(non),
	}
}

// Levels returns the five seed levels. Each call returns fresh values.
//
//	level           mode                     weeks  max rate  max P1  max P2  clean weeks  CRIT/BUS/PROD/NON
//	0 Baseline      GREENFIELD_CONSERVATIVE  —      —         —       —       —            0/0/0/0
//	1 Cautious      CAUTIOUS                 4      2%        0       —       —            0/5/20/30
//	2 Moderate      MODERATE                 4      1%        0       1       —            0/10/30/50
//	3 Mature        MATURE                   4      0.5%      0       0       —            0/20/45/65
//	4 Optimized     OPTIMIZED                4      0.1%      0       0       8            0/25/50/75
func Levels() []Definition {
	return []Definition{
		{Level: Baseline, Name: "Baseline", Mode: riskmodel.GreenfieldConservative, Thresholds: thresholds(0, 0, 0, 0)},
		{Level: CautiousLevel, Name: "Cautious", Mode: riskmodel.Cautious, WeeksRequired: 4,
			MaxIncidentRate: ptr(decimal.RequireFromString("0.02")), MaxP1: ptr[int64](0),
			Thresholds: thresholds(0, 5, 20, 30)},
		{Level: ModerateLevel, Name: "Moderate", Mode: riskmodel.Moderate, WeeksRequired: 4,
			MaxIncidentRate: ptr(decimal.RequireFromString("0.01")), MaxP1: ptr[int64](0), MaxP2: ptr[int64](1),
			Thresholds: thresholds(0, 10, 30, 50)},
		{Level: MatureLevel, Name: "Mature", Mode: riskmodel.Mature, WeeksRequired: 4,
			MaxIncidentRate: ptr(decimal.RequireFromString("0.005")), MaxP1: ptr[int64](0), MaxP2: ptr[int64](0),
			Thresholds: thresholds(0, 20, 45, 65)},
		{Level: OptimizedLevel, Name: "Optimized", Mode: riskmodel.Optimized, WeeksRequired: 4,
			MaxIncidentRate: ptr(decimal.RequireFromString("0.001")), MaxP1: ptr[int64](0), MaxP2: ptr[int64](0),
			CleanWeeksRequired: 8, Thresholds: thresholds(0, 25, 50, 75)},
	}
}

// ErrInvalidLevels is wrapped by errors from [ValidateLevels].
var ErrInvalidLevels = errors.New("maturity: invalid level definitions")

// ValidateLevels checks a level ladder: levels 0 to 4 in order, valid modes,
// a threshold in [0, 100] for every class with CRITICAL_INFRASTRUCTURE at 0,
// and thresholds that never fall from one level to the next (so stepping
// down never raises one). A ladder that breaks one is an invalid-input
// error wrapping [ErrInvalidLevels] whose Field names the definition at
// fault: "levels", "levels[2].mode", "levels[3].thresholds[NON_CRITICAL]".
func ValidateLevels(levels []Definition) error {
	bad := func(field, format string, args ...any) error {
		return fieldErr(field, fmt.Sprintf(format, args...), ErrInvalidLevels)
	}
	if len(levels) != int(OptimizedLevel)+1 {
		return bad("levels", "want %d levels, got %d", OptimizedLevel+1, len(levels))
	}
	hundred := decimal.NewFromInt(100)
	for i, d := range levels {
		at := "levels[" + strconv.Itoa(i) + "]"
		if d.Level != Level(i) {
			return bad(at+".level", "position %d holds level %d", i, d.Level)
		}
		if !d.Mode.Valid() {
			return bad(at+".mode", "level %d: mode %q", i, d.Mode)
		}
		for _, c := range blastradius.Classes() {
			t, ok := d.Thresholds[c]
			field := at + ".thresholds[" + string(c) + "]"
			switch {
			case !ok || !num.InRange(t, decimal.Zero, hundred):
				return bad(field, "level %d: threshold of %s missing or outside [0, 100]", i, c)
			case c == blastradius.CriticalInfrastructure && !t.IsZero():
				return bad(field, "level %d: CRITICAL_INFRASTRUCTURE threshold must be 0", i)
			case i > 0 && num.Cmp(t, levels[i-1].Thresholds[c]) < 0:
				return bad(field, "level %d: %s threshold is below level %d's", i, c, i-1)
			}
		}
		if len(d.Thresholds) != len(blastradius.Classes()) {
			return bad(at+".thresholds", "level %d: thresholds for unknown classes", i)
		}
	}
	return nil
}

// Model returns the risk model of level d, not yet approved: named version,
// with d's mode and a copy of its thresholds, base's weights and exception
// threshold, effective at now and due for review 30 days later. It is the
// model a transition to d creates (approved, in [Progress] and [Regress]),
// and what a test or a simulation needs to build a scenario at level d.
// An invalid result (an empty version, a base without weights) is an
// invalid-input error naming the field.
//
// A model alone does not put an installation at a level: the level in force
// is the signed [State], and a level above the baseline is entered only by
// a transition (a CAB-approved progression, or a regression), so a scenario
// that starts at level 3 walks the ladder from level 0 with the CAB's
// approvals, as the quickstart does for level 1.
func (d Definition) Model(base riskmodel.Version, version string, now time.Time) (riskmodel.Version, error) {
	now = now.UTC()
	m := riskmodel.Version{
		Version:            version,
		Mode:               d.Mode,
		EffectiveAt:        now,
		ReviewAt:           now.AddDate(0, 0, 30),
		Thresholds:         d.cloneThresholds(),
		Weights:            maps.Clone(base.Weights),
		ExceptionThreshold: base.ExceptionThreshold,
		CreatedAt:          now,
	}
	if err := m.Validate(); err != nil {
		return riskmodel.Version{}, err
	}
	return m, nil
}

// cloneThresholds returns a copy of the level's thresholds.
func (d Definition) cloneThresholds() map[blastradius.Class]decimal.Decimal {
	return maps.Clone(d.Thresholds)
}
