package security_test

import (
	"encoding/json"
	"testing"

	"github.com/buildworksai/trustgate/internal/wire/wiretest"
	"github.com/buildworksai/trustgate/security"
)

func FuzzReportUnmarshalJSON(f *testing.F) {
	for _, r := range jsonReports() {
		b, err := json.Marshal(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"checks":[{"gate":"sbom","passed":1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stable[security.Report](t, data)
	})
}

func FuzzCheckUnmarshalJSON(f *testing.F) {
	f.Add([]byte(`{"gate":"artifact","passed":false,"code":"ARTIFACT_HASH_MISMATCH","detail":"x"}`))
	f.Add([]byte(`{"gate":"sbom","passed":true,"skipped":null,"detail":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stable[security.Check](t, data)
	})
}
