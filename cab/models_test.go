package cab_test

import (
	"crypto/ed25519"
	"testing"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/buildworksai/trustgate/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A risk model decides only once it verifies: a quorum of members other
// than its creator signed its content, and its thresholds are no looser
// than the maturity level in force allows.

// modelSignoff returns member's approval of v signed by svc (service
// attested) or, when key is set, with key.
func modelSignoff(t testing.TB, v *riskmodel.Version, svc *attest.Service, key ed25519.PrivateKey, member string) riskmodel.Signoff {
	t.Helper()
	payload, err := v.ApprovalPayload(member)
	require.NoError(t, err)
	var env dsse.Envelope
	if key != nil {
		env = seal(t, key, payload)
	} else {
		env, err = svc.Seal(payload)
		require.NoError(t, err)
	}
	return riskmodel.Signoff{By: member, At: epoch, Envelope: env}
}

// ladderSignoff returns a ladder statement for v at level signed by svc
// (or by key when set).
func ladderSignoff(t testing.TB, v *riskmodel.Version, svc *attest.Service, key ed25519.PrivateKey, level int) riskmodel.Signoff {
	t.Helper()
	payload, err := v.LadderPayload(level, "test")
	require.NoError(t, err)
	var env dsse.Envelope
	if key != nil {
		env = seal(t, key, payload)
	} else {
		env, err = svc.Seal(payload)
		require.NoError(t, err)
	}
	return riskmodel.Signoff{By: riskmodel.LadderSigner, At: epoch, Envelope: env}
}

func requireUnverified(t *testing.T, err error, version string) {
	t.Helper()
	require.ErrorIs(t, err, riskmodel.ErrUnverified)
	e := trustgate.AsError(err)
	require.NotNil(t, e)
	assert.Equal(t, trustgate.Tampered, e.Code)
	assert.Equal(t, "MODEL_UNVERIFIED", e.Reason)
	var re *attest.RecordError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "risk_model_versions/"+version, re.Record, "%v", err)
}

