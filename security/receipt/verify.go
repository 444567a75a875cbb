package receipt

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/auditlog"
)

// Summary is what a verified receipt says.
type Summary struct {
	// Subject is the artifact: its name and SHA-256 digest.
	Name   string
	Digest security.Digest
	// ResourceURI is the resource verified: "trustgate:evidence/<id>" for
	// a validation, "trustgate:cab-request/<id>" for an authorisation.
	ResourceURI string
	// Result is [Passed] or [Failed].
	Result string
	// Levels is verifiedLevels, as signed.
	Levels []string
	// Reasons are the reason codes among Levels, without their prefix.
	Reasons []string
	// Policy is the risk model verified against.
	Policy Policy
	// VerifierID is verifier.id.
	VerifierID string
	// TimeVerified is the audit event's time.
	TimeVerified time.Time
	// EventSeq and EventType name the audit event the proof proves.
	EventSeq  int64
	EventType security.EventType
	// Checkpoint is the verified checkpoint the proof is against.
	Checkpoint auditlog.Checkpoint
}

// Passed reports whether the receipt says PASSED.
func (s Summary) Passed() bool { return s.Result == Passed }

// Verify checks a receipt and returns what it says. In order: the
// envelope's payloadType is application/vnd.in-toto+json
// ([ErrPayloadType], naming the type it has); the envelope carries a valid
// signature by the keyring's service key ([ErrSignature]); the payload is
// the canonical in-toto Statement v1 of one artifact with a sha256 digest,
// carrying a SLSA Verification Summary v1 predicate exactly as this
// package writes one ([ErrStatement], naming the field); the inclusion
// proof verifies under trust ([ErrProof], wrapping the auditlog error:
// a truncated path, a checkpoint of another origin or key); and the leaf
// it proves is the audit event the statement names: its SHA-256 is the
// inputAttestation's digest, it sits at index seq-1, and it records that
// sequence number and the timeVerified time ([ErrEvent]). Every error is
// a *trustgate.Error naming the field at fault.
func Verify(r Receipt, keys *attest.Keyring, trust auditlog.Trust) (Summary, error) {
	env := &r.Envelope
	if env.PayloadType != attest.PayloadType {
		return Summary{}, fail(ErrPayloadType, "envelope.payloadType", "is "+quote(env.PayloadType)+", not "+attest.PayloadType)
	}
	if keys == nil {
		return Summary{}, fail(ErrInput, "keys", "a keyring is required")
	}
	if !keys.ServiceSigned(env) {
		return Summary{}, fail(ErrSignature, "envelope.signatures", "no valid signature by the service key "+keys.ServiceKeyID())
	}
	var p predicate
	st, err := attest.Decode(env.Payload, PredicateType, &p)
	if err != nil {
		return Summary{}, wrap(ErrStatement, "payload", "not a verification summary", err)
	}
	s, seq, leafDigest, err := summarize(st, &p)
	if err != nil {
		return Summary{}, err
	}
	v, leaf, err := auditlog.VerifyInclusion(r.Proof, trust)
	if err != nil {
		return Summary{}, wrap(ErrProof, "proof", "does not verify", err)
	}
	s.Checkpoint = v.Checkpoint
	if got := sha256.Sum256(leaf); !bytes.Equal(got[:], leafDigest[:]) {
		return Summary{}, fail(ErrEvent, "payload.predicate.inputAttestations[0].digest.sha256",
			"the proof's leaf has sha256 "+hex.EncodeToString(got[:])+", the statement names "+hex.EncodeToString(leafDigest[:]))
	}
	if r.Proof.Index != seq-1 {
		return Summary{}, fail(ErrEvent, "proof.index", "the proof is of leaf "+strconv.FormatInt(r.Proof.Index, 10)+
			", event "+strconv.FormatInt(seq, 10)+" is leaf "+strconv.FormatInt(seq-1, 10))
	}
	var ev struct {
		Seq        int64  `json:"seq"`
		OccurredAt string `json:"occurred_at"`
		Type       string `json:"type"`
	}
	if err := json.Unmarshal(leaf, &ev); err != nil {
		return Summary{}, wrap(ErrEvent, "proof.extra", "the leaf is not an audit event", err)
	}
	switch {
	case ev.Seq != seq:
		return Summary{}, fail(ErrEvent, "proof.extra", "the leaf is event "+strconv.FormatInt(ev.Seq, 10)+", not "+strconv.FormatInt(seq, 10))
	case ev.OccurredAt != p.TimeVerified:
		return Summary{}, fail(ErrEvent, "payload.predicate.timeVerified", "is "+p.TimeVerified+"; the event occurred at "+quote(ev.OccurredAt))
	}
	s.EventSeq, s.EventType = seq, security.EventType(ev.Type)
	return s, nil
}

