package main

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/security"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// GET /metrics answers the Prometheus text format from a registry the
// Server owns (never the global default one), with the Go runtime's and
// the process's collectors and these:
//
//	trustgate_decisions_total{outcome, class}        CAB requests decided by this process
//	trustgate_validations_total{reason}              digest validations: PASSED, or each failed check's reason code
//	trustgate_approvals_total{kind}                  approvals recorded: request, exception, model, evaluation
//	trustgate_http_request_duration_seconds{route, status}
//
// route is the ServeMux pattern that served the request, method included
// ("GET /api/v1/cab/requests/{id}"), "unmatched" for a request no route
// matches; never the raw path or method, so the series stay bounded
// whatever clients send.
// Counters count what this process did: with several replicas, sum them.
//
// /metrics needs no token by default, as scrapers expect; with
// -metrics-token (deps.MetricsAuth) it needs the bearer token of any
// configured principal, as the API does.

// metrics are the Server's collectors and the registry holding them.
type metrics struct {
	registry    *prometheus.Registry
	decisions   *prometheus.CounterVec
	validations *prometheus.CounterVec
	approvals   *prometheus.CounterVec
	latency     *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trustgate_decisions_total", Help: "CAB requests decided, by outcome and blast-radius class.",
		}, []string{"outcome", "class"}),
		validations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trustgate_validations_total", Help: "Digest validations, by reason code (PASSED for a validation that passed).",
		}, []string{"reason"}),
		approvals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trustgate_approvals_total", Help: "Approvals recorded, by what was approved: request, exception, model, evaluation.",
		}, []string{"kind"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "trustgate_http_request_duration_seconds", Help: "HTTP request latency, by route pattern and status.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "status"}),
	}
	m.registry.MustRegister(m.decisions, m.validations, m.approvals, m.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// decided counts the decision of a request the workflow just decided.
func (m *metrics) decided(req cab.Request) {
	m.decisions.WithLabelValues(string(req.Decision.Outcome), string(req.Decision.Class)).Inc()
}

// validated counts a validation: PASSED, or the reason code of each
// failed check. An error that is not a validation's verdict (a store
// failure, a missing package) is not a validation and is not counted.
func (m *metrics) validated(rep security.Report, err error) {
	var ve *security.ValidationError
	switch {
	case err == nil && rep.Passed():
		m.validations.WithLabelValues("PASSED").Inc()
	case errors.As(err, &ve):
		for _, c := range ve.Failed {
			m.validations.WithLabelValues(string(c.Code)).Inc()
		}
	}
}

// approved counts one approval of kind when err is nil.
func (m *metrics) approved(kind string, err error) {
	if err == nil {
		m.approvals.WithLabelValues(kind).Inc()
	}
}

// observe records one request's latency under its route pattern.
func (m *metrics) observe(pattern string, status int, d time.Duration) {
	if pattern == "" || pattern == "/" {
		pattern = "unmatched"
	}
	m.latency.WithLabelValues(pattern, strconv.Itoa(status)).Observe(d.Seconds())
}

// metricsHandler serves the registry, behind a bearer token when
// s.metricsAuth is set.
func (s *Server) metricsHandler() http.Handler {
	h := promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{ErrorLog: slogPrinter{s}})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.metricsAuth {
			p, err := s.auth.authenticate(r)
			if err != nil {
				s.writeProblem(w, r, err)
				return
			}
			if info := infoFrom(r.Context()); info != nil {
				info.principal = p.Name
			}
		}
		h.ServeHTTP(w, r)
	})
}

// slogPrinter gives promhttp's error log to the server's logger.
type slogPrinter struct{ s *Server }

func (p slogPrinter) Println(v ...any) {
	p.s.log.Error("metrics: " + fmt.Sprint(v...))
}
