package riskmodel_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/internal/wire/wiretest"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security/dsse"
)

// signoffEnvelope is a DSSE envelope signed by a fixed Ed25519 key:
// deterministic, so the golden file is too.
func signoffEnvelope(t testing.TB, member string) dsse.Envelope {
	t.Helper()
	s, err := dsse.NewSigner(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize)))
	if err != nil {
		t.Fatal(err)
	}
	env, err := dsse.Seal("application/vnd.in-toto+json", []byte(`{"member":"`+member+`"}`), s)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// jsonVersions are realistic versions, by name: the seed as a new
// installation stores it, and a candidate two members signed off.
func jsonVersions(t testing.TB) map[string]riskmodel.Version {
	at := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	candidate := riskmodel.Version{
		Version: "2.0", Mode: riskmodel.Cautious, EffectiveAt: at.AddDate(0, 0, 7), ReviewAt: at.AddDate(0, 3, 7),
		Thresholds: map[blastradius.Class]decimal.Decimal{
			blastradius.CriticalInfrastructure: decimal.Zero,
			blastradius.BusinessCritical:       decimal.RequireFromString("10.5"),
			blastradius.ProductivityTools:      decimal.RequireFromString("35"),
			blastradius.NonCritical:            decimal.RequireFromString("50"),
		},
		Weights: riskmodel.DefaultWeights(), ExceptionThreshold: decimal.RequireFromString("77.25"),
		Approval: riskmodel.Approval{Approved: true, By: "bob", At: at.Add(26 * time.Hour)},
		Signoffs: []riskmodel.Signoff{
			{By: "alice", At: at.Add(25 * time.Hour), Envelope: signoffEnvelope(t, "alice")},
			{By: "bob", At: at.Add(26*time.Hour + 250*time.Millisecond), Envelope: signoffEnvelope(t, "bob")},
		},
		Calibration: json.RawMessage(`{"incidents":3,"weeks":12}`),
		CreatedBy:   "carol", CreatedAt: at,
	}
	return map[string]riskmodel.Version{"version_seed": riskmodel.Seed(at), "version_candidate": candidate}
}

func TestVersionJSONGolden(t *testing.T) {
	for name, want := range jsonVersions(t) {
		t.Run(name, func(t *testing.T) {
			b := wiretest.Golden(t, *update, name, want)
			var back riskmodel.Version
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("the golden form does not decode: %v", err)
			}
			requireSameVersion(t, back, want)
		})
	}
}

// TestAVersionReadBackHasItsContentHash: what decodes hashes as the
// version that was written, so signoffs over it still verify.
func TestAVersionReadBackHasItsContentHash(t *testing.T) {
	for name, want := range jsonVersions(t) {
		b, err := json.Marshal(want)
		if err != nil {
			t.Fatal(err)
		}
		var back riskmodel.Version
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		h1, err := want.ContentHash()
		if err != nil {
			t.Fatal(err)
		}
		h2, err := back.ContentHash()
		if err != nil {
			t.Fatal(err)
		}
		if h1 != h2 {
			t.Errorf("%s: content hash %x read back as %x", name, h1, h2)
		}
	}
}

// TestACandidateNeedsOnlyItsNumbers: the file a CAB member writes for a
// new version leaves out what only the store sets.
func TestACandidateNeedsOnlyItsNumbers(t *testing.T) {
	doc := `{"version":"2.1","mode":"CAUTIOUS","effective_at":"2026-03-17T00:00:00+01:00","review_at":"2026-06-17T00:00:00Z",
	 "thresholds":{"CRITICAL_INFRASTRUCTURE":"0","BUSINESS_CRITICAL":"10","PRODUCTIVITY_TOOLS":"30","NON_CRITICAL":"50"},
	 "weights":{"change_size":"0.5","test_coverage":"0.5"},"exception_threshold":"80"}`
	var v riskmodel.Version
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatal(err)
	}
	if v.Version != "2.1" || v.Approval.Approved || v.Active || len(v.Signoffs) != 0 || v.Calibration != nil {
		t.Errorf("decoded %+v", v)
	}
	if v.EffectiveAt.Location() != time.UTC || v.EffectiveAt.Hour() != 23 {
		t.Errorf("effective_at %v, want 2026-03-16T23:00:00Z", v.EffectiveAt)
	}
	if got := v.Thresholds[blastradius.NonCritical]; !got.Equal(decimal.NewFromInt(50)) {
		t.Errorf("NON_CRITICAL threshold %s", got)
	}
}