func TestVerifyModelNeedsTwoMembersOtherThanTheCreator(t *testing.T) {
	svc := service(t, attest.ServiceAttested, "alice", "bob", "carol")
	keys, levels := svc.Keys(), maturity.Levels()
	v := candidate("2.0", "0", "0", "0") // level 0's thresholds; new weights
	v.Weights[riskmodel.PrivilegeElevation], v.Weights[riskmodel.VendorHistory] = d("0.15"), d("0.10")
	v.CreatedBy = "alice"
	require.NoError(t, v.Validate())
	other := v.Clone()
	other.Version = "2.1"

	sa := func(m string) riskmodel.Signoff { return modelSignoff(t, &v, svc, nil, m) }
	own := func(m string) riskmodel.Signoff { return modelSignoff(t, &v, nil, testkeys.MemberKey(m), m) }
	tests := []struct {
		name     string
		signoffs []riskmodel.Signoff
		ok       bool
	}{
		{"no approval", nil, false},
		{"one member", []riskmodel.Signoff{sa("bob")}, false},
		{"the creator and one other", []riskmodel.Signoff{sa("alice"), sa("bob")}, false},
		{"one member twice", []riskmodel.Signoff{sa("bob"), sa("bob")}, false},
		{"one member under two spellings, with their own key", []riskmodel.Signoff{own("bob"),
			modelSignoff(t, &v, nil, testkeys.MemberKey("bob"), "Bob ")}, false},
		{"the creator under two other spellings, with her own key", []riskmodel.Signoff{
			modelSignoff(t, &v, nil, testkeys.MemberKey("alice"), "Alice"),
			modelSignoff(t, &v, nil, testkeys.MemberKey("alice"), "ALICE ")}, false},
		{"a member and a non-member", []riskmodel.Signoff{sa("bob"), modelSignoff(t, &v, nil, testkeys.Key("mallory"), "mallory")}, false},
		{"a member and a signature by another member's key", []riskmodel.Signoff{sa("bob"), modelSignoff(t, &v, nil, testkeys.MemberKey("bob"), "carol")}, false},
		{"a member and an approval of another version", []riskmodel.Signoff{sa("bob"), modelSignoff(t, &other, svc, nil, "carol")}, false},
		{"a member and a relabelled signoff", []riskmodel.Signoff{sa("bob"), {By: "carol", Envelope: sa("bob").Envelope}}, false},
		{"a member and an unsigned signoff", []riskmodel.Signoff{sa("bob"), {By: "carol"}}, false},
		{"a member and a ladder statement for thresholds that are level 0's, by a member's key",
			[]riskmodel.Signoff{sa("bob"), ladderSignoff(t, &v, nil, testkeys.MemberKey("bob"), 0)}, false},
		{"two members other than the creator", []riskmodel.Signoff{sa("bob"), sa("carol")}, true},
		{"two members with their own keys", []riskmodel.Signoff{own("bob"), own("carol")}, true},
		{"the creator too, and two others", []riskmodel.Signoff{sa("alice"), sa("bob"), own("carol")}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := v.Clone()
			m.Signoffs = tt.signoffs
			h, err := cab.VerifyModel(&m, keys, levels, maturity.Baseline)
			if !tt.ok {
				requireUnverified(t, err, "2.0")
				return
			}
			require.NoError(t, err)
			want, err := m.ContentHash()
			require.NoError(t, err)
			assert.Equal(t, security.Digest(want), h)
		})
	}

	// In member-signed mode the service key's signatures approve nothing.
	ms := service(t, attest.MemberSigned, "alice", "bob", "carol")
	m := v.Clone()
	m.Signoffs = []riskmodel.Signoff{modelSignoff(t, &m, ms, nil, "bob"), modelSignoff(t, &m, ms, nil, "carol")}
	_, err := cab.VerifyModel(&m, ms.Keys(), levels, maturity.Baseline)
	requireUnverified(t, err, "2.0")
	m.Signoffs = []riskmodel.Signoff{own("bob"), own("carol")}
	_, err = cab.VerifyModel(&m, ms.Keys(), levels, maturity.Baseline)
	require.NoError(t, err)

	// A keyring may ask for more, never fewer.
	c := testkeys.Config(attest.ServiceAttested, "alice", "bob", "carol", "dave")
	c.ModelQuorum = 3
	three, err := testkeys.Service(c)
	require.NoError(t, err)
	m.Signoffs = []riskmodel.Signoff{modelSignoff(t, &m, three, nil, "bob"), modelSignoff(t, &m, three, nil, "carol")}
	_, err = cab.VerifyModel(&m, three.Keys(), levels, maturity.Baseline)
	requireUnverified(t, err, "2.0")
	m.Signoffs = append(m.Signoffs, modelSignoff(t, &m, three, nil, "dave"))
	_, err = cab.VerifyModel(&m, three.Keys(), levels, maturity.Baseline)
	require.NoError(t, err)
	c.ModelQuorum = 1
	_, err = attest.NewKeyring(c)
	require.Error(t, err, "one member alone never approves a model")

	_, err = cab.VerifyModel(&m, nil, levels, maturity.Baseline)
	requireInvalid(t, err, "keys")
}

