package cab_test

import (
	"crypto"
	"testing"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Names are compared normalised (NFC, case folded, trimmed) in every
// separation-of-duties check and every count of distinct members.

func TestASubmitterCannotApproveUnderAnotherSpelling(t *testing.T) {
	// Pure: the submitter "alice " and the member "alice" are one person.
	svc := service(t, attest.ServiceAttested, "alice", "bob", "carol")
	r := newRequest(t, svc, "60", blastradius.BusinessCritical)
	r.Submitter = "alice"
	sign(t, svc, &r)
	for _, as := range []string{"alice", "ALICE", " Alice\t", "Alice"} {
		_, err := tryApprove(t, svc, r, as, epoch)
		require.ErrorIs(t, err, cab.ErrSeparationOfDuties, "as %q", as)
	}

	// A name written with a combining accent is the same name precomposed.
	js := service(t, attest.ServiceAttested, "jos\u00e9", "bob")
	rj := newRequest(t, js, "60", blastradius.BusinessCritical)
	rj.Submitter = attest.NormalizeName("Jose\u0301")
	sign(t, js, &rj)
	assert.Equal(t, "jos\u00e9", rj.Submitter)
	_, err := tryApprove(t, js, rj, "JOS\u00c9", epoch)
	require.ErrorIs(t, err, cab.ErrSeparationOfDuties)

	// Through the workflow: the submitter "alice " is stored as "alice".
	f := newFixture(t)
	sub := f.submission("chg-40", "42", blastradius.BusinessCritical)
	sub.Submitter = "alice "
	r, err = f.w.Submit(f.ctx, sub)
	require.NoError(t, err)
	assert.Equal(t, "alice", r.Submitter, "stored normalised")
	before := f.head()
	for _, as := range []string{"alice", "ALICE", "Alice "} {
		_, err := f.w.Approve(f.ctx, r.ID, as, "")
		require.ErrorIs(t, err, cab.ErrSeparationOfDuties, "as %q", as)
		assert.Equal(t, trustgate.Forbidden, trustgate.ErrorCode(err))
	}
	assert.Equal(t, before, f.head(), "nothing written")
	assert.Empty(t, f.request(r.ID).Approvals)

	// Nor in member-signed mode, with alice's own key.
	m := newFixture(t, memberSigned)
	sub = m.submission("chg-41", "42", blastradius.BusinessCritical)
	sub.Submitter = "ALICE"
	r, err = m.w.Submit(m.ctx, sub)
	require.NoError(t, err)
	p, err := r.ApprovalPayload(cab.KindApproval, "alice", "")
	require.NoError(t, err)
	_, err = m.w.ApproveSigned(m.ctx, r.ID, seal(t, testkeys.MemberKey("alice"), p))
	require.ErrorIs(t, err, cab.ErrSeparationOfDuties)
}

func TestOneMemberUnderTwoSpellingsIsOneApproval(t *testing.T) {
	svc := attested(t)
	r := newRequest(t, svc, "60", blastradius.CriticalInfrastructure) // quorum 3
	r = approve(t, svc, r, "Alice ", epoch)
	assert.Equal(t, "alice", r.Approvals[0].By, "recorded normalised")
	_, err := tryApprove(t, svc, r, "ALICE", epoch)
	require.ErrorIs(t, err, cab.ErrDuplicateApproval)
	_, err = cab.Approve(r, svc.Keys(), signedBy(t, &r, cab.KindApproval, "ALICE", "", testkeys.MemberKey("alice")), epoch)
	require.ErrorIs(t, err, cab.ErrDuplicateApproval, "signed with her own key under another spelling")

	f := newFixture(t)
	req := f.submit("chg-42", "60", blastradius.CriticalInfrastructure)
	_, err = f.w.Approve(f.ctx, req.ID, "Alice ", "")
	require.NoError(t, err)
	_, err = f.w.Approve(f.ctx, req.ID, "ALICE", "")
	require.ErrorIs(t, err, cab.ErrDuplicateApproval)
	stored := f.request(req.ID)
	require.Len(t, stored.Approvals, 1)
	assert.Equal(t, "alice", stored.Approvals[0].By)
}

func TestAKeyringWithOnePersonTwiceIsAnError(t *testing.T) {
	c := testkeys.Config(attest.ServiceAttested)
	c.Members = map[string][]crypto.PublicKey{"Alice": {testkeys.Public("a1")}, "alice ": {testkeys.Public("a2")}}
	_, err := attest.NewKeyring(c)
	require.Error(t, err)
	e := trustgate.AsError(err)
	require.NotNil(t, e)
	assert.Equal(t, trustgate.Invalid, e.Code)
	assert.Contains(t, e.Field, "members[")
	assert.Contains(t, err.Error(), "alice")

	c.Members = map[string][]crypto.PublicKey{"Alice": nil, "ALICE": nil}
	_, err = attest.NewKeyring(c)
	require.Error(t, err, "without keys too")

	c.Members = map[string][]crypto.PublicKey{"Alice ": nil}
	keys, err := attest.NewKeyring(c)
	require.NoError(t, err)
	assert.Equal(t, []string{"alice"}, keys.Members())
	assert.True(t, keys.IsMember("ALICE"))
}
