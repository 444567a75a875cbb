package cab_test

import (
	"encoding/json"
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/internal/wire/wiretest"
	"github.com/buildworksai/trustgate/security"
	"github.com/shopspring/decimal"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// jsonDecisions are realistic decisions, one per rule, by name.
func jsonDecisions() map[string]cab.Decision {
	hash := security.Digest{0x9f, 0x86, 0xd0, 0x81, 0x88, 0x4c, 0x7d, 0x65, 0x9a, 0x2f, 0xea, 0xa0, 0xc5, 0x5a, 0xd0, 0x15}
	return map[string]cab.Decision{
		"decision_auto_approved": {
			Outcome: cab.AutoApproved, Reason: cab.Reason{Code: cab.ReasonWithinThreshold, Text: cab.ReasonWithinThreshold.Text()},
			Score: d("12.5"), Class: blastradius.ProductivityTools, Threshold: d("20"), ExceptionThreshold: d("85"),
			ModelVersion: "1.2", ModelHash: hash, Quorum: 1,
		},
		"decision_manual_review": {
			Outcome: cab.ManualReview, Reason: cab.Reason{Code: cab.ReasonClassNeverAuto, Text: cab.ReasonClassNeverAuto.Text()},
			Score: d("2"), Class: blastradius.CriticalInfrastructure, Threshold: d("0"), ExceptionThreshold: d("85"),
			ModelVersion: "1.2", Quorum: 3,
		},
		"decision_exception_required": {
			Outcome: cab.ExceptionRequired, Reason: cab.Reason{Code: cab.ReasonExceptionThreshold, Text: cab.ReasonExceptionThreshold.Text()},
			Score: d("86.125"), Class: blastradius.NonCritical, Threshold: d("30"), ExceptionThreshold: d("85"),
			ModelVersion: "2026.03-rc1", ModelHash: hash, Quorum: 1,
		},
	}
}

// sameDecision reports whether a and b hold the same values, decimals
// compared by value.
func sameDecision(a, b cab.Decision) bool {
	if !a.Score.Equal(b.Score) || !a.Threshold.Equal(b.Threshold) || !a.ExceptionThreshold.Equal(b.ExceptionThreshold) {
		return false
	}
	a.Score, a.Threshold, a.ExceptionThreshold = decimal.Zero, decimal.Zero, decimal.Zero
	b.Score, b.Threshold, b.ExceptionThreshold = decimal.Zero, decimal.Zero, decimal.Zero
	return a == b
}

func TestDecisionJSONGolden(t *testing.T) {
	for name, want := range jsonDecisions() {
		t.Run(name, func(t *testing.T) {
			b := wiretest.Golden(t, *update, name, want)
			var back cab.Decision
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("the golden form does not decode: %v", err)
			}
			if !sameDecision(back, want) {
				t.Errorf("decoded %+v, want %+v", back, want)
			}
		})
	}
}

func TestDecisionJSONRoundTripsEveryDecisionDecideMakes(t *testing.T) {
	m := model("10", "20", "30")
	for _, c := range blastradius.Classes() {
		for _, s := range []string{"0", "0.01", "12.5", "20", "20.0001", "84.99", "85", "100"} {
			got, err := cab.Decide(d(s), c, m)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			var back cab.Decision
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("%s: %v", b, err)
			}
			if !sameDecision(back, got) {
				t.Errorf("%s %s: decoded %+v, want %+v", c, s, back, got)
			}
		}
	}
}

func TestDecisionJSONWritesDecimalsAsStringsWhateverShopspringIsSetTo(t *testing.T) {
	// MarshalJSONWithoutQuotes is shopspring's global switch; the wire
	// format must not follow it. Restore it for the other tests.
	old := decimal.MarshalJSONWithoutQuotes
	decimal.MarshalJSONWithoutQuotes = true
	defer func() { decimal.MarshalJSONWithoutQuotes = old }()
	b, err := json.Marshal(jsonDecisions()["decision_auto_approved"])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"score":"12.5"`) {
		t.Errorf("score not a JSON string: %s", b)
	}
}

func TestDecisionJSONRejectsBadDocuments(t *testing.T) {
	good, err := json.Marshal(jsonDecisions()["decision_auto_approved"])
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
	for _, c := range []struct {
		name, doc, field string
	}{
		{"null", `null`, ""},
		{"an array", `[]`, ""},
		{"malformed JSON", `{"outcome":`, ""},
		{"an unknown member", edit(`"quorum":1`, `"quorum":1,"quorom":2`), "quorom"},
		{"an unknown member of the reason", edit(`"code":`, `"cod":"x","code":`), "reason.cod"},
		{"an unknown outcome", edit(`"auto_approved"`, `"approved"`), "outcome"},
		{"an unknown reason code", edit(`"SCORE_WITHIN_THRESHOLD"`, `"SCORE_OK"`), "reason.code"},
		{"an unknown class", edit(`"PRODUCTIVITY_TOOLS"`, `"productivity_tools"`), "class"},
		{"a missing outcome", edit(`"outcome":"auto_approved",`, ``), "outcome"},
		{"a missing reason", doc[:strings.Index(doc, `"reason"`)] + doc[strings.Index(doc, `"score"`):], "reason"},
		{"a null score", edit(`"12.5"`, `null`), "score"},
		{"a missing quorum", edit(`,"quorum":1`, ``), "quorum"},
		{"a number for a decimal", edit(`"12.5"`, `12.5`), "score"},
		{"a malformed decimal", edit(`"12.5"`, `"12,5"`), "score"},
		{"a decimal with an exponent", edit(`"85"`, `"8.5e1"`), "exception_threshold"},
		{"an empty decimal", edit(`"20"`, `""`), "threshold"},
		{"a malformed digest", edit(`"model_sha256":"9f`, `"model_sha256":"zz`), "model_sha256"},
		{"a string quorum", edit(`"quorum":1`, `"quorum":"1"`), "quorum"},
		{"a fractional quorum", edit(`"quorum":1`, `"quorum":1.5`), "quorum"},
		{"a negative quorum", edit(`"quorum":1`, `"quorum":-1`), "quorum"},
		{"a number for the model version", edit(`"1.2"`, `1.2`), "model_version"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := jsonDecisions()["decision_manual_review"]
			got := before
			err := got.UnmarshalJSON([]byte(c.doc))
			wiretest.Invalid(t, err, c.field)
			if !sameDecision(got, before) {
				t.Errorf("a failed decode changed the decision to %+v", got)
			}
		})
	}
}

func TestDecisionJSONUnknownClassWrapsTheClassError(t *testing.T) {
	var got cab.Decision
	err := json.Unmarshal([]byte(`{"outcome":"manual_review","reason":{"code":"SCORE_ABOVE_THRESHOLD","text":""},"score":"1","class":"HUGE","threshold":"1","exception_threshold":"2","model_version":"1","quorum":1}`), &got)
	if !errors.Is(err, blastradius.ErrUnknownClass) {
		t.Errorf("error %v does not wrap blastradius.ErrUnknownClass", err)
	}
	wiretest.Invalid(t, err, "class")
}

func TestDecisionJSONInsideAnotherDocument(t *testing.T) {
	type envelope struct {
		Decision *cab.Decision `json:"decision"`
	}
	var e envelope
	if err := json.Unmarshal([]byte(`{"decision":null}`), &e); err != nil || e.Decision != nil {
		t.Errorf("a null *Decision: %v, %v", e.Decision, err)
	}
	err := json.Unmarshal([]byte(`{"decision":{"outcome":"x"}}`), &e)
	wiretest.Invalid(t, err, "outcome")
}
