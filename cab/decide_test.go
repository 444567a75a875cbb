package cab_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var epoch = time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)

// model returns a valid model with the given thresholds for
// BUSINESS_CRITICAL, PRODUCTIVITY_TOOLS and NON_CRITICAL and exception
// threshold 80.
func model(bus, prod, non string) *riskmodel.Version {
	v := riskmodel.Seed(epoch)
	v.Version = "test"
	v.Thresholds[blastradius.BusinessCritical] = decimal.RequireFromString(bus)
	v.Thresholds[blastradius.ProductivityTools] = decimal.RequireFromString(prod)
	v.Thresholds[blastradius.NonCritical] = decimal.RequireFromString(non)
	return &v
}

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestDecideFollowsTheRulesInOrder(t *testing.T) {
	level2 := model("10", "30", "50") // trust maturity level 2 thresholds
	seed := riskmodel.Seed(epoch)
	tests := []struct {
		name    string
		score   string
		class   blastradius.Class
		model   *riskmodel.Version
		outcome cab.Outcome
		code    cab.ReasonCode
	}{
		{"seed model sends a low-risk utility to review", "5", blastradius.NonCritical, &seed, cab.ManualReview, cab.ReasonAutomationNotEarned},
		{"seed example: business critical at 45 goes to review", "45", blastradius.BusinessCritical, &seed, cab.ManualReview, cab.ReasonAutomationNotEarned},
		{"score at the exception threshold needs an exception", "80", blastradius.NonCritical, level2, cab.ExceptionRequired, cab.ReasonExceptionThreshold},
		{"exception outranks the critical veto", "95", blastradius.CriticalInfrastructure, level2, cab.ExceptionRequired, cab.ReasonExceptionThreshold},
		{"critical infrastructure at score 0 is vetoed", "0", blastradius.CriticalInfrastructure, level2, cab.ManualReview, cab.ReasonClassNeverAuto},
		{"score equal to the threshold auto-approves", "30", blastradius.ProductivityTools, level2, cab.AutoApproved, cab.ReasonWithinThreshold},
		{"score just above the threshold is reviewed", "30.01", blastradius.ProductivityTools, level2, cab.ManualReview, cab.ReasonAboveThreshold},
		{"business critical within its threshold auto-approves", "9.99", blastradius.BusinessCritical, level2, cab.AutoApproved, cab.ReasonWithinThreshold},
		{"score just below the exception threshold is not an exception", "79.99", blastradius.NonCritical, level2, cab.ManualReview, cab.ReasonAboveThreshold},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cab.Decide(d(tt.score), tt.class, tt.model)
			require.NoError(t, err)
			assert.Equal(t, tt.outcome, got.Outcome)
			assert.Equal(t, tt.code, got.Reason.Code)
			assert.Equal(t, tt.code.Text(), got.Reason.Text)
			assert.Equal(t, tt.class.Quorum(), got.Quorum)
			assert.Equal(t, tt.model.Version, got.ModelVersion)
			assert.True(t, got.Threshold.Equal(tt.model.Thresholds[tt.class]))
			assert.Equal(t, tt.code, got.Reasons()[0].Code, "the deciding reason comes first")
		})
	}
}

func TestReasonsListEveryRuleThatApplies(t *testing.T) {
	got, err := cab.Decide(d("95"), blastradius.CriticalInfrastructure, model("10", "30", "50"))
	require.NoError(t, err)
	codes := []cab.ReasonCode{}
	for _, r := range got.Reasons() {
		codes = append(codes, r.Code)
	}
	assert.Equal(t, []cab.ReasonCode{cab.ReasonExceptionThreshold, cab.ReasonClassNeverAuto}, codes)

	seed := riskmodel.Seed(epoch)
	got, err = cab.Decide(d("85"), blastradius.NonCritical, &seed)
	require.NoError(t, err)
	codes = codes[:0]
	for _, r := range got.Reasons() {
		codes = append(codes, r.Code)
	}
	assert.Equal(t, []cab.ReasonCode{cab.ReasonExceptionThreshold, cab.ReasonAutomationNotEarned}, codes)
}

