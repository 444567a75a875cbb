package maturity_test

import (
	"crypto"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/incident"
	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/memstore"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type engineFixture struct {
	t   *testing.T
	now time.Time
	s   *store.Store
	svc *attest.Service
	e   *maturity.Engine
}

// members is the CAB of the fixtures' keyrings.
var members = []string{"cab-alice", "cab-bob", "cab-carol"}

// newEngineFixture returns an engine over a seeded store, signing with the
// development service in service-attested mode.
func newEngineFixture(t *testing.T) *engineFixture {
	return newEngineFixtureIn(t, attest.ServiceAttested)
}

func newEngineFixtureIn(t *testing.T, mode attest.Mode) *engineFixture {
	f := &engineFixture{t: t, now: epoch}
	s, err := store.New(memstore.New(memstore.Options{}), store.Options{Now: func() time.Time { return f.now }})
	require.NoError(t, err)
	f.s = s
	f.svc, err = testkeys.Service(testkeys.Config(mode, members...))
	require.NoError(t, err)
	require.NoError(t, store.Seed(t.Context(), f.s, f.svc, f.now))
	e, err := maturity.NewEngine(f.s, maturity.Options{Service: f.svc, Now: func() time.Time { return f.now }})
	require.NoError(t, err)
	f.e = e
	return f
}

// ready deploys four clean weeks and returns the ready progression the
// engine then finds.
func (f *engineFixture) ready() maturity.Evaluation {
	f.t.Helper()
	for range 4 {
		f.week(incident.P4)
	}
	ev, err := f.e.Evaluate(f.t.Context())
	require.NoError(f.t, err)
	require.True(f.t, ev.Ready, "%s %+v", ev.Reason, ev.Criteria)
	return ev
}

// state returns the maturity state as stored.
func (f *engineFixture) state() maturity.State {
	f.t.Helper()
	st, err := f.s.MaturityState(f.t.Context())
	require.NoError(f.t, err)
	return st
}

// signed returns ev's approval statement for member signed with key.
func signed(t *testing.T, ev maturity.Evaluation, member string, key crypto.Signer) dsse.Envelope {
	t.Helper()
	payload, err := ev.ApprovalPayload(member)
	require.NoError(t, err)
	signer, err := dsse.NewSigner(key)
	require.NoError(t, err)
	env, err := dsse.Seal(attest.PayloadType, payload, signer)
	require.NoError(t, err)
	return env
}

// week deploys 100 packages through the week and reports the incidents.
func (f *engineFixture) week(severities ...incident.Severity) {
	f.t.Helper()
	start := f.now
	for i := range 100 {
		f.now = start.Add(time.Duration(i) * maturity.Week / 100)
		_, err := f.s.RecordDeployment(f.t.Context(), incident.Deployment{
			ID: uuid.New(), Application: fmt.Sprintf("app-%d", i%7), Class: blastradius.ProductivityTools,
			RiskScore: decimal.NewFromInt(int64(i % 40)), ModelVersion: "1.1", FinishedAt: f.now,
		})
		require.NoError(f.t, err)
	}
	for i, s := range severities {
		f.now = start.Add(time.Duration(i+1) * 24 * time.Hour)
		_, err := f.s.CreateIncident(f.t.Context(), incident.Incident{
			CorrelationID: uuid.NewString(), Severity: s, OccurredAt: f.now, Application: "app-1",
		})
		require.NoError(f.t, err)
	}
	f.now = start.Add(maturity.Week)
}

func (f *engineFixture) level() maturity.Level {
	f.t.Helper()
	st, err := f.s.MaturityState(f.t.Context())
	require.NoError(f.t, err)
	return st.Level
}

