package riskmodel_test

import (
	"encoding/json"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/buildworksai/trustgate/internal/wire/wiretest"
	"github.com/buildworksai/trustgate/riskmodel"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// jsonScore is the seed model's score of a realistic deployment.
func jsonScore(t testing.TB) riskmodel.Score {
	v := riskmodel.Seed(time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC))
	v.Version = "1.2"
	factors := map[riskmodel.Factor]decimal.Decimal{}
	for i, f := range []riskmodel.Factor{riskmodel.PrivilegeElevation, riskmodel.BlastRadius, riskmodel.ChangeComplexity,
		riskmodel.TestEvidence, riskmodel.SupplyChain, riskmodel.RollbackCapability, riskmodel.VendorHistory} {
		factors[f] = decimal.NewFromInt(int64(10 + 11*i)).Add(decimal.New(5, -1))
	}
	s, err := v.Score(factors)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sameScore(a, b riskmodel.Score) bool {
	if !a.Value.Equal(b.Value) || a.ModelVersion != b.ModelVersion || len(a.Contributions) != len(b.Contributions) {
		return false
	}
	for i, x := range a.Contributions {
		y := b.Contributions[i]
		if x.Factor != y.Factor || !x.Value.Equal(y.Value) || !x.Weight.Equal(y.Weight) || !x.Points.Equal(y.Points) {
			return false
		}
	}
	return true
}

func TestScoreJSONGolden(t *testing.T) {
	want := jsonScore(t)
	b := wiretest.Golden(t, *update, "score", want)
	var back riskmodel.Score
	if err := json.Unmarshal(b, &back); err != nil || !sameScore(back, want) {
		t.Errorf("decoded %+v, %v; want %+v", back, err, want)
	}
}

func TestScoreJSONRejectsBadDocuments(t *testing.T) {
	good, err := json.Marshal(jsonScore(t))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(good)
	edit := func(old, new string) string {
		if !strings.Contains(doc, old) {
			t.Fatalf("%q not in %s", old, doc)
		}
		return strings.Replace(doc, old, new, 1)
	}
	for _, c := range []struct{ name, doc, field string }{
		{"null", `null`, ""},
		{"an unknown member", edit(`"model_version"`, `"model":"","model_version"`), "model"},
		{"a number for the value", `{"value":41.5,"model_version":"1.2","contributions":[]}`, "value"},
		{"missing contributions", `{"value":"41.5","model_version":"1.2"}`, "contributions"},
		{"a factor that is not an identifier", edit(`"factor":"blast_radius"`, `"factor":"Blast Radius"`), "contributions[0].factor"},
		{"a malformed weight", edit(`"weight":"0.2"`, `"weight":"20%"`), "contributions[0].weight"},
		{"a contribution without points", `{"value":"1","model_version":"1","contributions":[{"factor":"x","value":"1","weight":"1"}]}`, "contributions[0].points"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := jsonScore(t)
			got := before
			wiretest.Invalid(t, got.UnmarshalJSON([]byte(c.doc)), c.field)
			if !sameScore(got, before) {
				t.Errorf("a failed decode changed the score to %+v", got)
			}
		})
	}
}

func FuzzScoreUnmarshalJSON(f *testing.F) {
	b, err := json.Marshal(jsonScore(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stable[riskmodel.Score](t, data)
	})
}
