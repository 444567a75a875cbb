package maturity_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/internal/wire/wiretest"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/security/dsse"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func jdec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

var jsonEpoch = time.Date(2026, 4, 6, 9, 30, 0, 0, time.UTC)

// approvalEnvelope is a DSSE envelope signed by a fixed Ed25519 key:
// deterministic, so the golden file is too.
func approvalEnvelope(t testing.TB, member string) dsse.Envelope {
	t.Helper()
	s, err := dsse.NewSigner(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize)))
	if err != nil {
		t.Fatal(err)
	}
	env, err := dsse.Seal("application/vnd.in-toto+json", []byte(`{"member":"`+member+`"}`), s)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// jsonEvaluations are realistic evaluations, by name.
func jsonEvaluations(t testing.TB) map[string]maturity.Evaluation {
	from := jsonEpoch.Add(-4 * maturity.Week)
	return map[string]maturity.Evaluation{
		"evaluation_progression_approved": {
			ID: uuid.MustParse("6b1e2f3a-4c5d-4e6f-9a0b-1c2d3e4f5a6b"), Kind: maturity.Progression,
			Level: maturity.Baseline, Target: maturity.CautiousLevel, PeriodFrom: from, PeriodTo: jsonEpoch,
			Deployments: 412, Incidents: 3, P1: 0, P2: 1, IncidentRate: jdec("0.0073"),
			Criteria: []maturity.Criterion{
				{Name: maturity.CriterionWeeksAtLevel, AtLeast: true, Required: jdec("4"), Actual: jdec("6"), Passed: true},
				{Name: maturity.CriterionMinDeployments, AtLeast: true, Required: jdec("100"), Actual: jdec("412"), Passed: true},
				{Name: maturity.CriterionIncidentRate, Required: jdec("0.02"), Actual: jdec("0.0073"), Passed: true},
				{Name: maturity.CriterionP1, Required: jdec("0"), Actual: jdec("0"), Passed: true},
				{Name: maturity.CriterionP2, Unlimited: true, Actual: jdec("1"), Passed: true},
			},
			Ready: true, Reason: "every criterion for level 1 (Cautious) passed",
			Decision: maturity.Decision{Approved: true, By: "alice", At: jsonEpoch.Add(26 * time.Hour), ModelVersion: "1.1"},
			Approvals: []maturity.Approval{
				{By: "alice", At: jsonEpoch.Add(25 * time.Hour), Envelope: approvalEnvelope(t, "alice")},
				{By: "bob", At: jsonEpoch.Add(26*time.Hour + 1500*time.Millisecond), Envelope: approvalEnvelope(t, "bob")},
			},
			CreatedAt: jsonEpoch.Add(time.Second),
		},
		"evaluation_regression": {
			ID: uuid.MustParse("7c2f3a4b-5d6e-4f70-8b1c-2d3e4f5a6b7c"), Kind: maturity.Regression,
			Level: maturity.ModerateLevel, Target: maturity.CautiousLevel, PeriodFrom: jsonEpoch.Add(-9 * 24 * time.Hour), PeriodTo: jsonEpoch,
			Deployments: 140, Incidents: 2, P1: 1, P2: 0, IncidentRate: jdec("0.0142857142857143"),
			Criteria: []maturity.Criterion{
				{Name: maturity.CriterionP1, Required: jdec("0"), Actual: jdec("1"), Passed: false},
			},
			Ready: true, Reason: "a P1 incident breached level 2 (Moderate)'s limits",
			Decision:  maturity.Decision{Approved: true, By: "trustgate", At: jsonEpoch, ModelVersion: "1.1"},
			CreatedAt: jsonEpoch,
		},
		"evaluation_hold_undecided": {
			ID: uuid.MustParse("8d3a4b5c-6e7f-4a81-9c2d-3e4f5a6b7c8d"), Kind: maturity.Hold,
			Level: maturity.OptimizedLevel, Target: maturity.OptimizedLevel, PeriodFrom: from, PeriodTo: jsonEpoch,
			Deployments: 0, IncidentRate: decimal.Zero, Reason: "at the top level within its limits",
			CreatedAt: jsonEpoch,
		},
	}
}

// sameEvaluation compares a and b, decimals by value.
func sameEvaluation(a, b maturity.Evaluation) bool {
	if !a.IncidentRate.Equal(b.IncidentRate) || len(a.Criteria) != len(b.Criteria) || len(a.Approvals) != len(b.Approvals) {
		return false
	}
	for i := range a.Criteria {
		x, y := a.Criteria[i], b.Criteria[i]
		if !x.Required.Equal(y.Required) || !x.Actual.Equal(y.Actual) {
			return false
		}
		x.Required, x.Actual, y.Required, y.Actual = decimal.Zero, decimal.Zero, decimal.Zero, decimal.Zero
		if x != y {
			return false
		}
	}
	for i := range a.Approvals {
		if !reflect.DeepEqual(a.Approvals[i], b.Approvals[i]) {
			return false
		}
	}
	a.IncidentRate, b.IncidentRate = decimal.Zero, decimal.Zero
	a.Criteria, b.Criteria, a.Approvals, b.Approvals = nil, nil, nil, nil
	return reflect.DeepEqual(a, b)
}

