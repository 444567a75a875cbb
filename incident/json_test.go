package incident_test

import (
	"encoding/json"
	"flag"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/internal/wire/wiretest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var jsonFrom = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// jsonReports are realistic calibration reports, by name.
func jsonReports() map[string]incident.Report {
	busy := incident.Counts{
		From: jsonFrom, To: jsonFrom.Add(28 * 24 * time.Hour), Deployments: 412, Incidents: 7,
		BySeverity: map[incident.Severity]int64{incident.P1: 1, incident.P2: 2, incident.P3: 3, incident.P4: 1},
		DeploymentsByClass: map[blastradius.Class]int64{blastradius.CriticalInfrastructure: 12, blastradius.BusinessCritical: 80,
			blastradius.ProductivityTools: 200, blastradius.NonCritical: 120},
		IncidentsByClass:          map[blastradius.Class]int64{blastradius.CriticalInfrastructure: 1, blastradius.BusinessCritical: 3, blastradius.NonCritical: 3},
		DeploymentsByBand:         [incident.Bands]int64{150, 110, 60, 40, 20, 15, 9, 5, 2, 1},
		IncidentsByBand:           [incident.Bands]int64{0, 1, 1, 0, 2, 1, 1, 1, 0, 0},
		AutoApprovedWithIncidents: 2, Preventable: 3,
	}
	return map[string]incident.Report{
		"report_four_weeks": incident.NewReport(busy),
		"report_empty":      incident.NewReport(incident.Counts{From: jsonFrom, To: jsonFrom.Add(time.Hour + 500*time.Millisecond)}),
	}
}

func sameReport(a, b incident.Report) bool {
	if !a.IncidentRate.Equal(b.IncidentRate) || len(a.ByClass) != len(b.ByClass) || len(a.ByBand) != len(b.ByBand) {
		return false
	}
	for i := range a.ByClass {
		x, y := a.ByClass[i], b.ByClass[i]
		if !x.Rate.Equal(y.Rate) {
			return false
		}
		x.Rate, y.Rate = decimal.Zero, decimal.Zero
		if x != y {
			return false
		}
	}
	for i := range a.ByBand {
		x, y := a.ByBand[i], b.ByBand[i]
		if !x.Rate.Equal(y.Rate) {
			return false
		}
		x.Rate, y.Rate = decimal.Zero, decimal.Zero
		if x != y {
			return false
		}
	}
	return sameCounts(a.Counts, b.Counts)
}

func sameCounts(a, b incident.Counts) bool {
	if !maps.Equal(a.BySeverity, b.BySeverity) || !maps.Equal(a.DeploymentsByClass, b.DeploymentsByClass) ||
		!maps.Equal(a.IncidentsByClass, b.IncidentsByClass) {
		return false
	}
	a.BySeverity, b.BySeverity, a.DeploymentsByClass, b.DeploymentsByClass, a.IncidentsByClass, b.IncidentsByClass = nil, nil, nil, nil, nil, nil
	return reflect.DeepEqual(a, b)
}

func TestReportJSONGolden(t *testing.T) {
	for name, want := range jsonReports() {
		t.Run(name, func(t *testing.T) {
			b := wiretest.Golden(t, *update, name, want)
			var back incident.Report
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("the golden form does not decode: %v", err)
			}
			if !sameReport(back, want) {
				t.Errorf("decoded %+v\nwant %+v", back, want)
			}
		})
	}
}

func TestCountsJSONRoundTrips(t *testing.T) {
	for name, r := range jsonReports() {
		b, err := json.Marshal(r.Counts)
		if err != nil {
			t.Fatal(err)
		}
		var back incident.Counts
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %s: %v", name, b, err)
		}
		if !sameCounts(back, r.Counts) {
			t.Errorf("%s: decoded %+v, want %+v", name, back, r.Counts)
		}
	}
}

func TestReportJSONKeysTheMapsByEnumNames(t *testing.T) {
	b, err := json.Marshal(jsonReports()["report_four_weeks"])
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"by_severity":{"P1":1,"P2":2,"P3":3,"P4":1}`, `"incidents_by_class":{"BUSINESS_CRITICAL":3,`,
		`"incident_rate":"0.01699"`, `"from":"2026-03-02T00:00:00Z"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s not in %s", want, b)
		}
	}
}