func TestDecideRejectsBadInput(t *testing.T) {
	good := model("10", "30", "50")
	missing := model("10", "30", "50")
	delete(missing.Thresholds, blastradius.NonCritical)
	wild := model("10", "30", "50")
	wild.Thresholds[blastradius.NonCritical] = d("100.5")
	badException := model("10", "30", "50")
	badException.ExceptionThreshold = d("-1")

	tests := []struct {
		name  string
		score string
		class blastradius.Class
		model *riskmodel.Version
		field string
		also  error
	}{
		{"negative score", "-0.01", blastradius.NonCritical, good, "score", nil},
		{"score above 100", "100.01", blastradius.NonCritical, good, "score", nil},
		{"unknown class", "10", blastradius.Class("MISSION_CRITICAL"), good, "class", blastradius.ErrUnknownClass},
		{"empty class", "10", "", good, "class", blastradius.ErrUnknownClass},
		{"nil model", "10", blastradius.NonCritical, nil, "model", nil},
		{"model without a threshold for the class", "10", blastradius.NonCritical, missing, "model.thresholds[NON_CRITICAL]", riskmodel.ErrMissingThreshold},
		{"model with a threshold above 100", "10", blastradius.NonCritical, wild, "model.thresholds[NON_CRITICAL]", riskmodel.ErrOutOfRange},
		{"model with a negative exception threshold", "10", blastradius.NonCritical, badException, "model.exception_threshold", riskmodel.ErrOutOfRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cab.Decide(d(tt.score), tt.class, tt.model)
			var ie *trustgate.Error
			require.ErrorAs(t, err, &ie)
			assert.Equal(t, trustgate.Invalid, ie.Code)
			assert.Equal(t, tt.field, ie.Field)
			assert.True(t, strings.HasPrefix(ie.Error(), "cab: "+tt.field+": "), ie.Error())
			if tt.also != nil {
				assert.ErrorIs(t, err, tt.also)
			}
		})
	}
}

func TestDecideAcceptsTheEdgesOfTheScoreRange(t *testing.T) {
	m := model("10", "30", "50")
	for _, s := range []string{"0", "0.00", "100", "100.000"} {
		_, err := cab.Decide(d(s), blastradius.NonCritical, m)
		assert.NoError(t, err, s)
	}
}

func TestDecideDoesNotAllocate(t *testing.T) {
	m := model("10", "30", "50")
	score := d("29.5")
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := cab.Decide(score, blastradius.ProductivityTools, m); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Decide allocated %v times per call; the hot path must not allocate", allocs)
	}
}

func TestAnInputErrorWithoutCauseStillCarriesItsCode(t *testing.T) {
	_, err := cab.Decide(d("101"), blastradius.NonCritical, model("10", "30", "50"))
	e := trustgate.AsError(err)
	assert.Equal(t, trustgate.Invalid, e.Code)
	assert.Equal(t, "score", e.Field)
	assert.Nil(t, errors.Unwrap(err), "a score out of range has no cause beneath")
}

// decideCases are the four outcomes BenchmarkDecide, BenchmarkRulesDecide
// and BenchmarkDecideFloat64Floor measure, under model("10", "30", "50").
var decideCases = []struct {
	name  string
	score decimal.Decimal
	class blastradius.Class
}{
	{"AutoApproved", d("29.5"), blastradius.ProductivityTools},
	{"ManualReview", d("42.25"), blastradius.NonCritical},
	{"CriticalVeto", d("3"), blastradius.CriticalInfrastructure},
	{"Exception", d("91.75"), blastradius.BusinessCritical},
}

func BenchmarkDecide(b *testing.B) {
	m := model("10", "30", "50")
	for _, c := range decideCases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := cab.Decide(c.score, c.class, m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
