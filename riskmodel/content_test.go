package riskmodel_test

import (
	"crypto"
	"encoding/json"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// candidate is an unapproved version created by carol.
func candidate() riskmodel.Version {
	v := riskmodel.Seed(epoch)
	v.Version, v.Active, v.Approval, v.CreatedBy = "2.0", false, riskmodel.Approval{}, "carol"
	return v
}

func hashOf(t *testing.T, v riskmodel.Version) [32]byte {
	t.Helper()
	h, err := v.ContentHash()
	require.NoError(t, err)
	return h
}

func TestTheContentHashIsOfWhatDecidesNotHowItIsWritten(t *testing.T) {
	base := candidate()
	want := hashOf(t, base)
	for name, edit := range map[string]func(v *riskmodel.Version){
		"a decimal written differently": func(v *riskmodel.Version) { v.ExceptionThreshold = d("80.000") },
		"another time zone": func(v *riskmodel.Version) {
			v.EffectiveAt = v.EffectiveAt.In(time.FixedZone("CET", 3600))
		},
		"digits finer than a millisecond": func(v *riskmodel.Version) { v.CreatedAt = v.CreatedAt.Add(999 * time.Microsecond) },
		"calibration reformatted": func(v *riskmodel.Version) {
			v.Calibration = json.RawMessage("{ \"note\": \"greenfield baseline: no incident data yet\",\n \"source\": \"seed\" }")
		},
		"the approval cache":   func(v *riskmodel.Version) { v.Approval = riskmodel.Approval{Approved: true, By: "x", At: epoch} },
		"activation":           func(v *riskmodel.Version) { v.Active = true },
		"signoffs":             func(v *riskmodel.Version) { v.Signoffs = []riskmodel.Signoff{{By: "alice"}} },
		"a threshold as 0.000": func(v *riskmodel.Version) { v.Thresholds[blastradius.NonCritical] = d("0.000") },
	} {
		v := base.Clone()
		edit(&v)
		assert.Equal(t, want, hashOf(t, v), name)
	}
	for name, edit := range map[string]func(v *riskmodel.Version){
		"the version":             func(v *riskmodel.Version) { v.Version = "2.1" },
		"the mode":                func(v *riskmodel.Version) { v.Mode = riskmodel.Optimized },
		"the effective date":      func(v *riskmodel.Version) { v.EffectiveAt = v.EffectiveAt.Add(time.Millisecond) },
		"the review date":         func(v *riskmodel.Version) { v.ReviewAt = v.ReviewAt.Add(time.Hour) },
		"a threshold":             func(v *riskmodel.Version) { v.Thresholds[blastradius.ProductivityTools] = d("50") },
		"a threshold dropped":     func(v *riskmodel.Version) { delete(v.Thresholds, blastradius.NonCritical) },
		"a weight":                func(v *riskmodel.Version) { v.Weights[riskmodel.SupplyChain] = d("0.5") },
		"the exception threshold": func(v *riskmodel.Version) { v.ExceptionThreshold = d("95") },
		"the calibration":         func(v *riskmodel.Version) { v.Calibration = json.RawMessage(`{"source":"forged"}`) },
		"no calibration":          func(v *riskmodel.Version) { v.Calibration = nil },
		"the creator":             func(v *riskmodel.Version) { v.CreatedBy = "mallory" },
		"the creation time":       func(v *riskmodel.Version) { v.CreatedAt = v.CreatedAt.Add(time.Millisecond) },
	} {
		v := base.Clone()
		edit(&v)
		assert.NotEqual(t, want, hashOf(t, v), name)
	}

	bad := candidate()
	bad.Calibration = json.RawMessage(`{not json`)
	_, err := bad.ContentHash()
	require.ErrorIs(t, err, riskmodel.ErrMalformed)
	_, err = bad.ApprovalPayload("alice")
	require.ErrorIs(t, err, riskmodel.ErrMalformed, "no content, no statement to sign")
}

func TestCloneCopiesTheSignoffs(t *testing.T) {
	v := candidate()
	v.Signoffs = []riskmodel.Signoff{{By: "alice"}}
	c := v.Clone()
	c.Signoffs[0].By = "mallory"
	c.Signoffs = append(c.Signoffs, riskmodel.Signoff{By: "bob"})
	assert.Equal(t, []riskmodel.Signoff{{By: "alice"}}, v.Signoffs)
}

// sealed returns payload signed with key.
func sealed(t *testing.T, payload []byte, keys ...crypto.Signer) dsse.Envelope {
	t.Helper()
	var signers []*dsse.Signer
	for _, k := range keys {
		s, err := dsse.NewSigner(k)
		require.NoError(t, err)
		signers = append(signers, s)
	}
	env, err := dsse.Seal(attest.PayloadType, payload, signers...)
	require.NoError(t, err)
	return env
}

func keyring(t *testing.T, mode attest.Mode) *attest.Keyring {
	t.Helper()
	k, err := attest.NewKeyring(testkeys.Config(mode, "alice", "bob", "carol", "dave"))
	require.NoError(t, err)
	return k
}

func TestApproversAreDistinctMembersOtherThanTheCreatorWhoSignedThisContent(t *testing.T) {
	v := candidate()
	service := testkeys.Key(testkeys.ServiceName)
	approval := func(member string, key crypto.Signer) riskmodel.Signoff {
		p, err := v.ApprovalPayload(member)
		require.NoError(t, err)
		return riskmodel.Signoff{By: member, Envelope: sealed(t, p, key)}
	}
	other := v.Clone()
	other.Thresholds[blastradius.NonCritical] = d("75")
	otherPayload, err := other.ApprovalPayload("dave")
	require.NoError(t, err)
	ladder, err := v.LadderPayload(0, "seed")
	require.NoError(t, err)

	v.Signoffs = []riskmodel.Signoff{
		approval("carol", testkeys.MemberKey("carol")),                                  // the creator
		approval("alice", service),                                                      // attested by the service key
		approval("alice", testkeys.MemberKey("alice")),                                  // alice again
		approval("bob", testkeys.MemberKey("bob")),                                      // bob's own key
		approval("erin", testkeys.MemberKey("erin")),                                    // not a member
		{By: "dave", Envelope: sealed(t, otherPayload, testkeys.MemberKey("dave"))},     // other content
		{By: "dave", Envelope: approval("alice", testkeys.MemberKey("alice")).Envelope}, // alice's statement
		approval("dave", testkeys.MemberKey("bob")),                                     // bob's key for dave
		{By: riskmodel.LadderSigner, Envelope: sealed(t, ladder, service)},
	}
	assert.Equal(t, []string{"alice", "bob"}, v.Approvers(keyring(t, attest.ServiceAttested)))
	assert.Equal(t, []string{"alice", "bob"}, v.Approvers(keyring(t, attest.MemberSigned)),
		"alice's own signature counts in member-signed mode too")
	v.Signoffs = v.Signoffs[:2]
	assert.Equal(t, []string{"alice"}, v.Approvers(keyring(t, attest.ServiceAttested)))
	assert.Empty(t, v.Approvers(keyring(t, attest.MemberSigned)), "the service key vouches for no member in member-signed mode")

	// A signoff made before the content changed counts for nothing after.
	v.Signoffs = []riskmodel.Signoff{approval("alice", service), approval("bob", service)}
	assert.Len(t, v.Approvers(keyring(t, attest.ServiceAttested)), 2)
	v.Thresholds[blastradius.BusinessCritical] = d("79")
	assert.Empty(t, v.Approvers(keyring(t, attest.ServiceAttested)))
}

func TestLadderIsTheServiceKeysStatementOfThisContent(t *testing.T) {
	keys := keyring(t, attest.ServiceAttested)
	v := candidate()
	payload, err := v.LadderPayload(1, "progression")
	require.NoError(t, err)
	v.Signoffs = []riskmodel.Signoff{{By: riskmodel.LadderSigner, Envelope: sealed(t, payload, testkeys.Key(testkeys.ServiceName))}}
	level, ok := v.Ladder(keys)
	require.True(t, ok)
	assert.Equal(t, 1, level)

	for name, edit := range map[string]func(v *riskmodel.Version){
		"content changed": func(v *riskmodel.Version) { v.Thresholds[blastradius.NonCritical] = d("75") },
		"signed by a member": func(v *riskmodel.Version) {
			v.Signoffs = []riskmodel.Signoff{{By: riskmodel.LadderSigner, Envelope: sealed(t, payload, testkeys.MemberKey("alice"))}}
		},
		"not named the ladder's": func(v *riskmodel.Version) { v.Signoffs[0].By = "alice" },
		"unsigned":               func(v *riskmodel.Version) { v.Signoffs[0].Envelope.Signatures = nil },
	} {
		c := v.Clone()
		edit(&c)
		_, ok := c.Ladder(keys)
		assert.False(t, ok, name)
	}
}