func TestEvaluationJSONGolden(t *testing.T) {
	for name, want := range jsonEvaluations(t) {
		t.Run(name, func(t *testing.T) {
			b := wiretest.Golden(t, *update, name, want)
			var back maturity.Evaluation
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("the golden form does not decode: %v", err)
			}
			if !sameEvaluation(back, want) {
				t.Errorf("decoded %+v\nwant %+v", back, want)
			}
		})
	}
}

func TestEvaluationJSONRoundTripsWhatEvaluateMakes(t *testing.T) {
	now := jsonEpoch
	for _, c := range []struct {
		level      maturity.Level
		deploys    int64
		p1, p2     int64
		cleanWeeks int
	}{{0, 412, 0, 1, 6}, {1, 90, 0, 0, 2}, {2, 300, 1, 0, 0}, {3, 1000, 0, 3, 12}, {4, 2000, 0, 0, 20}} {
		counts := incident.Counts{Deployments: c.deploys, Incidents: c.p1 + c.p2,
			BySeverity: map[incident.Severity]int64{incident.P1: c.p1, incident.P2: c.p2}}
		e := maturity.Evaluate(maturity.Levels(), maturity.Policy{}, maturity.Inputs{
			State: maturity.State{Level: c.level, Since: now.Add(-10 * maturity.Week)}, Now: now,
			Counts: counts, SinceEntry: counts, CleanWeeks: c.cleanWeeks,
		})
		e.ID, e.CreatedAt = uuid.MustParse("6b1e2f3a-4c5d-4e6f-9a0b-1c2d3e4f5a6b"), now
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var back maturity.Evaluation
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("level %d: %s: %v", c.level, b, err)
		}
		if !sameEvaluation(back, e) {
			t.Errorf("level %d: decoded %+v\nwant %+v", c.level, back, e)
		}
	}
}

func TestCriterionJSONWritesAnUnlimitedRequiredAsNullNeverZero(t *testing.T) {
	b, err := json.Marshal(maturity.Criterion{Name: maturity.CriterionP2, Unlimited: true, Actual: jdec("3"), Passed: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"name":"p2_incidents","at_least":false,"required":null,"unlimited":true,"actual":"3","passed":true}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
	var c maturity.Criterion
	if err := json.Unmarshal([]byte(`{"name":"p2_incidents","at_least":false,"unlimited":true,"actual":"3","passed":true}`), &c); err != nil || !c.Unlimited {
		t.Errorf("an absent required: %+v, %v", c, err)
	}
}

func TestEvaluationJSONRejectsBadDocuments(t *testing.T) {
	good, err := json.Marshal(jsonEvaluations(t)["evaluation_progression_approved"])
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
		{"an unknown member", edit(`"ready":true`, `"ready":true,"readiness":1`), "readiness"},
		{"an unknown kind", edit(`"progression"`, `"promotion"`), "kind"},
		{"a level above 4", edit(`"target":1`, `"target":5`), "target"},
		{"a negative level", edit(`"level":0`, `"level":-1`), "level"},
		{"a level as a name", edit(`"level":0`, `"level":"Baseline"`), "level"},
		{"a negative count", edit(`"deployments":412`, `"deployments":-412`), "deployments"},
		{"a missing p2", edit(`"p2":1,`, ``), "p2"},
		{"a malformed id", edit(`"6b1e2f3a-4c5d-4e6f-9a0b-1c2d3e4f5a6b"`, `"6b1e2f3a4c5d4e6f9a0b1c2d3e4f5a6b"`), "id"},
		{"a time without a zone", edit(`"period_to":"2026-04-06T09:30:00Z"`, `"period_to":"2026-04-06T09:30:00"`), "period_to"},
		{"a date for a time", edit(`"created_at":"2026-04-06T09:30:01Z"`, `"created_at":"2026-04-06"`), "created_at"},
		{"a number for the rate", edit(`"incident_rate":"0.0073"`, `"incident_rate":0.0073`), "incident_rate"},
		{"an unknown criterion", edit(`"weeks_at_level"`, `"weeks"`), "criteria[0].name"},
		{"a malformed actual", edit(`"actual":"412"`, `"actual":"four hundred"`), "criteria[1].actual"},
		{"a limited criterion without required", edit(`"required":"0.02"`, `"required":null`), "criteria[2].required"},
		{"an unlimited criterion with a required value", edit(`"required":null,"unlimited":true`, `"required":"0","unlimited":true`), "criteria[4].required"},
		{"an unlimited criterion that failed", edit(`"unlimited":true,"actual":"1","passed":true`, `"unlimited":true,"actual":"1","passed":false`), "criteria[4].passed"},
		{"a decision without by", edit(`"approved":true,"by":"alice",`, `"approved":true,`), "decision.by"},
		{"an unknown member of the decision", edit(`"approved":true,`, `"approved":true,"approver":"x",`), "decision.approver"},
		{"an approval without a time", edit(`"by":"bob","at":"2026-04-07T11:30:01.5Z",`, `"by":"bob",`), "approvals[1].at"},
		{"an approval's envelope without signatures", edit(`"signatures":[`, `"signaturez":[`), "approvals[0].envelope"},
		{"an approval's envelope with bad base64", edit(`"payload":"`, `"payload":"!`), "approvals[0].envelope.payload"},
		{"approvals not an array", strings.Replace(doc, doc[strings.Index(doc, `"approvals":`):strings.Index(doc, `,"created_at"`)], `"approvals":{}`, 1), "approvals"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := jsonEvaluations(t)["evaluation_regression"]
			got := before
			wiretest.Invalid(t, got.UnmarshalJSON([]byte(c.doc)), c.field)
			if !sameEvaluation(got, before) {
				t.Errorf("a failed decode changed the evaluation to %+v", got)
			}
		})
	}
}

