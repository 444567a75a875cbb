package riskmodel

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/internal/num"
	"github.com/shopspring/decimal"
)

// Bounds used by validation.
var (
	hundred = decimal.NewFromInt(100)
	one     = decimal.NewFromInt(1)
)

// MaxVersionLength is the longest version string accepted.
const MaxVersionLength = 64

// Approval records the change advisory board's sign-off on a version.
type Approval struct {
	Approved bool      // whether the CAB approved the version
	By       string    // who signed off (required when Approved)
	At       time.Time // when (required when Approved)
}

// Version is one risk model version: how factors are weighed into a score,
// and per blast radius class the score at or below which a deployment may be
// approved automatically.
//
// A Version is a value. Once stored it is immutable except for its approval
// and activation state, which only the store changes; see the store package.
type Version struct {
	// Version is the unique version string, such as "1.1".
	Version string
	// Mode is the automation mode the version runs under.
	Mode Mode
	// EffectiveAt is when the version takes effect; ReviewAt, strictly
	// later, is when the CAB must look at it again.
	EffectiveAt, ReviewAt time.Time
	// Thresholds holds the auto-approve threshold of every class, each in
	// [0, 100]. CRITICAL_INFRASTRUCTURE's is always 0.
	Thresholds map[blastradius.Class]decimal.Decimal
	// Weights holds each factor's weight, each in [0, 1], summing to
	// exactly 1.
	Weights map[Factor]decimal.Decimal
	// ExceptionThreshold is the score, in [0, 100], at or above which a
	// deployment needs a time-boxed exception.
	ExceptionThreshold decimal.Decimal
	// Approval is a cache of the CAB's sign-off: set once the signoffs
	// reached quorum. Only an approved version can be active, and what
	// decides whether a version is approved is its Signoffs, verified.
	Approval Approval
	// Signoffs are the signed statements about the version: members'
	// approvals, or the service key's ladder statement (see [Signoff]).
	Signoffs []Signoff
	// Calibration is free-form evidence behind the numbers (incident
	// correlation, score distribution): nil or a JSON object.
	Calibration json.RawMessage
	// CreatedBy is who created the version (normalised, as stores keep
	// names): the one CAB member whose approval of it never counts.
	CreatedBy string
	// CreatedAt is when the version was created.
	CreatedAt time.Time
	// Active reports whether this is the version decisions are made with.
	Active bool
}

// Threshold returns the auto-approve threshold of class c and whether the
// version has one.
func (v *Version) Threshold(c blastradius.Class) (decimal.Decimal, bool) {
	t, ok := v.Thresholds[c]
	return t, ok
}

// Clone returns a deep copy of v, so that a caller can keep or change it
// without touching the original.
func (v Version) Clone() Version {
	v.Thresholds = maps.Clone(v.Thresholds)
	v.Weights = maps.Clone(v.Weights)
	v.Calibration = bytes.Clone(v.Calibration)
	v.Signoffs = slices.Clone(v.Signoffs)
	for i := range v.Signoffs {
		v.Signoffs[i].Envelope = v.Signoffs[i].Envelope.Clone()
	}
	return v
}

// Validate checks every invariant of a version and returns nil or all the
// problems found, each a *trustgate.Error naming the field and wrapping the
// sentinel of the rule it breaks (joined with errors.Join, so errors.As and
// trustgate.AsError find the first and errors.Is matches any sentinel). The
// code is [trustgate.Invalid], except for an active version without
// approval: [trustgate.Conflict] with reason MODEL_NOT_APPROVED, as a store
// answers an activation of one.
//
// The invariants: a version string; a valid mode; both dates set and the
// review date after the effective date; a threshold in [0, 100] for each of
// the four classes and for no other key, with CRITICAL_INFRASTRUCTURE at 0;
// at least one weight, each factor a lower-case identifier with a weight in
// [0, 1], the weights summing to exactly 1 (decimal arithmetic, no
// tolerance); an exception threshold in [0, 100]; an approval that names who
// and when; calibration data that is a JSON object when present; and no
// active version without approval.
func (v *Version) Validate() error {
	var errs []error
	add := func(e *trustgate.Error) { errs = append(errs, e) }

	switch {
	case strings.TrimSpace(v.Version) == "":
		add(fieldErr(ErrRequired, "version", "a version string is required"))
	case len(v.Version) > MaxVersionLength:
		add(fieldErr(ErrOutOfRange, "version", "longer than %d bytes", MaxVersionLength))
	case !validVersionString(v.Version):
		add(fieldErr(ErrMalformed, "version", "%q: use letters, digits, '.', '-' and '_' only", v.Version))
	}
	if !v.Mode.Valid() {
		add(fieldErr(ErrMalformed, "mode", "unknown mode %q", v.Mode))
	}
	switch {
	case v.EffectiveAt.IsZero():
		add(fieldErr(ErrRequired, "effective_at", "an effective date is required"))
	case v.ReviewAt.IsZero():
		add(fieldErr(ErrRequired, "review_at", "a review date is required"))
	case !v.ReviewAt.After(v.EffectiveAt):
		add(fieldErr(ErrOutOfRange, "review_at", "review date %s is not after effective date %s",
			v.ReviewAt.UTC().Format(time.RFC3339), v.EffectiveAt.UTC().Format(time.RFC3339)))
	}
	for _, e := range v.thresholdErrors() {
		add(e)
	}
	for _, e := range v.weightErrors() {
		add(e)
	}
	if !num.InRange(v.ExceptionThreshold, decimal.Zero, hundred) {
		add(fieldErr(ErrOutOfRange, "exception_threshold", "%s is outside [0, 100]", v.ExceptionThreshold))
	}
	if v.Approval.Approved {
		if strings.TrimSpace(v.Approval.By) == "" {
			add(fieldErr(ErrRequired, "approval.by", "an approved version names who approved it"))
		}
		if v.Approval.At.IsZero() {
			add(fieldErr(ErrRequired, "approval.at", "an approved version records when it was approved"))
		}
	}
	if v.Calibration != nil && !isJSONObject(v.Calibration) {
		add(fieldErr(ErrMalformed, "calibration", "calibration data must be a JSON object"))
	}
	if v.Active && !v.Approval.Approved {
		add(&trustgate.Error{Code: trustgate.Conflict, Reason: ErrNotApproved.Reason, Field: "active",
			Message: "riskmodel: active: only a CAB-approved version can be active", Err: ErrNotApproved})
	}
	return errors.Join(errs...)
}