func TestTheEngineWalksAFleetUpAndDownAgainstAStore(t *testing.T) {
	f := newEngineFixture(t)
	ctx := t.Context()
	for range 4 {
		f.week(incident.P4)
	}
	ev, err := f.e.Evaluate(ctx)
	require.NoError(t, err)
	require.True(t, ev.Ready, "%s %+v", ev.Reason, ev.Criteria)
	assert.Equal(t, int64(400), ev.Deployments)
	assert.Equal(t, maturity.Baseline, f.level(), "a ready evaluation changes nothing until the CAB approves")

	_, err = f.e.Approve(ctx, ev.ID, " ")
	var te *maturity.TransitionError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, ev.ID.String(), te.EvaluationID)
	e := trustgate.AsError(err)
	assert.Equal(t, trustgate.Invalid, e.Code)
	assert.Equal(t, "approver", e.Field)
	first, err := f.e.Approve(ctx, ev.ID, "cab-alice")
	require.NoError(t, err)
	require.Nil(t, first.Transition, "one member alone raises nothing")
	assert.Equal(t, maturity.Baseline, f.level())
	approved, err := f.e.Approve(ctx, ev.ID, "cab-bob")
	require.NoError(t, err)
	require.NotNil(t, approved.Transition)
	tr := approved.Transition
	assert.Equal(t, maturity.CautiousLevel, f.level())
	active, err := f.s.ActiveRiskModel(ctx)
	require.NoError(t, err)
	assert.Equal(t, tr.Model.Version, active.Version)
	assert.Equal(t, "20", active.Thresholds[blastradius.ProductivityTools].String())

	_, err = f.e.Approve(ctx, ev.ID, "cab-carol")
	require.ErrorAs(t, err, &te)
	require.ErrorIs(t, err, maturity.ErrDecided, "a decided record cannot be approved again")
	e = trustgate.AsError(err)
	assert.Equal(t, trustgate.Conflict, e.Code)
	assert.Equal(t, "EVALUATION_DECIDED", e.Reason)
	assert.Equal(t, ev.ID.String(), te.EvaluationID, "the TransitionError is still reachable")

	f.week()
	notReady, err := f.e.Evaluate(ctx)
	require.NoError(t, err)
	require.False(t, notReady.Ready, "one week at level 1 is not four")
	before, err := f.s.AuditHead(ctx)
	require.NoError(t, err)
	_, err = f.e.Approve(ctx, notReady.ID, "cab-alice")
	require.ErrorIs(t, err, maturity.ErrNotReady)
	after, err := f.s.AuditHead(ctx)
	require.NoError(t, err)
	assert.Equal(t, before, after, "a refused approval writes nothing")

	entered := f.state().Since
	f.week(incident.P1)
	down, err := f.e.Evaluate(ctx)
	require.NoError(t, err)
	assert.Equal(t, maturity.Regression, down.Kind)
	assert.True(t, down.Ready, "a regression is ready: the engine applies it without approval")
	assert.True(t, down.Decided(), "a regression is applied at once")
	// Its headline is what it judged: the two weeks since level 1 was
	// entered, not the whole four-week period.
	whole, err := f.s.RecountIncidents(ctx, down.PeriodTo.Add(-4*maturity.Week), down.PeriodTo)
	require.NoError(t, err)
	since, err := f.s.RecountIncidents(ctx, entered, down.PeriodTo)
	require.NoError(t, err)
	require.Less(t, since.Deployments, whole.Deployments, "the fixture's period reaches back before the level was entered")
	assert.True(t, down.PeriodFrom.Equal(entered), "judged from %v, entered %v", down.PeriodFrom, entered)
	assert.Equal(t, since.Deployments, down.Deployments)
	assert.Equal(t, since.Incidents, down.Incidents)
	assert.Equal(t, int64(1), down.P1)
	assert.Equal(t, incident.Rate(since.Incidents, since.Deployments).String(), down.IncidentRate.String())
	assert.Equal(t, maturity.Baseline, f.level())
	active, err = f.s.ActiveRiskModel(ctx)
	require.NoError(t, err)
	assert.True(t, active.Thresholds[blastradius.ProductivityTools].IsZero())
	st := f.state()
	assert.Equal(t, maturity.Regression, st.Kind)
	require.NoError(t, maturity.VerifyState(&st, f.svc.Keys(), len(maturity.Levels())), "a regression is signed by the service key")

	stored, err := f.s.ListEvaluations(ctx, 10)
	require.NoError(t, err)
	assert.Len(t, stored, 3, "every evaluation is a stored progress record")
	_, err = security.VerifyChain(ctx, f.s, security.VerifyOptions{})
	require.NoError(t, err)

	_, err = f.e.Approve(ctx, uuid.New(), "cab-alice")
	require.True(t, errors.Is(err, store.ErrNotFound))
}