func TestReportJSONRejectsBadDocuments(t *testing.T) {
	good, err := json.Marshal(jsonReports()["report_four_weeks"])
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
		{"an array", `[{}]`, ""},
		{"an unknown member", edit(`"preventable":3`, `"preventable":3,"prevented":1`), "prevented"},
		{"an unknown severity", edit(`"P4":1`, `"P5":1`), "by_severity[P5]"},
		{"a lower-case class key", edit(`"incidents_by_class":{"BUSINESS_CRITICAL"`, `"incidents_by_class":{"business_critical"`), "incidents_by_class[business_critical]"},
		{"a negative map count", edit(`"P1":1`, `"P1":-1`), "by_severity[P1]"},
		{"a string map count", edit(`"P1":1`, `"P1":"1"`), "by_severity[P1]"},
		{"by_severity an array", edit(`"by_severity":{"P1":1,"P2":2,"P3":3,"P4":1}`, `"by_severity":[1,2]`), "by_severity"},
		{"a missing map", edit(`"deployments_by_class":{`, `"deployments_by_klass":{`), "deployments_by_klass"},
		{"too few bands", edit(`"deployments_by_band":[150,`, `"deployments_by_band":[`), "deployments_by_band"},
		{"too many bands", edit(`"incidents_by_band":[0,`, `"incidents_by_band":[0,0,`), "incidents_by_band[10]"},
		{"a negative band count", edit(`"deployments_by_band":[150,`, `"deployments_by_band":[-150,`), "deployments_by_band[0]"},
		{"a missing time", edit(`"from":"2026-03-02T00:00:00Z",`, ``), "from"},
		{"a malformed time", edit(`"2026-03-02T00:00:00Z"`, `"2026-03-02 00:00:00Z"`), "from"},
		{"a negative count", edit(`"preventable":3`, `"preventable":-3`), "preventable"},
		{"a malformed rate", edit(`"incident_rate":"0.01699"`, `"incident_rate":"1.7%"`), "incident_rate"},
		{"an unknown class rate", edit(`{"class":"NON_CRITICAL"`, `{"class":"OTHER"`), "by_class[3].class"},
		{"a class rate without rate", edit(`"class":"CRITICAL_INFRASTRUCTURE","deployments":12,"incidents":1,"rate":"0.083333"`, `"class":"CRITICAL_INFRASTRUCTURE","deployments":12,"incidents":1`), "by_class[0].rate"},
		{"a band out of range", edit(`{"band":9,`, `{"band":10,`), "by_band[9].band"},
		{"a band rate with an unknown member", edit(`{"band":0,`, `{"band":0,"mid":5,`), "by_band[0].mid"},
		{"a missing by_band", doc[:strings.Index(doc, `,"by_band"`)] + "}", "by_band"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := jsonReports()["report_empty"]
			got := before
			wiretest.Invalid(t, got.UnmarshalJSON([]byte(c.doc)), c.field)
			if !sameReport(got, before) {
				t.Errorf("a failed decode changed the report to %+v", got)
			}
		})
	}
}

func jsonDeployments() map[string]incident.Deployment {
	finished := jsonFrom.Add(3*time.Hour + 250*time.Millisecond)
	return map[string]incident.Deployment{
		"deployment_auto_approved": {
			ID: uuid.MustParse("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"), Application: "zoom",
			EvidenceID: uuid.MustParse("2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"), RequestID: uuid.MustParse("3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f"),
			Class: blastradius.ProductivityTools, AutoApproved: true, RiskScore: decimal.RequireFromString("12.5"),
			ModelVersion: "1.2", FinishedAt: finished, CreatedAt: finished.Add(time.Second),
		},
		"deployment_unrecorded": {
			ID: uuid.MustParse("4d5e6f7a-8b9c-4d0e-9f2a-3b4c5d6e7f80"), Application: "sap-gui",
			Class: blastradius.BusinessCritical, RiskScore: decimal.RequireFromString("41"), ModelVersion: "1.2", FinishedAt: finished,
		},
	}
}

func sameDeployment(a, b incident.Deployment) bool {
	if !a.RiskScore.Equal(b.RiskScore) {
		return false
	}
	a.RiskScore, b.RiskScore = decimal.Zero, decimal.Zero
	return a == b
}

func TestDeploymentJSONGolden(t *testing.T) {
	for name, want := range jsonDeployments() {
		t.Run(name, func(t *testing.T) {
			b := wiretest.Golden(t, *update, name, want)
			var back incident.Deployment
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("the golden form does not decode: %v", err)
			}
			if !sameDeployment(back, want) {
				t.Errorf("decoded %+v, want %+v", back, want)
			}
		})
	}
}

func TestDeploymentJSONRejectsBadDocuments(t *testing.T) {
	good, err := json.Marshal(jsonDeployments()["deployment_auto_approved"])
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
		{"an unknown member", edit(`"application"`, `"app":"x","application"`), "app"},
		{"a missing id", edit(`"id":"1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",`, ``), "id"},
		{"a braced evidence id", edit(`"2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"`, `"{2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e}"`), "evidence_id"},
		{"a malformed request id", edit(`"3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f"`, `"3c4d5e6f"`), "request_id"},
		{"an unknown class", edit(`"PRODUCTIVITY_TOOLS"`, `"TOOLS"`), "class"},
		{"a number for the score", edit(`"risk_score":"12.5"`, `"risk_score":12.5`), "risk_score"},
		{"a missing finish time", edit(`"finished_at":"2026-03-02T03:00:00.25Z",`, ``), "finished_at"},
		{"a malformed created_at", edit(`"created_at":"2026-03-02T03:00:01.25Z"`, `"created_at":"yesterday"`), "created_at"},
		{"a string auto_approved", edit(`"auto_approved":true`, `"auto_approved":"yes"`), "auto_approved"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := jsonDeployments()["deployment_unrecorded"]
			got := before
			wiretest.Invalid(t, got.UnmarshalJSON([]byte(c.doc)), c.field)
			if !sameDeployment(got, before) {
				t.Errorf("a failed decode changed the deployment to %+v", got)
			}
		})
	}
}
