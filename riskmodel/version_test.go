package riskmodel_test

import (
	"errors"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var epoch = time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestSeedIsVersion11GreenfieldConservativeAndValid(t *testing.T) {
	v := riskmodel.Seed(epoch)
	require.NoError(t, v.Validate())
	assert.Equal(t, "1.1", v.Version)
	assert.Equal(t, riskmodel.GreenfieldConservative, v.Mode)
	for _, c := range blastradius.Classes() {
		th, ok := v.Threshold(c)
		assert.True(t, ok, c)
		assert.True(t, th.IsZero(), "%s threshold is %s", c, th)
	}
	assert.True(t, v.ExceptionThreshold.Equal(d("80")))
	assert.Equal(t, epoch, v.EffectiveAt)
	assert.Equal(t, epoch.AddDate(0, 0, 30), v.ReviewAt)
	assert.True(t, v.Approval.Approved)
	assert.True(t, v.Active)
	assert.Equal(t, riskmodel.DefaultWeights(), v.Weights)
}

func TestDefaultWeightsSumToExactlyOne(t *testing.T) {
	sum := decimal.Zero
	for _, w := range riskmodel.DefaultWeights() {
		sum = sum.Add(w)
	}
	assert.True(t, sum.Equal(decimal.NewFromInt(1)), "sum is %s", sum)
	assert.Len(t, riskmodel.DefaultWeights(), 7)
}

func TestValidateNamesTheFieldThatIsWrong(t *testing.T) {
	tests := []struct {
		name     string
		mutate   func(v *riskmodel.Version)
		field    string
		sentinel error
	}{
		{"empty version", func(v *riskmodel.Version) { v.Version = " " }, "version", riskmodel.ErrRequired},
		{"version with spaces", func(v *riskmodel.Version) { v.Version = "1.1 beta" }, "version", riskmodel.ErrMalformed},
		{"unknown mode", func(v *riskmodel.Version) { v.Mode = "YOLO" }, "mode", riskmodel.ErrMalformed},
		{"no effective date", func(v *riskmodel.Version) { v.EffectiveAt = time.Time{} }, "effective_at", riskmodel.ErrRequired},
		{"review before effective", func(v *riskmodel.Version) { v.ReviewAt = v.EffectiveAt.Add(-time.Hour) }, "review_at", riskmodel.ErrOutOfRange},
		{"review equal to effective", func(v *riskmodel.Version) { v.ReviewAt = v.EffectiveAt }, "review_at", riskmodel.ErrOutOfRange},
		{"missing threshold", func(v *riskmodel.Version) { delete(v.Thresholds, blastradius.NonCritical) }, "thresholds[NON_CRITICAL]", riskmodel.ErrMissingThreshold},
		{"no thresholds at all", func(v *riskmodel.Version) { v.Thresholds = nil }, "thresholds[CRITICAL_INFRASTRUCTURE]", riskmodel.ErrMissingThreshold},
		{"threshold above 100", func(v *riskmodel.Version) { v.Thresholds[blastradius.NonCritical] = d("100.01") }, "thresholds[NON_CRITICAL]", riskmodel.ErrOutOfRange},
		{"negative threshold", func(v *riskmodel.Version) { v.Thresholds[blastradius.BusinessCritical] = d("-1") }, "thresholds[BUSINESS_CRITICAL]", riskmodel.ErrOutOfRange},
		{"critical threshold not 0", func(v *riskmodel.Version) { v.Thresholds[blastradius.CriticalInfrastructure] = d("0.01") }, "thresholds[CRITICAL_INFRASTRUCTURE]", riskmodel.ErrCriticalThreshold},
		{"threshold for an unknown class", func(v *riskmodel.Version) { v.Thresholds["MISSION_CRITICAL"] = d("5") }, "thresholds[MISSION_CRITICAL]", riskmodel.ErrMalformed},
		{"no weights", func(v *riskmodel.Version) { v.Weights = nil }, "weights", riskmodel.ErrRequired},
		{"weights sum to 0.99", func(v *riskmodel.Version) { v.Weights[riskmodel.VendorHistory] = d("0.04") }, "weights", riskmodel.ErrWeightsSum},
		{"weights sum to 1.0000001", func(v *riskmodel.Version) { v.Weights[riskmodel.VendorHistory] = d("0.0500001") }, "weights", riskmodel.ErrWeightsSum},
		{"weight above 1", func(v *riskmodel.Version) {
			v.Weights = map[riskmodel.Factor]decimal.Decimal{"a": d("1.5"), "b": d("-0.5")}
		}, "weights[a]", riskmodel.ErrOutOfRange},
		{"factor name not an identifier", func(v *riskmodel.Version) {
			v.Weights = map[riskmodel.Factor]decimal.Decimal{"Supply Chain": d("1")}
		}, "weights[Supply Chain]", riskmodel.ErrMalformed},
		{"exception threshold above 100", func(v *riskmodel.Version) { v.ExceptionThreshold = d("101") }, "exception_threshold", riskmodel.ErrOutOfRange},
		{"approval without approver", func(v *riskmodel.Version) { v.Approval.By = "" }, "approval.by", riskmodel.ErrRequired},
		{"approval without time", func(v *riskmodel.Version) { v.Approval.At = time.Time{} }, "approval.at", riskmodel.ErrRequired},
		{"calibration that is an array", func(v *riskmodel.Version) { v.Calibration = []byte(`[1,2]`) }, "calibration", riskmodel.ErrMalformed},
		{"calibration that is not JSON", func(v *riskmodel.Version) { v.Calibration = []byte(`{"a":`) }, "calibration", riskmodel.ErrMalformed},
		{"active without approval", func(v *riskmodel.Version) { v.Approval = riskmodel.Approval{} }, "active", riskmodel.ErrNotApproved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := riskmodel.Seed(epoch)
			tt.mutate(&v)
			err := v.Validate()
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.sentinel)
			code := trustgate.Invalid
			if tt.sentinel == riskmodel.ErrNotApproved {
				code = trustgate.Conflict // well formed; its state forbids being active
				assert.Equal(t, "MODEL_NOT_APPROVED", trustgate.AsError(err).Reason)
			}
			assert.True(t, hasField(err, tt.field, code), "no %s error for %q in %v", code, tt.field, err)
		})
	}
}

