package cab_test

import (
	"testing"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/stretchr/testify/require"
)

// FuzzApproveSigned feeds arbitrary envelopes, as a member-signed
// reference server receives them, to Workflow.ApproveSigned. Whatever the
// input, a refusal writes nothing, and an approval that is accepted is a
// member's own signature over the request's approval statement, by a
// member who did not submit it.
func FuzzApproveSigned(f *testing.F) {
	fx := newFixture(f, memberSigned, func(s *setup) { s.members = []string{"alice", "bob", "carol", "dave"} })
	r := fx.submit("chg-fuzz", "60", blastradius.CriticalInfrastructure) // quorum 3: stays pending
	other := fx.submit("chg-fuzz-other", "60", blastradius.CriticalInfrastructure)
	for _, seed := range []struct {
		r      *cab.Request
		member string
		key    string
	}{{&r, "alice", "alice"}, {&r, "bob", "carol"}, {&other, "carol", "carol"}, {&r, "sam", "sam"}, {&r, "Dave", "dave"}} {
		p, err := seed.r.ApprovalPayload(cab.KindApproval, seed.member, "ok")
		require.NoError(f, err)
		b, err := seal(f, testkeys.MemberKey(seed.key), p).Marshal()
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := dsse.Parse(b)
		if err != nil {
			return
		}
		fx := *fx
		fx.t = t
		before := fx.request(r.ID)
		head := fx.head()
		got, err := fx.w.ApproveSigned(fx.ctx, r.ID, env)
		after := fx.request(r.ID)
		if err != nil {
			require.Equal(t, len(before.Approvals), len(after.Approvals), "a refusal adds no approval")
			require.Equal(t, head, fx.head(), "a refusal writes nothing")
			return
		}
		require.Len(t, got.Approvals, len(before.Approvals)+1)
		a := got.Approvals[len(got.Approvals)-1]
		require.True(t, fx.keys.IsMember(a.By))
		require.Equal(t, attest.NormalizeName(a.By), a.By)
		require.NotEqual(t, r.Submitter, a.By)
		require.True(t, fx.keys.MemberSigned(&a.Envelope, a.By))
		want, err := r.ApprovalPayload(cab.KindApproval, a.By, a.Comment)
		require.NoError(t, err)
		require.True(t, attest.Carries(&a.Envelope, want))
		require.NoError(t, after.Verify(fx.keys))
	})
}