// The engine knows nothing of how finely a store keeps time: what Evaluate
// returns is what the store kept, also for a clock reading with
// nanoseconds.
func TestEvaluateReturnsTheEvaluationAsStored(t *testing.T) {
	f := newEngineFixture(t)
	f.now = f.now.Add(4*maturity.Week + 789*time.Nanosecond)
	ev, err := f.e.Evaluate(t.Context())
	require.NoError(t, err)
	stored, err := f.s.Evaluation(t.Context(), ev.ID)
	require.NoError(t, err)
	assert.Equal(t, stored, ev)
	assert.Equal(t, f.now.Truncate(f.s.TimePrecision()), ev.CreatedAt)
}

// A progression applies only once distinct members reach the keyring's
// quorum: the first approval is recorded and changes nothing; the second
// applies the level and its model, whose state and model verify.
func TestAProgressionNeedsTwoMembers(t *testing.T) {
	f := newEngineFixture(t)
	ctx := t.Context()
	ev := f.ready()
	keys := f.svc.Keys()
	seed := f.state()
	require.NoError(t, maturity.VerifyState(&seed, keys, len(maturity.Levels())), "the seed's level verifies")

	first, err := f.e.Approve(ctx, ev.ID, " CAB-Alice ")
	require.NoError(t, err)
	assert.Nil(t, first.Transition)
	assert.Equal(t, 1, first.Approvals)
	assert.Equal(t, 2, first.Quorum)
	require.Len(t, first.Evaluation.Approvals, 1)
	assert.Equal(t, "cab-alice", first.Evaluation.Approvals[0].By)
	assert.False(t, first.Evaluation.Decided())
	assert.Equal(t, seed, f.state(), "the level is unchanged")

	for _, again := range []string{"cab-alice", "CAB-ALICE"} {
		_, err = f.e.Approve(ctx, ev.ID, again)
		require.ErrorIs(t, err, store.ErrConflict, "%q: one member approves once", again)
	}
	_, err = f.e.Approve(ctx, ev.ID, "mallory")
	require.ErrorIs(t, err, maturity.ErrNotMember)
	assert.Equal(t, "NOT_CAB_MEMBER", trustgate.AsError(err).Reason)
	stored, err := f.s.Evaluation(ctx, ev.ID)
	require.NoError(t, err)
	assert.Len(t, stored.Approvals, 1, "refusals record nothing")

	second, err := f.e.Approve(ctx, ev.ID, "cab-bob")
	require.NoError(t, err)
	require.NotNil(t, second.Transition)
	assert.Equal(t, 2, second.Approvals)
	assert.True(t, second.Evaluation.Decided())
	st := f.state()
	assert.Equal(t, maturity.CautiousLevel, st.Level)
	assert.Equal(t, maturity.Progression, st.Kind)
	require.Len(t, st.Approvals, 2)
	require.NoError(t, maturity.VerifyState(&st, keys, len(maturity.Levels())))
	active, err := f.s.ActiveRiskModel(ctx)
	require.NoError(t, err)
	assert.Equal(t, second.Transition.Model.Version, active.Version)
	lvl, ok := active.Ladder(keys)
	require.True(t, ok, "the level's model carries the service key's ladder statement")
	assert.Equal(t, int(maturity.CautiousLevel), lvl)
	assert.Equal(t, "cab-bob", active.CreatedBy, "the member whose approval applied it")
}