func TestVersionJSONRejectsBadDocuments(t *testing.T) {
	good, err := json.Marshal(jsonVersions(t)["version_candidate"])
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
		{"an unknown member", edit(`"active":false`, `"active":false,"quorum":2`), "quorum"},
		{"no version", edit(`"version":"2.0",`, ``), "version"},
		{"a version with a space", edit(`"version":"2.0"`, `"version":"2 0"`), "version"},
		{"an unknown mode", edit(`"mode":"CAUTIOUS"`, `"mode":"RECKLESS"`), "mode"},
		{"a threshold as a number", edit(`"BUSINESS_CRITICAL":"10.5"`, `"BUSINESS_CRITICAL":10.5`), "thresholds[BUSINESS_CRITICAL]"},
		{"a threshold with an exponent", edit(`"BUSINESS_CRITICAL":"10.5"`, `"BUSINESS_CRITICAL":"1e1"`), "thresholds[BUSINESS_CRITICAL]"},
		{"a threshold above 100", edit(`"NON_CRITICAL":"50"`, `"NON_CRITICAL":"100.01"`), "thresholds[NON_CRITICAL]"},
		{"critical infrastructure automated", edit(`"CRITICAL_INFRASTRUCTURE":"0"`, `"CRITICAL_INFRASTRUCTURE":"5"`), "thresholds[CRITICAL_INFRASTRUCTURE]"},
		{"a class missing", edit(`"NON_CRITICAL":"50",`, ``), "thresholds[NON_CRITICAL]"},
		{"an unknown class", edit(`"NON_CRITICAL":"50"`, `"NON_CRITICAL":"50","TOYS":"60"`), "thresholds[TOYS]"},
		{"weights that do not sum to 1", edit(`"weights":{`, `"weights":{"extra":"0.1",`), "weights"},
		{"a weight that is not a string", edit(`"weights":{`, `"weights":{"extra":0,`), "weights[extra]"},
		{"a malformed exception threshold", edit(`"exception_threshold":"77.25"`, `"exception_threshold":"77,25"`), "exception_threshold"},
		{"a review before the effective date", edit(`"review_at":"2026-06-17T00:00:00Z"`, `"review_at":"2026-03-01T00:00:00Z"`), "review_at"},
		{"a time without a zone", edit(`"effective_at":"2026-03-17T00:00:00Z"`, `"effective_at":"2026-03-17"`), "effective_at"},
		{"an approval without who", edit(`"approved":true,"by":"bob",`, `"approved":true,`), "approval.by"},
		{"an approval with another member", edit(`"approved":true,`, `"approved":true,"quorum":2,`), "approval.quorum"},
		{"a signoff without a time", edit(`"by":"alice","at":"2026-03-11T01:00:00Z",`, `"by":"alice",`), "signoffs[0].at"},
		{"a signoff with bad base64", edit(`"payload":"`, `"payload":"!`), "signoffs[0].envelope.payload"},
		{"a signoff without its envelope", edit(`"envelope":{`, `"envelop":{`), "signoffs[0].envelop"},
		{"calibration that is an array", edit(`"calibration":{"incidents":3,"weeks":12}`, `"calibration":[3,12]`), "calibration"},
		{"active as a string", edit(`"active":false`, `"active":"no"`), "active"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := riskmodel.Seed(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			got := before.Clone()
			wiretest.Invalid(t, got.UnmarshalJSON([]byte(c.doc)), c.field)
			requireSameVersion(t, got, before)
		})
	}
}

func requireSameVersion(t *testing.T, got, want riskmodel.Version) {
	t.Helper()
	same := got.Version == want.Version && got.Mode == want.Mode && got.EffectiveAt.Equal(want.EffectiveAt) &&
		got.ReviewAt.Equal(want.ReviewAt) && got.ExceptionThreshold.Equal(want.ExceptionThreshold) &&
		got.Approval.Approved == want.Approval.Approved && got.Approval.By == want.Approval.By &&
		got.Approval.At.Equal(want.Approval.At) && bytes.Equal(got.Calibration, want.Calibration) &&
		got.CreatedBy == want.CreatedBy && got.CreatedAt.Equal(want.CreatedAt) && got.Active == want.Active &&
		slices.Equal(slices.Sorted(maps.Keys(got.Thresholds)), slices.Sorted(maps.Keys(want.Thresholds))) &&
		slices.Equal(slices.Sorted(maps.Keys(got.Weights)), slices.Sorted(maps.Keys(want.Weights))) &&
		len(got.Signoffs) == len(want.Signoffs)
	for c, d := range want.Thresholds {
		same = same && got.Thresholds[c].Equal(d)
	}
	for f, d := range want.Weights {
		same = same && got.Weights[f].Equal(d)
	}
	for i := range want.Signoffs {
		if !same {
			break
		}
		g, w := got.Signoffs[i], want.Signoffs[i]
		ge, _ := g.Envelope.Marshal()
		we, _ := w.Envelope.Marshal()
		same = g.By == w.By && g.At.Equal(w.At) && bytes.Equal(ge, we)
	}
	if !same {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func FuzzVersionUnmarshalJSON(f *testing.F) {
	for _, v := range jsonVersions(f) {
		b, err := json.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"version":"1","thresholds":{"A":"1e400"},"weights":{"x":"1"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stable[riskmodel.Version](t, data)
	})
}
