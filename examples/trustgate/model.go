package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/shopspring/decimal"
)

// candidateFile is the JSON form of a candidate risk model: the body the
// reference server's POST /api/v1/risk-models takes, decimals as strings.
//
//	{"version": "2.0", "mode": "CAUTIOUS",
//	 "effective_at": "2026-03-01T00:00:00Z", "review_at": "2026-06-01T00:00:00Z",
//	 "thresholds": {"CRITICAL_INFRASTRUCTURE": "0", "BUSINESS_CRITICAL": "10", …},
//	 "weights": {"…": "0.25", …},
//	 "exception_threshold": "80",
//	 "calibration": {…}}
type candidateFile struct {
	Version            string            `json:"version"`
	Mode               string            `json:"mode"`
	EffectiveAt        time.Time         `json:"effective_at"`
	ReviewAt           time.Time         `json:"review_at"`
	Thresholds         map[string]string `json:"thresholds"`
	Weights            map[string]string `json:"weights"`
	ExceptionThreshold string            `json:"exception_threshold"`
	Calibration        json.RawMessage   `json:"calibration,omitempty"`
}

// parseCandidate reads a candidate model file strictly (no unknown member,
// nothing after the object, every decimal a string) and returns the
// version, validated (riskmodel.Version.Validate). Errors are
// *trustgate.Error values of code Invalid naming the field.
func parseCandidate(b []byte) (riskmodel.Version, error) {
	var f candidateFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return riskmodel.Version{}, &trustgate.Error{Code: trustgate.Invalid, Err: err, Message: "not a risk model file: " + err.Error()}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return riskmodel.Version{}, &trustgate.Error{Code: trustgate.Invalid, Message: "trailing data after the risk model object"}
	}
	v := riskmodel.Version{Version: f.Version, Mode: riskmodel.Mode(f.Mode), EffectiveAt: f.EffectiveAt.UTC(), ReviewAt: f.ReviewAt.UTC(),
		Thresholds: map[blastradius.Class]decimal.Decimal{}, Weights: map[riskmodel.Factor]decimal.Decimal{}}
	if len(f.Calibration) > 0 && !bytes.Equal(bytes.TrimSpace(f.Calibration), []byte("null")) {
		v.Calibration = f.Calibration
	}
	for _, c := range slices.Sorted(maps.Keys(f.Thresholds)) {
		d, err := parseDecimal("thresholds["+c+"]", f.Thresholds[c])
		if err != nil {
			return riskmodel.Version{}, err
		}
		v.Thresholds[blastradius.Class(c)] = d
	}
	for _, w := range slices.Sorted(maps.Keys(f.Weights)) {
		d, err := parseDecimal("weights["+w+"]", f.Weights[w])
		if err != nil {
			return riskmodel.Version{}, err
		}
		v.Weights[riskmodel.Factor(w)] = d
	}
	d, err := parseDecimal("exception_threshold", f.ExceptionThreshold)
	if err != nil {
		return riskmodel.Version{}, err
	}
	v.ExceptionThreshold = d
	if err := v.Validate(); err != nil {
		return riskmodel.Version{}, err
	}
	return v, nil
}

func parseDecimal(field, s string) (decimal.Decimal, error) {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, &trustgate.Error{Code: trustgate.Invalid, Field: field, Err: err,
			Message: fmt.Sprintf("%s: %q is not a decimal", field, s)}
	}
	return d, nil
}