func TestVerifyModelCapsThresholdsAtTheLevelInForce(t *testing.T) {
	svc := service(t, attest.ServiceAttested, "alice", "bob", "carol")
	keys, levels := svc.Keys(), maturity.Levels()
	approved := func(v riskmodel.Version) riskmodel.Version {
		v.CreatedBy = "alice"
		v.Signoffs = []riskmodel.Signoff{modelSignoff(t, &v, svc, nil, "bob"), modelSignoff(t, &v, svc, nil, "carol")}
		return v
	}
	// The attack: 0/79/79/79 at level 0.
	evil := approved(candidate("evil", "79", "79", "79"))
	for l := range levels {
		_, err := cab.VerifyModel(&evil, keys, levels, maturity.Level(l))
		requireUnverified(t, err, "evil")
		assert.Contains(t, err.Error(), "exceeds", "level %d", l)
	}

	level2 := approved(candidate("2.0", "10", "30", "50"))
	for l, ok := range []bool{false, false, true, true, true} {
		_, err := cab.VerifyModel(&level2, keys, levels, maturity.Level(l))
		if ok {
			require.NoError(t, err, "level %d: a model may be stricter than the ladder", l)
		} else {
			requireUnverified(t, err, "2.0")
		}
	}
	stricter := approved(candidate("2.1", "0", "30", "40"))
	_, err := cab.VerifyModel(&stricter, keys, levels, maturity.ModerateLevel)
	require.NoError(t, err)
	looser := approved(candidate("2.2", "10", "31", "50"))
	_, err = cab.VerifyModel(&looser, keys, levels, maturity.ModerateLevel)
	requireUnverified(t, err, "2.2")
	assert.Contains(t, err.Error(), "PRODUCTIVITY_TOOLS")
	critical := approved(candidate("2.3", "10", "30", "50"))
	critical.Thresholds[blastradius.CriticalInfrastructure] = d("1")
	critical = approved(critical)
	_, err = cab.VerifyModel(&critical, keys, levels, maturity.OptimizedLevel)
	requireUnverified(t, err, "2.3")

	_, err = cab.VerifyModel(&level2, keys, levels, maturity.Level(len(levels)))
	requireUnverified(t, err, "2.0")
	_, err = cab.VerifyModel(&level2, keys, levels, -1)
	requireUnverified(t, err, "2.0")
}

func TestAModelEditedAfterApprovalNoLongerVerifies(t *testing.T) {
	svc := service(t, attest.ServiceAttested, "alice", "bob", "carol")
	keys, levels := svc.Keys(), maturity.Levels()
	v := candidate("2.0", "10", "30", "50")
	v.CreatedBy = "alice"
	v.Signoffs = []riskmodel.Signoff{modelSignoff(t, &v, svc, nil, "bob"), modelSignoff(t, &v, svc, nil, "carol")}
	_, err := cab.VerifyModel(&v, keys, levels, maturity.ModerateLevel)
	require.NoError(t, err)
	for name, edit := range map[string]func(m *riskmodel.Version){
		"a threshold raised":      func(m *riskmodel.Version) { m.Thresholds[blastradius.BusinessCritical] = d("10.01") },
		"a threshold lowered":     func(m *riskmodel.Version) { m.Thresholds[blastradius.NonCritical] = d("40") },
		"the exception threshold": func(m *riskmodel.Version) { m.ExceptionThreshold = d("95") },
		"a weight": func(m *riskmodel.Version) {
			m.Weights[riskmodel.PrivilegeElevation], m.Weights[riskmodel.VendorHistory] = d("0.05"), d("0.20")
		},
		"the creator":                func(m *riskmodel.Version) { m.CreatedBy = "mallory" },
		"the review date":            func(m *riskmodel.Version) { m.ReviewAt = m.ReviewAt.AddDate(1, 0, 0) },
		"the mode":                   func(m *riskmodel.Version) { m.Mode = riskmodel.Optimized },
		"the version string":         func(m *riskmodel.Version) { m.Version = "2.0b" },
		"the calibration":            func(m *riskmodel.Version) { m.Calibration = []byte(`{"source":"forged"}`) },
		"the approval cache cleared": nil,
	} {
		t.Run(name, func(t *testing.T) {
			m := v.Clone()
			if edit == nil {
				// The approval flag is a cache: clearing or setting it changes nothing.
				m.Approval = riskmodel.Approval{}
				_, err := cab.VerifyModel(&m, keys, levels, maturity.ModerateLevel)
				require.NoError(t, err)
				return
			}
			edit(&m)
			_, err := cab.VerifyModel(&m, keys, levels, maturity.ModerateLevel)
			requireUnverified(t, err, m.Version)
		})
	}
}

