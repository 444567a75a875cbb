package cab_test

import (
	"errors"
	"testing"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
)

// The float64 floor: Decide's rule written over float64, with the thresholds
// in an array indexed by class, the same range checks and comparisons in the
// same order, and a result of the same shape. It is the reference
// BenchmarkDecide is measured against in the same binary (BENCHMARKS.md,
// "The decision"); it is not exact and nothing uses it but the benchmark.

type floatModel struct {
	version    string
	thresholds [4]float64 // indexed by floatClassIndex
	exception  float64
}

type floatDecision struct {
	Outcome            cab.Outcome
	Reason             cab.Reason
	Score              float64
	Class              blastradius.Class
	Threshold          float64
	ExceptionThreshold float64
	ModelVersion       string
	Quorum             int
}

var errFloatInput = errors.New("invalid input")

// floatClassIndex maps a class to its array index, -1 for an invalid one.
func floatClassIndex(c blastradius.Class) int {
	switch c {
	case blastradius.CriticalInfrastructure:
		return 0
	case blastradius.BusinessCritical:
		return 1
	case blastradius.ProductivityTools:
		return 2
	case blastradius.NonCritical:
		return 3
	}
	return -1
}

var floatQuorum = [4]int{3, 2, 1, 1}

// floatReasons holds the reasons, texts included, by the rule that decides:
// a table lookup, cheaper than ReasonCode.Text.
var floatReasons = [...]cab.Reason{
	{Code: cab.ReasonExceptionThreshold, Text: cab.ReasonExceptionThreshold.Text()},
	{Code: cab.ReasonClassNeverAuto, Text: cab.ReasonClassNeverAuto.Text()},
	{Code: cab.ReasonAutomationNotEarned, Text: cab.ReasonAutomationNotEarned.Text()},
	{Code: cab.ReasonWithinThreshold, Text: cab.ReasonWithinThreshold.Text()},
	{Code: cab.ReasonAboveThreshold, Text: cab.ReasonAboveThreshold.Text()},
}

// decideFloat64 is not inlined, as Decide is not: both benchmarks measure a
// call.
//
//go:noinline
func decideFloat64(score float64, class blastradius.Class, m *floatModel) (floatDecision, error) {
	i := floatClassIndex(class)
	if i < 0 || m == nil {
		return floatDecision{}, errFloatInput
	}
	threshold := m.thresholds[i]
	if !(score >= 0 && score <= 100) || !(threshold >= 0 && threshold <= 100) || !(m.exception >= 0 && m.exception <= 100) {
		return floatDecision{}, errFloatInput
	}
	d := floatDecision{
		Score:              score,
		Class:              class,
		Threshold:          threshold,
		ExceptionThreshold: m.exception,
		ModelVersion:       m.version,
		Quorum:             floatQuorum[i],
	}
	switch {
	case score >= m.exception:
		d.Outcome, d.Reason = cab.ExceptionRequired, floatReasons[0]
	case i == 0:
		d.Outcome, d.Reason = cab.ManualReview, floatReasons[1]
	case threshold == 0:
		d.Outcome, d.Reason = cab.ManualReview, floatReasons[2]
	case score <= threshold:
		d.Outcome, d.Reason = cab.AutoApproved, floatReasons[3]
	default:
		d.Outcome, d.Reason = cab.ManualReview, floatReasons[4]
	}
	return d, nil
}

func BenchmarkDecideFloat64Floor(b *testing.B) {
	m := &floatModel{version: "test", thresholds: [4]float64{0, 10, 30, 50}, exception: 80}
	for _, c := range decideCases {
		score := c.score.InexactFloat64()
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := decideFloat64(score, c.class, m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRulesDecide is BenchmarkDecide with the model's rules prepared
// once (cab.NewRules), as a caller deciding many times under one model
// holds them.
func BenchmarkRulesDecide(b *testing.B) {
	rules, err := cab.NewRules(model("10", "30", "50"))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range decideCases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := rules.Decide(c.score, c.class); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