// summarize checks the decoded statement and predicate and returns the
// summary they give, the event's sequence number and its leaf's digest.
func summarize(st attest.Statement, p *predicate) (Summary, int64, security.Digest, error) {
	bad := func(field, reason string) (Summary, int64, security.Digest, error) {
		return Summary{}, 0, security.Digest{}, fail(ErrStatement, "payload."+field, reason)
	}
	if len(st.Subject) != 1 {
		return bad("subject", "a receipt is about one artifact, not "+strconv.Itoa(len(st.Subject)))
	}
	sub := st.Subject[0]
	d, ok := onlySHA256(sub.Digest)
	if !ok {
		return bad("subject[0].digest", "must be exactly one sha256 digest")
	}
	s := Summary{Name: sub.Name, Digest: d, ResourceURI: p.ResourceURI, Result: p.VerificationResult,
		Levels: p.VerifiedLevels, VerifierID: p.Verifier.ID}
	if checkURI("resource", p.ResourceURI) != nil {
		return bad("predicate.resourceUri", "not a URI")
	}
	if p.Verifier.ID == "" {
		return bad("predicate.verifier.id", "required")
	}
	at, ok := parseTime(p.TimeVerified)
	if !ok {
		return bad("predicate.timeVerified", quote(p.TimeVerified)+" is not a UTC time with six fractional digits")
	}
	s.TimeVerified = at
	if p.Policy.URI == "" {
		return bad("predicate.policy.uri", "required")
	}
	if s.Policy.Digest, ok = onlySHA256(p.Policy.Digest); !ok {
		return bad("predicate.policy.digest", "must be exactly one sha256 digest")
	}
	s.Policy.URI = p.Policy.URI
	if len(p.InputAttestations) != 1 {
		return bad("predicate.inputAttestations", "must name exactly one audit event, not "+strconv.Itoa(len(p.InputAttestations)))
	}
	in := p.InputAttestations[0]
	n, found := strings.CutPrefix(in.URI, AuditURIPrefix)
	seq, err := strconv.ParseInt(n, 10, 64)
	if !found || err != nil || seq < 1 || strconv.FormatInt(seq, 10) != n {
		return bad("predicate.inputAttestations[0].uri", quote(in.URI)+" is not "+AuditURIPrefix+"<sequence number>")
	}
	leaf, ok := onlySHA256(in.Digest)
	if !ok {
		return bad("predicate.inputAttestations[0].digest", "must be exactly one sha256 digest")
	}
	if len(p.VerifiedLevels) == 0 {
		return bad("predicate.verifiedLevels", "required")
	}
	switch p.VerificationResult {
	case Passed:
		for i, l := range p.VerifiedLevels {
			if l == LevelFailed {
				return bad("predicate.verifiedLevels["+strconv.Itoa(i)+"]", "a PASSED summary lists FAILED")
			}
		}
	case Failed:
		if p.VerifiedLevels[0] != LevelFailed {
			return bad("predicate.verifiedLevels[0]", "a FAILED summary lists FAILED first")
		}
	default:
		return bad("predicate.verificationResult", quote(p.VerificationResult)+" is not PASSED or FAILED")
	}
	for _, l := range p.VerifiedLevels {
		if code, ok := strings.CutPrefix(l, ReasonPrefix); ok {
			s.Reasons = append(s.Reasons, code)
		}
	}
	return s, seq, leaf, nil
}

// onlySHA256 returns the digest of a set holding exactly one sha256
// digest, in lower-case hex.
func onlySHA256(set map[string]string) (security.Digest, bool) {
	h, ok := set["sha256"]
	if !ok || len(set) != 1 || len(h) != 64 || strings.ToLower(h) != h {
		return security.Digest{}, false
	}
	d, err := security.ParseDigest("digest", h)
	return d, err == nil
}