func TestTheSeedModelVerifiesByItsLadderStatement(t *testing.T) {
	f := newFixture(t)
	seed, err := f.s.RiskModel(f.ctx, riskmodel.SeedVersion)
	require.NoError(t, err)
	assert.Empty(t, seed.Approvers(f.keys), "no member approved it")
	level, ok := seed.Ladder(f.keys)
	require.True(t, ok)
	assert.Equal(t, 0, level)
	for l := range maturity.Levels() {
		_, err := cab.VerifyModel(&seed, f.keys, maturity.Levels(), maturity.Level(l))
		require.NoError(t, err, "level 0's thresholds are within every level's")
	}

	svc := attested(t)
	levels := maturity.Levels()
	// A ladder statement is accepted only for a level's exact thresholds, at
	// or below the level in force, signed by the service key.
	at2 := candidate("ladder-2", "10", "30", "50")
	at2.Mode = riskmodel.Moderate
	at2.Signoffs = []riskmodel.Signoff{ladderSignoff(t, &at2, svc, nil, 2)}
	_, err = cab.VerifyModel(&at2, svc.Keys(), levels, maturity.ModerateLevel)
	require.NoError(t, err)
	_, err = cab.VerifyModel(&at2, svc.Keys(), levels, maturity.MatureLevel)
	require.NoError(t, err)
	_, err = cab.VerifyModel(&at2, svc.Keys(), levels, maturity.CautiousLevel)
	requireUnverified(t, err, "ladder-2")

	claims2 := candidate("ladder-2b", "10", "30", "40") // not level 2's thresholds
	claims2.Signoffs = []riskmodel.Signoff{ladderSignoff(t, &claims2, svc, nil, 2)}
	_, err = cab.VerifyModel(&claims2, svc.Keys(), levels, maturity.ModerateLevel)
	requireUnverified(t, err, "ladder-2b")
	claims4 := candidate("ladder-4", "10", "30", "50") // level 2's thresholds, claiming level 4 at level 2
	claims4.Signoffs = []riskmodel.Signoff{ladderSignoff(t, &claims4, svc, nil, 4)}
	_, err = cab.VerifyModel(&claims4, svc.Keys(), levels, maturity.ModerateLevel)
	requireUnverified(t, err, "ladder-4")
	byMember := candidate("ladder-m", "10", "30", "50")
	byMember.Signoffs = []riskmodel.Signoff{ladderSignoff(t, &byMember, nil, testkeys.MemberKey("alice"), 2)}
	_, err = cab.VerifyModel(&byMember, svc.Keys(), levels, maturity.ModerateLevel)
	requireUnverified(t, err, "ladder-m")
	edited := at2.Clone()
	edited.Thresholds[blastradius.NonCritical] = d("45")
	_, err = cab.VerifyModel(&edited, svc.Keys(), levels, maturity.ModerateLevel)
	requireUnverified(t, err, "ladder-2")
}

// Through the workflow, over the store.