func (v *Version) thresholdErrors() []*trustgate.Error {
	var errs []*trustgate.Error
	for _, c := range blastradius.Classes() {
		t, ok := v.Thresholds[c]
		field := "thresholds[" + string(c) + "]"
		switch {
		case !ok:
			errs = append(errs, fieldErr(ErrMissingThreshold, field, "no threshold for %s", c))
		case !num.InRange(t, decimal.Zero, hundred):
			errs = append(errs, fieldErr(ErrOutOfRange, field, "%s is outside [0, 100]", t))
		case c == blastradius.CriticalInfrastructure && !t.IsZero():
			errs = append(errs, fieldErr(ErrCriticalThreshold, field, "is %s; critical infrastructure never auto-approves", t))
		}
	}
	for _, c := range slices.Sorted(maps.Keys(v.Thresholds)) {
		if !c.Valid() {
			errs = append(errs, fieldErr(ErrMalformed, "thresholds["+string(c)+"]", "%q is not a blast radius class", c))
		}
	}
	return errs
}

func (v *Version) weightErrors() []*trustgate.Error {
	if len(v.Weights) == 0 {
		return []*trustgate.Error{fieldErr(ErrRequired, "weights", "at least one factor weight is required")}
	}
	var errs []*trustgate.Error
	sum := decimal.Zero
	for _, f := range slices.Sorted(maps.Keys(v.Weights)) {
		w := v.Weights[f]
		field := "weights[" + string(f) + "]"
		if !validFactorName(f) {
			errs = append(errs, fieldErr(ErrMalformed, field, "factor name must be a lower-case identifier"))
		}
		if !num.InRange(w, decimal.Zero, one) {
			errs = append(errs, fieldErr(ErrOutOfRange, field, "%s is outside [0, 1]", w))
		}
		sum = sum.Add(w)
	}
	if !sum.Equal(one) {
		errs = append(errs, fieldErr(ErrWeightsSum, "weights", "weights sum to %s, not exactly 1", sum))
	}
	return errs
}

func validVersionString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}

func isJSONObject(b []byte) bool {
	t := bytes.TrimSpace(b)
	return len(t) > 0 && t[0] == '{' && json.Valid(t)
}

// ParseDecimal parses s as an exact decimal for the named field. It accepts
// plain notation only (an optional sign, digits, an optional fraction: at
// most 64 bytes) and rejects what strconv-style parsers let through and a
// governance record must not hold: empty strings, NaN and infinities,
// hexadecimal, surrounding spaces, and exponents, which would let a short
// string such as "1e1000000000" stand for a billion-digit number. The error
// is a *trustgate.Error with code [trustgate.Invalid] for field, wrapping
// [ErrMalformed].
func ParseDecimal(field, s string) (decimal.Decimal, error) {
	bad := func() (decimal.Decimal, error) {
		return decimal.Decimal{}, fieldErr(ErrMalformed, field, "%q is not a plain decimal number", s)
	}
	if s == "" || len(s) > 64 {
		return bad()
	}
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case (c == '-' || c == '+') && i == 0:
		case c == '.' && !dot && digits > 0:
			dot = true
		default:
			return bad()
		}
	}
	if digits == 0 || s[len(s)-1] == '.' {
		return bad()
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return bad()
	}
	return d, nil
}
