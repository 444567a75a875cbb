package riskmodel

import (
	"crypto/sha256"
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/buildworksai/trustgate/internal/jcs"
)

// contentTime is how the canonical form writes times: UTC with
// milliseconds, which every store keeps, so a version hashes the same
// before it is stored and after it is read back.
const contentTime = "2006-01-02T15:04:05.000Z"

// content is the canonical form of a version: everything that decides, and
// who made it. Approval and activation state are not content: they are
// what is signed about it.
type content struct {
	Version            string            `json:"version"`
	Mode               Mode              `json:"mode"`
	EffectiveAt        string            `json:"effective_at"`
	ReviewAt           string            `json:"review_at"`
	Thresholds         map[string]string `json:"thresholds"`
	Weights            map[string]string `json:"weights"`
	ExceptionThreshold string            `json:"exception_threshold"`
	Calibration        json.RawMessage   `json:"calibration"`
	CreatedBy          string            `json:"created_by"`
	CreatedAt          string            `json:"created_at"`
}

// Canonical returns the version's canonical form: a JSON object (RFC 8785)
// of its version string, mode, effective and review dates, thresholds,
// weights (decimals as their shortest plain strings, so 42.50 and 42.5 are
// one value), exception threshold, calibration data (canonicalised), creator
// and creation time, the times in UTC at millisecond precision. Approval
// and activation state are not part of it. A version whose calibration is
// not JSON has no canonical form: the error says so.
func (v *Version) Canonical() ([]byte, error) {
	fixed := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Truncate(time.Millisecond).Format(contentTime)
	}
	c := content{
		Version: v.Version, Mode: v.Mode, EffectiveAt: fixed(v.EffectiveAt), ReviewAt: fixed(v.ReviewAt),
		Thresholds: make(map[string]string, len(v.Thresholds)), Weights: make(map[string]string, len(v.Weights)),
		ExceptionThreshold: v.ExceptionThreshold.String(), CreatedBy: v.CreatedBy, CreatedAt: fixed(v.CreatedAt),
		Calibration: json.RawMessage("null"),
	}
	for _, k := range slices.Sorted(maps.Keys(v.Thresholds)) {
		c.Thresholds[string(k)] = v.Thresholds[k].String()
	}
	for _, k := range slices.Sorted(maps.Keys(v.Weights)) {
		c.Weights[string(k)] = v.Weights[k].String()
	}
	if len(v.Calibration) > 0 {
		canon, err := jcs.Canonicalize(nil, v.Calibration)
		if err != nil {
			return nil, fieldErr(ErrMalformed, "calibration", "%v", err)
		}
		c.Calibration = canon
	}
	raw, err := json.Marshal(c)
	if err != nil {
		return nil, fieldErr(ErrMalformed, "version", "%v", err)
	}
	return jcs.Canonicalize(make([]byte, 0, len(raw)), raw)
}

// ContentHash returns the SHA-256 of the version's canonical form
// ([Version.Canonical]): what CAB members sign when they approve it and
// what every decision made with it names.
func (v *Version) ContentHash() ([32]byte, error) {
	b, err := v.Canonical()
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}