func TestOneCABMemberCannotPutALooseModelInForce(t *testing.T) {
	f := newFixture(t)
	// alice, one CAB member, creates 0/79/79/79 and approves it.
	evil := candidate("2.0-evil", "79", "79", "79")
	require.NoError(t, f.s.CreateRiskModel(f.ctx, evil, "alice"))
	_, err := f.w.ApproveModel(f.ctx, "2.0-evil", "alice")
	require.ErrorIs(t, err, cab.ErrSeparationOfDuties, "the creator's approval is refused")
	_, err = f.w.ApproveModel(f.ctx, "2.0-evil", "ALICE ")
	require.ErrorIs(t, err, cab.ErrSeparationOfDuties, "under any spelling")
	err = f.w.ActivateModel(f.ctx, "2.0-evil", "alice")
	requireUnverified(t, err, "2.0-evil")

	// Even approved by two other members it exceeds level 0's thresholds.
	v, err := f.w.ApproveModel(f.ctx, "2.0-evil", "bob")
	require.NoError(t, err)
	assert.False(t, v.Approval.Approved, "1 of 2")
	v, err = f.w.ApproveModel(f.ctx, "2.0-evil", "carol")
	require.NoError(t, err)
	assert.True(t, v.Approval.Approved, "the quorum signed it")
	_, err = f.w.ApproveModel(f.ctx, "2.0-evil", "mallory")
	require.ErrorIs(t, err, cab.ErrNotMember)
	err = f.w.ActivateModel(f.ctx, "2.0-evil", "alice")
	requireUnverified(t, err, "2.0-evil")
	assert.Contains(t, err.Error(), "exceeds")
	active, err := f.s.ActiveRiskModel(f.ctx)
	require.NoError(t, err)
	assert.Equal(t, riskmodel.SeedVersion, active.Version, "nothing was activated")

	// With the store's API, alice forces it active: the store trusts its
	// approval flag. The workflow verifies before it decides, and fails
	// closed.
	require.NoError(t, f.s.ActivateRiskModel(f.ctx, "2.0-evil", "alice"))
	sub := f.submission("chg-70", "79", blastradius.BusinessCritical)
	before := f.head()
	_, err = f.w.Submit(f.ctx, sub)
	requireUnverified(t, err, "2.0-evil")
	assert.Equal(t, before, f.head(), "nothing written")
	_, err = f.s.RequestByCorrelationID(f.ctx, "chg-70")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func TestAModelForcedActiveWithoutSignaturesDecidesNothing(t *testing.T) {
	f := newFixture(t)
	// Within level 0's thresholds, marked approved, and activated through
	// the store's API: no member signed it.
	forced := riskmodel.Seed(epoch)
	forced.Version, forced.Active = "2.0-forced", false
	forced.Approval = riskmodel.Approval{Approved: true, By: "bob", At: epoch}
	require.NoError(t, f.s.CreateRiskModel(f.ctx, forced, "alice"))
	require.NoError(t, f.s.ActivateRiskModel(f.ctx, "2.0-forced", "alice"))
	_, err := f.w.Submit(f.ctx, f.submission("chg-71", "10", blastradius.NonCritical))
	requireUnverified(t, err, "2.0-forced")
	assert.Contains(t, err.Error(), "0 of 2")
}

func TestAThresholdRaisedInTheDatabaseFailsClosed(t *testing.T) {
	f := newFixture(t, permissive)
	f.activate("2.0", "10", "30", "50")
	r := f.submit("chg-72", "20", blastradius.ProductivityTools)
	require.Equal(t, cab.AutoApproved, r.Decision.Outcome)

	// PRODUCTIVITY_TOOLS 30 → 50 in the rows; no store rule, no audit event.
	f.tamperKey("risk_model_thresholds", []any{"2.0", string(blastradius.ProductivityTools)}, []string{"threshold"}, d("50"))
	stored, err := f.s.ActiveRiskModel(f.ctx)
	require.NoError(t, err)
	require.Equal(t, "50", stored.Thresholds[blastradius.ProductivityTools].String())
	_, err = f.w.Submit(f.ctx, f.submission("chg-73", "45", blastradius.ProductivityTools))
	requireUnverified(t, err, "2.0")

	// Lowering one is an edit too: the content no longer matches what was signed.
	f.tamperKey("risk_model_thresholds", []any{"2.0", string(blastradius.ProductivityTools)}, []string{"threshold"}, d("20"))
	_, err = f.w.Submit(f.ctx, f.submission("chg-74", "15", blastradius.ProductivityTools))
	requireUnverified(t, err, "2.0")
	// Restored, it decides again.
	f.tamperKey("risk_model_thresholds", []any{"2.0", string(blastradius.ProductivityTools)}, []string{"threshold"}, d("30"))
	_, err = f.w.Submit(f.ctx, f.submission("chg-75", "15", blastradius.ProductivityTools))
	require.NoError(t, err)
}

func TestTheCABApprovesAndActivatesAModelWithinTheLadder(t *testing.T) {
	f := newFixture(t)
	// New weights at level 0: thresholds stay 0.
	v := candidate("1.2", "0", "0", "0")
	v.Weights[riskmodel.PrivilegeElevation], v.Weights[riskmodel.VendorHistory] = d("0.15"), d("0.10")
	require.NoError(t, f.s.CreateRiskModel(f.ctx, v, "Alice"))
	got, err := f.s.RiskModel(f.ctx, "1.2")
	require.NoError(t, err)
	assert.Equal(t, "alice", got.CreatedBy, "stored normalised")
	_, err = f.w.ApproveModel(f.ctx, "1.2", "bob")
	require.NoError(t, err)
	_, err = f.w.ApproveModel(f.ctx, "1.2", "bob")
	require.ErrorIs(t, err, cab.ErrDuplicateApproval)
	require.ErrorIs(t, f.w.ActivateModel(f.ctx, "1.2", "bob"), riskmodel.ErrUnverified, "1 of 2")
	_, err = f.w.ApproveModel(f.ctx, "1.2", "carol")
	require.NoError(t, err)
	require.NoError(t, f.w.ActivateModel(f.ctx, "1.2", "bob"))

	r := f.submit("chg-76", "10", blastradius.NonCritical)
	assert.Equal(t, "1.2", r.Decision.ModelVersion)
	active, err := f.s.ActiveRiskModel(f.ctx)
	require.NoError(t, err)
	h, err := active.ContentHash()
	require.NoError(t, err)
	assert.Equal(t, security.Digest(h), r.Decision.ModelHash, "the decision names the model by its content hash")
}

func TestMemberSignedModelApprovals(t *testing.T) {
	f := newFixture(t, memberSigned)
	v := candidate("1.2", "0", "0", "0")
	require.NoError(t, f.s.CreateRiskModel(f.ctx, v, "alice"))
	stored, err := f.s.RiskModel(f.ctx, "1.2")
	require.NoError(t, err)
	other := stored.Clone()
	other.Version = "1.3"

	_, err = f.w.ApproveModel(f.ctx, "1.2", "bob")
	require.ErrorIs(t, err, cab.ErrMemberSignature)
	statement := func(v *riskmodel.Version, member string) []byte {
		p, err := v.ApprovalPayload(member)
		require.NoError(t, err)
		return p
	}
	for _, tt := range []struct {
		name string
		env  dsse.Envelope
		is   error
	}{
		{"signed by the service key", sealService(t, f.svc, statement(&stored, "bob")), attest.ErrUnknownKey},
		{"signed by another member's key", seal(t, testkeys.MemberKey("carol"), statement(&stored, "bob")), attest.ErrUnknownKey},
		{"signed by an unknown key", seal(t, testkeys.Key("mallory"), statement(&stored, "bob")), attest.ErrUnknownKey},
		{"a non-member", seal(t, testkeys.Key("mallory"), statement(&stored, "mallory")), cab.ErrNotMember},
		{"the creator", seal(t, testkeys.MemberKey("alice"), statement(&stored, "alice")), cab.ErrSeparationOfDuties},
		{"another version", seal(t, testkeys.MemberKey("bob"), statement(&other, "bob")), attest.ErrStatement},
		{"an unnormalised name", seal(t, testkeys.MemberKey("bob"), statement(&stored, "Bob")), attest.ErrStatement},
		{"malformed", seal(t, testkeys.MemberKey("bob"), []byte("{}")), attest.ErrStatement},
		{"forged", forgeModel(seal(t, testkeys.MemberKey("bob"), statement(&stored, "bob"))), attest.ErrStatement},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.w.ApproveModelSigned(f.ctx, "1.2", tt.env)
			require.ErrorIs(t, err, tt.is, "%v", err)
			got, err := f.s.RiskModel(f.ctx, "1.2")
			require.NoError(t, err)
			assert.Empty(t, got.Signoffs, "nothing written")
		})
	}
	for _, m := range []string{"bob", "carol"} {
		_, err := f.w.ApproveModelSigned(f.ctx, "1.2", seal(t, testkeys.MemberKey(m), statement(&stored, m)))
		require.NoError(t, err)
	}
	require.NoError(t, f.w.ActivateModel(f.ctx, "1.2", "bob"))
	got, err := f.s.ActiveRiskModel(f.ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"bob", "carol"}, got.Approvers(f.keys))
}

// forgeModel edits a model approval statement after it was signed.
func forgeModel(env dsse.Envelope) dsse.Envelope {
	env.Payload = append([]byte(nil), env.Payload...)
	for i := range env.Payload {
		if env.Payload[i] == '1' { // a digit of the version or the digest
			env.Payload[i] = '2'
			break
		}
	}
	return env
}
