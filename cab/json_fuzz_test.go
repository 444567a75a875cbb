package cab_test

import (
	"encoding/json"
	"testing"

	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/internal/wire/wiretest"
)

func FuzzDecisionUnmarshalJSON(f *testing.F) {
	for _, x := range jsonDecisions() {
		b, err := json.Marshal(x)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`null`))
	f.Add([]byte(`{"outcome":"auto_approved","score":"1e9"}`))
	f.Add([]byte(`{"reason":{"code":"SCORE_OK"},"quorum":-1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stable[cab.Decision](t, data)
	})
}

func FuzzReasonUnmarshalJSON(f *testing.F) {
	f.Add([]byte(`{"code":"SCORE_WITHIN_THRESHOLD","text":"ok"}`))
	f.Add([]byte(`{"code":"","text":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stable[cab.Reason](t, data)
	})
}
