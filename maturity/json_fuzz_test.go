package maturity_test

import (
	"encoding/json"
	"testing"

	"github.com/buildworksai/trustgate/internal/wire/wiretest"
	"github.com/buildworksai/trustgate/maturity"
)

func FuzzEvaluationUnmarshalJSON(f *testing.F) {
	for _, e := range jsonEvaluations(f) {
		b, err := json.Marshal(e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"criteria":[{"name":"p2_incidents","required":"1e3"}],"level":9}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stable[maturity.Evaluation](t, data)
	})
}

func FuzzCriterionUnmarshalJSON(f *testing.F) {
	f.Add([]byte(`{"name":"p2_incidents","at_least":false,"required":null,"unlimited":true,"actual":"3","passed":true}`))
	f.Add([]byte(`{"name":"incident_rate","at_least":false,"required":"0.02","unlimited":false,"actual":"-0.5","passed":false}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stable[maturity.Criterion](t, data)
	})
}

func FuzzStateUnmarshalJSON(f *testing.F) {
	for _, s := range jsonStates(f) {
		b, err := json.Marshal(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stable[maturity.State](t, data)
	})
}
