package cab_test

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// signedCritical returns a CRITICAL_INFRASTRUCTURE request approved 3 of
// 3, every part signed, and the keyring that verifies it.
func signedCritical(b *testing.B) (cab.Request, *attest.Keyring, security.Digest) {
	svc, err := testkeys.Service(testkeys.Config(attest.ServiceAttested, "alice", "bob", "carol"))
	if err != nil {
		b.Fatal(err)
	}
	v := riskmodel.Seed(time.Unix(1700000000, 0))
	dec, err := cab.Decide(decimal.NewFromInt(40), blastradius.CriticalInfrastructure, &v)
	if err != nil {
		b.Fatal(err)
	}
	digest := security.Digest{1, 2, 3}
	r := cab.Request{ID: uuid.New(), CorrelationID: "chg-1", EvidenceID: uuid.New(), DeploymentIntentID: uuid.New(),
		Application: "Corporate VPN Client", ArtifactDigest: digest, Submitter: "sam", Decision: dec,
		Status: cab.StatusFor(dec), CreatedAt: time.Unix(1700000000, 0).UTC()}
	payload, err := r.DecisionPayload()
	if err != nil {
		b.Fatal(err)
	}
	if r.Attestation, err = svc.Seal(payload); err != nil {
		b.Fatal(err)
	}
	for _, m := range []string{"alice", "bob", "carol"} {
		a, err := cab.Attest(svc, &r, cab.KindApproval, m, "ok")
		if err != nil {
			b.Fatal(err)
		}
		if r, err = cab.Approve(r, svc.Keys(), a, r.CreatedAt); err != nil {
			b.Fatal(err)
		}
	}
	return r, svc.Keys(), digest
}

// BenchmarkAuthorize3of3 measures the pure cab.Authorize of a request
// approved 3 of 3: four Ed25519 signatures verified and four statements
// encoded again. BenchmarkAuthorizeReferenceEd25519x4 is its reference in
// the same run: the four ed25519.Verify calls alone.
func BenchmarkAuthorize3of3(b *testing.B) {
	r, keys, digest := signedCritical(b)
	now := r.CreatedAt.Add(time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cab.Authorize(r, keys, digest, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthorizeReferenceEd25519x4: the reference for
// BenchmarkAuthorize3of3.
func BenchmarkAuthorizeReferenceEd25519x4(b *testing.B) {
	r, _, _ := signedCritical(b)
	pub := testkeys.Public(testkeys.ServiceName).(ed25519.PublicKey)
	envs := []dsse.Envelope{r.Attestation, r.Approvals[0].Envelope, r.Approvals[1].Envelope, r.Approvals[2].Envelope}
	paes := make([][]byte, len(envs))
	for i, e := range envs {
		paes[i] = dsse.PAE(e.PayloadType, e.Payload)
	}
	b.ReportAllocs()
	for b.Loop() {
		for i, e := range envs {
			if !ed25519.Verify(pub, paes[i], e.Signatures[0].Sig) {
				b.Fatal("does not verify")
			}
		}
	}
}
