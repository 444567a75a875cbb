package incident_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/internal/wire/wiretest"
	"github.com/buildworksai/trustgate/security/dsse"
)

func jsonIncidents(t testing.TB) map[string]incident.Incident {
	s, err := dsse.NewSigner(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize)))
	if err != nil {
		t.Fatal(err)
	}
	env, err := dsse.Seal("application/vnd.in-toto+json", []byte(`{"incident":"inc-2041"}`), s)
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	occurred := jsonFrom.Add(50 * time.Hour)
	return map[string]incident.Incident{
		"incident_resolved": {
			ID: uuid.MustParse("5e6f7a8b-9c0d-4e1f-8a3b-4c5d6e7f8091"), CorrelationID: "inc-2041", Severity: incident.P2,
			OccurredAt: occurred, Application: "zoom", DeploymentID: uuid.MustParse("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"),
			EvidenceID: uuid.MustParse("2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"), CABApprovalID: uuid.MustParse("3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f"),
			Attribution: incident.AttributionReported, WasAutoApproved: true, RiskScoreAtApproval: decimal.RequireFromString("12.5"),
			BlastRadius: blastradius.ProductivityTools, AffectedUsers: 340, DowntimeMinutes: 45, BusinessImpactUSD: decimal.RequireFromString("12000.50"),
			Resolution: incident.Resolution{RootCause: "a plug-in incompatible with the new client", Resolution: "rolled back to 6.0.2",
				ResolvedAt: occurred.Add(2 * time.Hour), WasPreventable: &yes, PreventabilityNotes: "the plug-in matrix was not tested",
				ControlImprovements: json.RawMessage(`["test the plug-in matrix before release"]`)},
			CreatedAt: occurred.Add(10 * time.Minute), UpdatedAt: occurred.Add(2*time.Hour + time.Minute), Attestation: env,
		},
		"incident_open_unattributed": {
			ID: uuid.MustParse("6f7a8b9c-0d1e-4f2a-9b4c-5d6e7f8091a2"), CorrelationID: "inc-2042", Severity: incident.P4,
			OccurredAt: occurred, Application: "sap-gui", RiskScoreAtApproval: decimal.Zero, BusinessImpactUSD: decimal.Zero,
		},
	}
}

func sameIncident(a, b incident.Incident) bool {
	if !a.RiskScoreAtApproval.Equal(b.RiskScoreAtApproval) || !a.BusinessImpactUSD.Equal(b.BusinessImpactUSD) {
		return false
	}
	a.RiskScoreAtApproval, b.RiskScoreAtApproval, a.BusinessImpactUSD, b.BusinessImpactUSD = decimal.Zero, decimal.Zero, decimal.Zero, decimal.Zero
	return reflect.DeepEqual(a, b)
}

func TestIncidentJSONGolden(t *testing.T) {
	for name, want := range jsonIncidents(t) {
		t.Run(name, func(t *testing.T) {
			b := wiretest.Golden(t, *update, name, want)
			var back incident.Incident
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("the golden form does not decode: %v", err)
			}
			if !sameIncident(back, want) {
				t.Errorf("decoded %+v\nwant %+v", back, want)
			}
		})
	}
}

func TestIncidentJSONRejectsBadDocuments(t *testing.T) {
	good, err := json.Marshal(jsonIncidents(t)["incident_resolved"])
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
		{"an unknown member", edit(`"root_cause"`, `"cause":"","root_cause"`), "cause"},
		{"an unknown severity", edit(`"severity":"P2"`, `"severity":"SEV2"`), "severity"},
		{"an unknown attribution", edit(`"attribution":"reported"`, `"attribution":"guessed"`), "attribution"},
		{"an unknown blast radius", edit(`"blast_radius":"PRODUCTIVITY_TOOLS"`, `"blast_radius":"TOOLS"`), "blast_radius"},
		{"a missing occurred_at", edit(`"occurred_at":"2026-03-04T02:00:00Z",`, ``), "occurred_at"},
		{"a malformed resolved_at", edit(`"resolved_at":"2026-03-04T04:00:00Z"`, `"resolved_at":"2026-03-04T04:00Z"`), "resolved_at"},
		{"a malformed deployment id", edit(`"deployment_id":"1a2b3c4d-`, `"deployment_id":"1a2b3c4d`), "deployment_id"},
		{"a number for the impact", edit(`"business_impact_usd":"12000.5"`, `"business_impact_usd":12000.5`), "business_impact_usd"},
		{"negative affected users", edit(`"affected_users":340`, `"affected_users":-340`), "affected_users"},
		{"a string for was_preventable", edit(`"was_preventable":true`, `"was_preventable":"yes"`), "was_preventable"},
		{"control improvements as a string", strings.Replace(doc, `["test the plug-in matrix before release"]`, `"test it"`, 1), "control_improvements"},
		{"an attestation with a bad signature", edit(`"sig":"`, `"sig":"*`), "attestation.signatures[0].sig"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := jsonIncidents(t)["incident_open_unattributed"]
			got := before
			err := got.UnmarshalJSON([]byte(c.doc))
			wiretest.Invalid(t, err, c.field)
			if strings.HasPrefix(c.field, "attestation") && !errors.Is(err, dsse.ErrMalformed) {
				t.Errorf("error %v does not wrap dsse.ErrMalformed", err)
			}
			if !sameIncident(got, before) {
				t.Errorf("a failed decode changed the incident to %+v", got)
			}
		})
	}
}

func FuzzIncidentUnmarshalJSON(f *testing.F) {
	for _, in := range jsonIncidents(f) {
		b, err := json.Marshal(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stable[incident.Incident](t, data)
	})
}
