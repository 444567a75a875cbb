package main

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

// A JSON value of the wrong type is named by its field path and the JSON
// type the field wants, never by a Go type.
func TestWrongJSONTypesNameTheFieldAndTheJSONType(t *testing.T) {
	e := newTestEnv(t)
	for _, c := range []struct {
		name, path, body, field, detail string
	}{
		{"an array for the body", "/api/v1/blast-radius/classify", `["Zoom"]`,
			"", "the request body: got a JSON array, want an object"},
		{"a string for a nested integer", "/api/v1/blast-radius/classify", `{"app_name":"Zoom","cmdb":{"rto_minutes":"ten"}}`,
			"cmdb.rto_minutes", "cmdb.rto_minutes: got a JSON string, want an integer"},
		{"a number for an object", "/api/v1/blast-radius/classify", `{"app_name":"Zoom","cmdb":7}`,
			"cmdb", "cmdb: got a JSON number, want an object"},
		{"an object for a map of strings", "/api/v1/cab/requests", `{"factors":{"a":{}}}`,
			"factors", "factors: a member's value: got a JSON object, want a string"},
		{"a string for an array", "/api/v1/cab/requests", `{"application":"Zoom","classify":{"app_name":"Zoom"},"factors":[]}`,
			"factors", "factors: got a JSON array, want an object"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(call{method: "POST", path: c.path, token: tokAdmin, body: c.body})
			p := requireProblem(t, r, http.StatusBadRequest, codeMalformedJSON)
			assert.Equal(t, c.field, p.Field)
			assert.Equal(t, c.detail, p.Detail)
			assert.NotContains(t, string(r.Body), "main.")
			assert.NotContains(t, string(r.Body), "DTO")
		})
	}
}
