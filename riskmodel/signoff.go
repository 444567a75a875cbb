package riskmodel

import (
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
)

// A version is approved by signatures, not by a flag. Each CAB member who
// approves it signs an approval statement (an in-toto Statement v1 whose
// subject is the version's content hash, in a DSSE envelope), with the
// member's own key or, in service-attested mode, through the service key
// naming the member. A version is approved when distinct members other
// than its creator, at least the keyring's model quorum (2 by default,
// never fewer), have signed it. The seed version and the versions the
// maturity engine makes carry instead a ladder statement signed by the
// service key ([PredicateLadder]), accepted only for thresholds that are
// exactly a maturity level's: the ladder's numbers, not anyone's choice.

// Predicate types of the statements about versions.
const (
	PredicateApproval = attest.PredicatePrefix + "risk-model-approval/v1"
	PredicateLadder   = attest.PredicatePrefix + "risk-model-ladder/v1"
)

// Signoff is one signed statement about a version: a member's approval, or
// the service key's ladder statement (By then [LadderSigner]).
type Signoff struct {
	By       string // the member's normalised name, or LadderSigner
	At       time.Time
	Envelope dsse.Envelope
}

// LadderSigner is the By of a ladder statement: the service key attesting
// that a version carries a maturity level's thresholds (the seed, a
// progression's or a regression's version).
const LadderSigner = "trustgate-ladder"

// ErrUnverified: a version's approval does not verify (too few valid
// signatures, a signature over other content, a content that no longer
// hashes to what was signed) or its thresholds exceed those of the
// maturity level in force. It decides nothing and cannot be activated.
// Code trustgate.Tampered, reason MODEL_UNVERIFIED.
var ErrUnverified = &trustgate.Error{Code: trustgate.Tampered, Reason: "MODEL_UNVERIFIED",
	Message: "riskmodel: version does not verify"}

type approvalPredicate struct {
	ModelVersion string `json:"model_version"`
	Member       string `json:"member"`
}

type ladderPredicate struct {
	ModelVersion string `json:"model_version"`
	Level        int    `json:"level"`
	Reason       string `json:"reason"`
}

func (v *Version) subject() (attest.Subject, error) {
	h, err := v.ContentHash()
	if err != nil {
		return attest.Subject{}, err
	}
	return attest.DigestSubject("risk-model:"+v.Version, h), nil
}

// ApprovalPayload returns the canonical approval statement member signs to
// approve v: its subject is v's content hash, so a signature approves this
// content and no other.
func (v *Version) ApprovalPayload(member string) ([]byte, error) {
	sub, err := v.subject()
	if err != nil {
		return nil, err
	}
	return attest.Encode(PredicateApproval, approvalPredicate{ModelVersion: v.Version, Member: member}, sub)
}

// LadderPayload returns the canonical ladder statement the service key
// signs for a version that carries maturity level's thresholds.
func (v *Version) LadderPayload(level int, reason string) ([]byte, error) {
	sub, err := v.subject()
	if err != nil {
		return nil, err
	}
	return attest.Encode(PredicateLadder, ladderPredicate{ModelVersion: v.Version, Level: level, Reason: reason}, sub)
}

// Approvers returns the distinct members (normalised names), other than
// the creator, whose approval signoffs of v verify with keys: the statement is v's approval
// statement for that member and is vouched for them
// ([attest.Keyring.Vouches]). A signoff that does not verify counts for
// nothing.
func (v *Version) Approvers(keys *attest.Keyring) []string {
	creator := attest.NormalizeName(v.CreatedBy)
	var out []string
	for i := range v.Signoffs {
		s := &v.Signoffs[i]
		// Names compare normalised: signoffs naming "Bob " and "bob" are
		// one member's, and one naming "Alice " is the creator alice's,
		// whichever key signed them.
		by := attest.NormalizeName(s.By)
		if by == creator || s.By == LadderSigner || contains(out, by) {
			continue
		}
		want, err := v.ApprovalPayload(s.By)
		if err == nil && attest.Carries(&s.Envelope, want) && keys.Vouches(&s.Envelope, s.By) {
			out = append(out, by)
		}
	}
	return out
}

// Ladder returns the maturity level that a valid ladder statement signed
// by the service key says v carries, if v has one.
func (v *Version) Ladder(keys *attest.Keyring) (int, bool) {
	for i := range v.Signoffs {
		s := &v.Signoffs[i]
		if s.By != LadderSigner || !keys.ServiceSigned(&s.Envelope) {
			continue
		}
		var p ladderPredicate
		if _, err := attest.Decode(s.Envelope.Payload, PredicateLadder, &p); err != nil {
			continue
		}
		want, err := v.LadderPayload(p.Level, p.Reason)
		if err == nil && attest.Carries(&s.Envelope, want) {
			return p.Level, true
		}
	}
	return 0, false
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
