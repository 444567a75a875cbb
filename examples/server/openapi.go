package main

import (
	_ "embed"
	"net/http"
	"strconv"
)

// openAPIDocument is the OpenAPI 3.1 description of every route
// (openapi.json, embedded). TestOpenAPIMatchesRoutes keeps it and
// routeTable in step, both ways.
//
//go:embed openapi.json
var openAPIDocument []byte

// serveOpenAPI: GET /openapi.json, without a token: the description is
// no secret, and client generators fetch it before they hold one.
func (s *Server) serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(s.openapi)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(s.openapi)
}