// hasField reports whether any *trustgate.Error in err's tree names field
// with code.
func hasField(err error, field string, code trustgate.Code) bool {
	if fe, ok := err.(*trustgate.Error); ok && fe.Field == field && fe.Code == code {
		return true
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if hasField(e, field, code) {
				return true
			}
		}
	}
	return false
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	v := riskmodel.Seed(epoch)
	v.Version = ""
	v.Mode = "?"
	v.Weights[riskmodel.SupplyChain] = d("0.5")
	err := v.Validate()
	var fe *trustgate.Error
	require.True(t, errors.As(err, &fe))
	assert.Equal(t, trustgate.Invalid, fe.Code)
	assert.Equal(t, "version", fe.Field, "errors.As finds the first problem")
	assert.Equal(t, "version", trustgate.AsError(err).Field)
	for _, f := range []string{"version", "mode", "weights"} {
		assert.True(t, hasField(err, f, trustgate.Invalid), f)
	}
}

func TestCloneIsDeep(t *testing.T) {
	v := riskmodel.Seed(epoch)
	c := v.Clone()
	c.Thresholds[blastradius.NonCritical] = d("50")
	c.Weights[riskmodel.SupplyChain] = d("0.9")
	c.Calibration[0] = '['
	assert.True(t, v.Thresholds[blastradius.NonCritical].IsZero())
	assert.True(t, v.Weights[riskmodel.SupplyChain].Equal(d("0.15")))
	assert.Equal(t, byte('{'), v.Calibration[0])
}

func TestParseModeAndParseDecimal(t *testing.T) {
	for _, m := range riskmodel.Modes() {
		got, err := riskmodel.ParseMode(string(m))
		require.NoError(t, err)
		assert.Equal(t, m, got)
	}
	_, err := riskmodel.ParseMode("cautious")
	assert.ErrorIs(t, err, riskmodel.ErrMalformed)
	assert.Equal(t, trustgate.Invalid, trustgate.ErrorCode(err))
	assert.Equal(t, "mode", trustgate.AsError(err).Field)

	for _, ok := range []string{"0", "12.5", "-3", "+7", "100.00", "0.000001"} {
		_, err := riskmodel.ParseDecimal("score", ok)
		assert.NoError(t, err, ok)
	}
	for _, bad := range []string{"", "NaN", "nan", "Inf", "-Infinity", "0x10", " 5", "5 ", "1,5", "1..2", "--1", "e", "12abc", "１２", "1e2", "1E-7", "1e1000000000", ".5", "5.", "-", "1-2"} {
		_, err := riskmodel.ParseDecimal("score", bad)
		e := trustgate.AsError(err)
		require.NotNil(t, e, "%q", bad)
		assert.Equal(t, trustgate.Invalid, e.Code)
		assert.Equal(t, "score", e.Field)
		assert.ErrorIs(t, err, riskmodel.ErrMalformed)
	}
}