func TestApprovalJSONMalformedEnvelopeKeepsDSSEsError(t *testing.T) {
	var a maturity.Approval
	err := json.Unmarshal([]byte(`{"by":"alice","at":"2026-04-06T09:30:00Z","envelope":{"payloadType":"x","payload":"e30=","signatures":[]}}`), &a)
	if !errors.Is(err, dsse.ErrMalformed) {
		t.Errorf("error %v does not wrap dsse.ErrMalformed", err)
	}
	wiretest.Invalid(t, err, "envelope.signatures")
}

func jsonStates(t testing.TB) map[string]maturity.State {
	return map[string]maturity.State{
		"state_seed": {Level: maturity.Baseline, Since: jsonEpoch.Add(-10 * maturity.Week), ModelVersion: "1.0", Reason: "seed"},
		"state_progression": {
			Level: maturity.CautiousLevel, Since: jsonEpoch.Add(26 * time.Hour), ModelVersion: "L1-6b1e2f3a",
			Reason: "progression to Cautious: every criterion for level 1 (Cautious) passed", Kind: maturity.Progression,
			Evaluation:     uuid.MustParse("6b1e2f3a-4c5d-4e6f-9a0b-1c2d3e4f5a6b"),
			EvaluationHash: [32]byte{0xde, 0xad, 0xbe, 0xef},
			Approvals: []maturity.Approval{
				{By: "alice", At: jsonEpoch.Add(25 * time.Hour), Envelope: approvalEnvelope(t, "alice")},
				{By: "bob", At: jsonEpoch.Add(26 * time.Hour), Envelope: approvalEnvelope(t, "bob")},
			},
			Attestation: approvalEnvelope(t, "trustgate"),
		},
	}
}

func TestStateJSONGolden(t *testing.T) {
	for name, want := range jsonStates(t) {
		t.Run(name, func(t *testing.T) {
			b := wiretest.Golden(t, *update, name, want)
			var back maturity.State
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("the golden form does not decode: %v", err)
			}
			if len(want.Approvals) == 0 {
				want.Approvals = nil
			}
			if !reflect.DeepEqual(back, want) {
				t.Errorf("decoded %+v\nwant %+v", back, want)
			}
		})
	}
}

func TestStateJSONRejectsBadDocuments(t *testing.T) {
	good, err := json.Marshal(jsonStates(t)["state_progression"])
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
		{"an unknown member", edit(`"reason"`, `"why":"","reason"`), "why"},
		{"a level above 4", edit(`"level":1`, `"level":7`), "level"},
		{"a hold kind", edit(`"kind":"progression"`, `"kind":"hold"`), "kind"},
		{"a missing since", edit(`"since":"2026-04-07T11:30:00Z",`, ``), "since"},
		{"a malformed evaluation id", edit(`"evaluation_id":"6b1e2f3a-`, `"evaluation_id":"6b1e2f3a`), "evaluation_id"},
		{"a malformed evaluation hash", edit(`"evaluation_sha256":"deadbeef`, `"evaluation_sha256":"deadbeer`), "evaluation_sha256"},
		{"an attestation with an unknown member", edit(`"attestation":{`, `"attestation":{"x":1,`), "attestation"},
		{"an approval with a bad envelope", edit(`"envelope":{"payloadType":"`, `"envelope":{"payloadType":"","x":"`), "approvals[0].envelope.payloadType"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := jsonStates(t)["state_seed"]
			got := before
			wiretest.Invalid(t, got.UnmarshalJSON([]byte(c.doc)), c.field)
			if !reflect.DeepEqual(got, before) {
				t.Errorf("a failed decode changed the state to %+v", got)
			}
		})
	}
}
