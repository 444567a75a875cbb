package incident_test

import (
	"encoding/json"
	"testing"

	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/internal/wire/wiretest"
)

func FuzzReportUnmarshalJSON(f *testing.F) {
	for _, r := range jsonReports() {
		b, err := json.Marshal(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"by_severity":{"P1":1,"P1":2},"deployments_by_band":[1,2,3]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stable[incident.Report](t, data)
	})
}

func FuzzCountsUnmarshalJSON(f *testing.F) {
	for _, r := range jsonReports() {
		b, err := json.Marshal(r.Counts)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stable[incident.Counts](t, data)
	})
}

func FuzzDeploymentUnmarshalJSON(f *testing.F) {
	for _, d := range jsonDeployments() {
		b, err := json.Marshal(d)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stable[incident.Deployment](t, data)
	})
}
