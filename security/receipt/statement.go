package receipt

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
)

// The predicate and the names this package writes into it.
const (
	// PredicateType is the SLSA Verification Summary v1 predicate type.
	PredicateType = "https://slsa.dev/verification_summary/v1"
	// DefaultVerifierID is verifier.id unless [Options.VerifierID] says
	// otherwise.
	DefaultVerifierID = "https://github.com/buildworksai/trustgate"

	// Passed and Failed are the values of verificationResult.
	Passed = "PASSED"
	Failed = "FAILED"

	// LevelFailed is the verifiedLevels entry the VSA specification
	// prescribes when policy verification failed; every FAILED receipt
	// lists it first.
	LevelFailed = "FAILED"
	// LevelValidationPassed is the verifiedLevels entry of a validation
	// whose every gate passed.
	LevelValidationPassed = "TRUSTGATE_VALIDATION_PASSED"
	// LevelAuthorized is the verifiedLevels entry of a request that
	// authorised the deployment at the event's time.
	LevelAuthorized = "TRUSTGATE_DEPLOYMENT_AUTHORIZED"
	// ReasonPrefix begins the verifiedLevels entry of each reason code:
	// "TRUSTGATE_REASON_ARTIFACT_HASH_MISMATCH".
	ReasonPrefix = "TRUSTGATE_REASON_"
	// StatusPrefix begins the verifiedLevels entry of a request's status:
	// "TRUSTGATE_STATUS_EXCEPTION_APPROVED".
	StatusPrefix = "TRUSTGATE_STATUS_"

	// The URI forms of the receipt's resources.
	RiskModelURIPrefix  = "trustgate:riskmodel/"
	AuditURIPrefix      = "trustgate:audit/"
	EvidenceURIPrefix   = "trustgate:evidence/"
	CABRequestURIPrefix = "trustgate:cab-request/"

	// TimeLayout is how timeVerified is written: the audit event's time
	// exactly as its canonical form writes occurred_at (UTC, six
	// fractional digits).
	TimeLayout = "2006-01-02T15:04:05.000000Z"
)

// Policy is what a verification was made against: the risk model, named
// by a URI ("trustgate:riskmodel/1.2") and its content hash
// (riskmodel.Version.ContentHash).
type Policy struct {
	URI    string
	Digest security.Digest
}

// ModelPolicy returns the policy of risk model v: the URI
// "trustgate:riskmodel/<version>" and its content hash.
func ModelPolicy(v *riskmodel.Version) (Policy, error) {
	if v == nil {
		return Policy{}, fail(ErrInput, "policy", "no risk model given")
	}
	h, err := v.ContentHash()
	if err != nil {
		return Policy{}, wrap(ErrInput, "policy", "hashing risk model "+quote(v.Version), err)
	}
	return Policy{URI: RiskModelURIPrefix + v.Version, Digest: h}, nil
}

func (p Policy) check() error {
	if err := checkURI("policy.uri", p.URI); err != nil {
		return err
	}
	if p.Digest.IsZero() {
		return fail(ErrInput, "policy.digest", "the policy's content hash is required")
	}
	return nil
}

// Options configures the receipts made. The zero value is valid.
type Options struct {
	// VerifierID is verifier.id: the URI of the verifier's identity;
	// empty means [DefaultVerifierID].
	VerifierID string
	// VerifierVersion is verifier.version (VSA 1.1): names of components
	// of the verifier to their versions. Empty leaves it out, which every
	// VSA v1 reader understands; readers of VSA 1.0 ignore it, as the
	// in-toto parsing rules require of unknown fields.
	VerifierVersion map[string]string
}

func (o Options) verifier() (verifier, error) {
	v := verifier{ID: o.VerifierID}
	if v.ID == "" {
		v.ID = DefaultVerifierID
	}
	if err := checkURI("options.verifier_id", v.ID); err != nil {
		return verifier{}, err
	}
	if len(o.VerifierVersion) > 0 {
		v.Version = make(map[string]string, len(o.VerifierVersion))
		for k, val := range o.VerifierVersion {
			field := "options.verifier_version[" + k + "]"
			if k == "" || !utf8.ValidString(k) || !utf8.ValidString(val) || val == "" {
				return verifier{}, fail(ErrInput, field, "component names and versions are non-empty UTF-8")
			}
			v.Version[k] = val
		}
	}
	return v, nil
}

// predicate is a SLSA Verification Summary v1, as this package writes it.
type predicate struct {
	Verifier           verifier     `json:"verifier"`
	TimeVerified       string       `json:"timeVerified"`
	ResourceURI        string       `json:"resourceUri"`
	Policy             descriptor   `json:"policy"`
	InputAttestations  []descriptor `json:"inputAttestations"`
	VerificationResult string       `json:"verificationResult"`
	VerifiedLevels     []string     `json:"verifiedLevels"`
}