// In member-signed mode the service key vouches for no member: only a
// statement signed with the member's own key approves, and it must be the
// statement of the evaluation as stored, by that member.
func TestApproveSignedInMemberSignedMode(t *testing.T) {
	f := newEngineFixtureIn(t, attest.MemberSigned)
	ctx := t.Context()
	ev := f.ready()
	keys := f.svc.Keys()

	_, err := f.e.Approve(ctx, ev.ID, "cab-alice")
	require.ErrorIs(t, err, maturity.ErrMemberSignature)
	assert.Equal(t, trustgate.Forbidden, trustgate.ErrorCode(err))
	assert.Equal(t, "MEMBER_SIGNATURE_REQUIRED", trustgate.AsError(err).Reason)

	other := ev
	other.ID = uuid.New()
	drifted := ev
	drifted.Deployments++
	serviceKey := testkeys.Key(testkeys.ServiceName)
	for name, c := range map[string]struct {
		env    dsse.Envelope
		target error
	}{
		"a statement about another evaluation": {signed(t, other, "cab-alice", testkeys.MemberKey("cab-alice")), attest.ErrStatement},
		"a statement about other findings":     {signed(t, drifted, "cab-alice", testkeys.MemberKey("cab-alice")), attest.ErrStatement},
		"another member's key":                 {signed(t, ev, "cab-alice", testkeys.MemberKey("cab-bob")), attest.ErrUnknownKey},
		"the service key":                      {signed(t, ev, "cab-alice", serviceKey), attest.ErrUnknownKey},
		"a key of no one's":                    {signed(t, ev, "cab-alice", testkeys.Key("mallory")), attest.ErrUnknownKey},
		"an unnormalised member":               {signed(t, ev, "CAB-Alice", testkeys.MemberKey("cab-alice")), attest.ErrStatement},
		"a non-member":                         {signed(t, ev, "mallory", testkeys.Key("member:mallory")), maturity.ErrNotMember},
		"not an in-toto statement": {dsse.Envelope{PayloadType: "text/plain", Payload: []byte("approve"),
			Signatures: signed(t, ev, "cab-alice", testkeys.MemberKey("cab-alice")).Signatures}, attest.ErrStatement},
	} {
		_, err := f.e.ApproveSigned(ctx, ev.ID, c.env)
		require.ErrorIs(t, err, c.target, name)
	}
	stored, err := f.s.Evaluation(ctx, ev.ID)
	require.NoError(t, err)
	assert.Empty(t, stored.Approvals, "nothing refused is recorded")
	assert.Equal(t, maturity.Baseline, f.level())

	first, err := f.e.ApproveSigned(ctx, ev.ID, signed(t, ev, "cab-alice", testkeys.MemberKey("cab-alice")))
	require.NoError(t, err)
	assert.Nil(t, first.Transition)
	assert.Equal(t, 1, first.Approvals)
	_, err = f.e.ApproveSigned(ctx, ev.ID, signed(t, ev, "cab-alice", testkeys.MemberKey("cab-alice")))
	require.ErrorIs(t, err, store.ErrConflict, "a member's second signature")
	second, err := f.e.ApproveSigned(ctx, ev.ID, signed(t, ev, "cab-carol", testkeys.MemberKey("cab-carol")))
	require.NoError(t, err)
	require.NotNil(t, second.Transition)
	st := f.state()
	assert.Equal(t, maturity.CautiousLevel, st.Level)
	require.NoError(t, maturity.VerifyState(&st, keys, len(maturity.Levels())))
	attested, err := testkeys.Service(testkeys.Config(attest.ServiceAttested, members...))
	require.NoError(t, err)
	require.NoError(t, maturity.VerifyState(&st, attested.Keys(), len(maturity.Levels())),
		"members' own signatures count in either mode")
}

