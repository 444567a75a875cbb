package sqltest

import (
	"testing"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/google/uuid"
)

// BenchAuthorize measures Workflow.Authorize of a CRITICAL_INFRASTRUCTURE
// request approved 3 of 3, over be's database: one read of the request,
// the decision's signature and the three approvals' signatures verified,
// each statement encoded again and compared. Its reference, in the same
// run, is the read alone (Store.Request), so the ratio is the cost of
// believing nothing but signatures.
func BenchAuthorize(b *testing.B, be Backend) {
	a := newBenchAttack(b, be)
	vpn := blastradius.Input{AppName: "Corporate VPN Client", Privilege: blastradius.PrivilegeAdmin, TargetUsers: 20000}
	ev := a.benchEvidence(b, "ev-vpn")
	r, err := a.w.Submit(a.ctx, cab.Submission{EvidenceID: ev.ID, DeploymentIntentID: uuid.New(), CorrelationID: "chg-vpn",
		Classify: &vpn, Factors: factors(), Submitter: "sam"})
	if err != nil {
		b.Fatal(err)
	}
	if r.Decision.Class != blastradius.CriticalInfrastructure || r.Decision.Quorum != 3 {
		b.Fatalf("want a critical request with quorum 3, got %s quorum %d", r.Decision.Class, r.Decision.Quorum)
	}
	for _, m := range []string{"alice", "bob", "carol"} {
		if _, err := a.w.Approve(a.ctx, r.ID, m, "ok"); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Authorize", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			auth, err := a.w.Authorize(a.ctx, r.ID, artifact)
			if err != nil || auth.Approvals != 3 {
				b.Fatal(auth, err)
			}
		}
	})
	b.Run("ReadOnly", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := a.s.Request(a.ctx, r.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
}
