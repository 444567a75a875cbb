package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzDecodeBody feeds arbitrary bodies to the request decoder every
// endpoint uses: it must never panic, and it either fills the DTO or
// returns an error that the problem mapping turns into a 4xx.
func FuzzDecodeBody(f *testing.F) {
	for _, s := range []string{
		`{"evidence_id":"0193e4b4-7c00-7000-8000-000000000001","correlation_id":"c","score":"42.5","class":"NON_CRITICAL"}`,
		`{"correlation_id":"a","correlation_id":"b"}`,
		`{"Correlation_ID":"a","correlation_id":"b"}`,
		`{"factors":{"a":"1","a":"2"}}`,
		`[[[[[[[[[[`,
		`{"score":1e400}`,
		"{\"application\":\"\xff\"}",
		`{} {}`,
		``,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest(http.MethodPost, "/api/v1/cab/requests", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		var dto submitDTO
		err := decodeJSON(w, r, 1<<20, &dto)
		if err == nil {
			return
		}
		p := problemFor(err)
		if p.Status < 400 || p.Status >= 500 {
			t.Fatalf("body %q: decode error %v maps to status %d, want a 4xx", body, err, p.Status)
		}
	})
}