// VerifyState names what does not match: a level edited after signing,
// approvals edited (one removed: too few remain), a state not signed, or
// signed by another key.
func TestVerifyStateRefusesAnEditedOrUnsignedState(t *testing.T) {
	f := newEngineFixture(t)
	ctx := t.Context()
	ev := f.ready()
	for _, m := range []string{"cab-alice", "cab-bob"} {
		_, err := f.e.Approve(ctx, ev.ID, m)
		require.NoError(t, err)
	}
	good := f.state()
	keys := f.svc.Keys()
	levels := len(maturity.Levels())
	require.NoError(t, maturity.VerifyState(&good, keys, levels))

	otherKeys, err := attest.NewKeyring(attest.Config{Service: testkeys.Public("another service"),
		Members: testkeys.Config(attest.ServiceAttested, members...).Members})
	require.NoError(t, err)

	for name, c := range map[string]struct {
		edit func(s *maturity.State)
		keys *attest.Keyring
		part string
	}{
		"a level raised":         {func(s *maturity.State) { s.Level = maturity.ModerateLevel }, keys, "attestation"},
		"a level lowered":        {func(s *maturity.State) { s.Level = maturity.Baseline }, keys, "attestation"},
		"a level off the ladder": {func(s *maturity.State) { s.Level = 9 }, keys, "level"},
		"a model swapped":        {func(s *maturity.State) { s.ModelVersion = riskmodel.SeedVersion }, keys, "attestation"},
		"an approval removed":    {func(s *maturity.State) { s.Approvals = s.Approvals[:1] }, keys, "attestation"},
		"an approver replaced":   {func(s *maturity.State) { s.Approvals[1] = s.Approvals[0] }, keys, "attestation"},
		"bob's approval carrying alice's statement": {func(s *maturity.State) { s.Approvals[1].Envelope = s.Approvals[0].Envelope },
			keys, "approvals"},
		"an approval's signature broken": {func(s *maturity.State) {
			sig := append([]byte(nil), s.Approvals[1].Envelope.Signatures[0].Sig...)
			sig[0] ^= 1
			s.Approvals[1].Envelope.Signatures = []dsse.Signature{{KeyID: s.Approvals[1].Envelope.Signatures[0].KeyID, Sig: sig}}
		}, keys, "approvals"},
		"unsigned":              {func(s *maturity.State) { s.Attestation = dsse.Envelope{} }, keys, "attestation"},
		"signatures dropped":    {func(s *maturity.State) { s.Attestation.Signatures = nil }, keys, "attestation"},
		"another service's key": {func(*maturity.State) {}, otherKeys, "attestation"},
		"a kind changed":        {func(s *maturity.State) { s.Kind = maturity.Regression }, keys, "attestation"},
	} {
		s := good
		s.Approvals = append([]maturity.Approval(nil), good.Approvals...)
		s.Attestation.Signatures = append([]dsse.Signature(nil), good.Attestation.Signatures...)
		c.edit(&s)
		err := maturity.VerifyState(&s, c.keys, levels)
		require.ErrorIs(t, err, attest.ErrTampered, name)
		var re *attest.RecordError
		require.ErrorAs(t, err, &re, name)
		assert.Equal(t, "maturity_state/1", re.Record, name)
		assert.Equal(t, c.part, re.Part, "%s: %v", name, err)
		assert.Equal(t, trustgate.Tampered, trustgate.ErrorCode(err), name)
	}

	// One approval removed and the state signed again, as someone holding
	// the service key but not a second member's would: too few approvals.
	short := good
	short.Approvals = good.Approvals[:1]
	active, err := f.s.ActiveRiskModel(ctx)
	require.NoError(t, err)
	h, err := active.ContentHash()
	require.NoError(t, err)
	require.NoError(t, short.Sign(f.svc, h))
	err = maturity.VerifyState(&short, keys, levels)
	var re *attest.RecordError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "approvals", re.Part)
	assert.Contains(t, err.Error(), "1 of 2")

	// A state that never was a transition's, above the baseline.
	forged := maturity.State{Level: maturity.CautiousLevel, Since: epoch, ModelVersion: riskmodel.SeedVersion}
	require.NoError(t, forged.Sign(f.svc, h))
	err = maturity.VerifyState(&forged, keys, levels)
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "kind", re.Part)
}