type verifier struct {
	ID      string            `json:"id"`
	Version map[string]string `json:"version,omitempty"`
}

// descriptor is an in-toto ResourceDescriptor with a URI and a digest.
type descriptor struct {
	URI    string            `json:"uri"`
	Digest map[string]string `json:"digest"`
}

func sha256Set(d [32]byte) map[string]string {
	return map[string]string{"sha256": hex.EncodeToString(d[:])}
}

// eventLeaf is what a receipt needs of its audit event: the canonical
// bytes the log's leaf holds, checked against the event's own hash.
type eventLeaf struct {
	canonical []byte
	seq       int64
	at        string
}

func leafOf(e security.Event) (eventLeaf, error) {
	if e.Seq < 1 {
		return eventLeaf{}, fail(ErrInput, "event.seq", "an audit event's sequence number starts at 1, got "+strconv.FormatInt(e.Seq, 10))
	}
	h, err := e.ComputeHash()
	if err != nil {
		return eventLeaf{}, wrap(ErrInput, "event", "hashing the event", err)
	}
	if !h.Equal(e.Hash) {
		return eventLeaf{}, fail(ErrInput, "event.hash", "the event's fields do not give its hash "+e.Hash.String())
	}
	c, err := e.Canonical()
	if err != nil {
		return eventLeaf{}, wrap(ErrInput, "event", "encoding the event", err)
	}
	return eventLeaf{canonical: c, seq: e.Seq, at: e.OccurredAt.UTC().Format(TimeLayout)}, nil
}

// seal encodes the receipt's statement and signs it with the service key.
func seal(svc *attest.Service, subject attest.Subject, resource string, policy Policy, leaf eventLeaf,
	passed bool, levels []string, opts Options) (dsse.Envelope, error) {
	if svc == nil {
		return dsse.Envelope{}, fail(ErrInput, "service", "a service signer is required")
	}
	v, err := opts.verifier()
	if err != nil {
		return dsse.Envelope{}, err
	}
	result := Failed
	if passed {
		result = Passed
	}
	p := predicate{
		Verifier:     v,
		TimeVerified: leaf.at,
		ResourceURI:  resource,
		Policy:       descriptor{URI: policy.URI, Digest: sha256Set(policy.Digest)},
		InputAttestations: []descriptor{{URI: AuditURIPrefix + strconv.FormatInt(leaf.seq, 10),
			Digest: sha256Set(sha256.Sum256(leaf.canonical))}},
		VerificationResult: result,
		VerifiedLevels:     levels,
	}
	payload, err := attest.Encode(PredicateType, p, subject)
	if err != nil {
		return dsse.Envelope{}, wrap(ErrInput, "statement", "encoding", err)
	}
	env, err := svc.Seal(payload)
	if err != nil {
		return dsse.Envelope{}, err
	}
	return env, nil
}

// checkURI checks that s is a plausible URI: a scheme, no spaces or
// control characters, valid UTF-8, at most 2048 bytes.
func checkURI(field, s string) error {
	scheme, rest, ok := strings.Cut(s, ":")
	switch {
	case s == "":
		return fail(ErrInput, field, "a URI is required")
	case len(s) > 2048:
		return fail(ErrInput, field, "longer than 2048 bytes")
	case !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }):
		return fail(ErrInput, field, quote(s)+" is not a URI: it holds spaces, control characters or invalid UTF-8")
	case !ok || rest == "" || !validScheme(scheme):
		return fail(ErrInput, field, quote(s)+" is not a URI: it needs a scheme (\"https:\", \"trustgate:\")")
	}
	return nil
}

// validScheme reports whether s is an RFC 3986 scheme.
func validScheme(s string) bool {
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// codeLevel checks a reason code, SCREAMING_SNAKE_CASE of at most 64 bytes,
// and returns its verifiedLevels entry.
func codeLevel(field, code string) (string, error) {
	if !isCode(code) {
		return "", fail(ErrInput, field, quote(code)+" is not a reason code (SCREAMING_SNAKE_CASE, at most 64 bytes)")
	}
	return ReasonPrefix + code, nil
}

func isCode(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') && c != '_' {
			return false
		}
	}
	return true
}

// parseTime reads timeVerified.
func parseTime(s string) (time.Time, bool) {
	t, err := time.Parse(TimeLayout, s)
	return t, err == nil && t.Format(TimeLayout) == s
}
