package cab_test

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// team is the CAB of the tests of the pure rules; sam submits and is not
// a member of it.
var team = []string{"alice", "bob", "carol", "dave", "erin"}

// service returns the development service over a keyring in mode with a
// development key for each member.
func service(t testing.TB, mode attest.Mode, members ...string) *attest.Service {
	t.Helper()
	svc, err := testkeys.Service(testkeys.Config(mode, members...))
	require.NoError(t, err)
	return svc
}

// attested is the service of the team in service-attested mode.
func attested(t testing.TB) *attest.Service { return service(t, attest.ServiceAttested, team...) }

func digestOf(s string) security.Digest {
	var d security.Digest
	copy(d[:], s)
	return d
}

// sign signs r's decision with svc, as Submit does.
func sign(t testing.TB, svc *attest.Service, r *cab.Request) {
	t.Helper()
	payload, err := r.DecisionPayload()
	require.NoError(t, err)
	r.Attestation, err = svc.Seal(payload)
	require.NoError(t, err)
}

// newRequest returns a request submitted by sam and decided under a model
// with thresholds 10/30/50, its decision signed by svc.
func newRequest(t testing.TB, svc *attest.Service, score string, class blastradius.Class) cab.Request {
	t.Helper()
	dec, err := cab.Decide(d(score), class, model("10", "30", "50"))
	require.NoError(t, err)
	r := cab.Request{
		ID: uuid.New(), CorrelationID: "c-" + uuid.NewString(), EvidenceID: uuid.New(), DeploymentIntentID: uuid.New(),
		Application: "SAP GUI", Submitter: "sam", Decision: dec, Status: cab.StatusFor(dec),
		ArtifactDigest: digestOf("build-1"), CreatedAt: epoch,
	}
	sign(t, svc, &r)
	return r
}

// seal signs payload, an in-toto statement, with key: what a member
// signing from a terminal does, or an attacker with a key of their own.
func seal(t testing.TB, key ed25519.PrivateKey, payload []byte) dsse.Envelope {
	t.Helper()
	s, err := dsse.NewSigner(key)
	require.NoError(t, err)
	env, err := dsse.Seal(attest.PayloadType, payload, s)
	require.NoError(t, err)
	return env
}

// signedBy returns member's approval of kind of r, its statement signed
// with key.
func signedBy(t testing.TB, r *cab.Request, kind cab.ApprovalKind, member, comment string, key ed25519.PrivateKey) cab.Approval {
	t.Helper()
	payload, err := r.ApprovalPayload(kind, member, comment)
	require.NoError(t, err)
	return cab.Approval{By: member, Comment: comment, Envelope: seal(t, key, payload)}
}

// attestBy returns member's approval of kind of r, countersigned by svc
// ([cab.Attest]): what a caller that authenticated member records in
// service-attested mode.
func attestBy(t testing.TB, svc *attest.Service, r *cab.Request, kind cab.ApprovalKind, member, comment string) cab.Approval {
	t.Helper()
	a, err := cab.Attest(svc, r, kind, member, comment)
	require.NoError(t, err)
	return a
}

// tryApprove records member's service-attested approval of r.
func tryApprove(t testing.TB, svc *attest.Service, r cab.Request, member string, now time.Time) (cab.Request, error) {
	t.Helper()
	return cab.Approve(r, svc.Keys(), attestBy(t, svc, &r, cab.KindApproval, member, ""), now)
}

// approve records member's service-attested approval of r, which must
// succeed.
func approve(t testing.TB, svc *attest.Service, r cab.Request, member string, now time.Time) cab.Request {
	t.Helper()
	next, err := tryApprove(t, svc, r, member, now)
	require.NoError(t, err)
	return next
}

// reject records member's service-signed rejection of r.
func reject(t testing.TB, svc *attest.Service, r cab.Request, member, reason string, now time.Time) (cab.Request, error) {
	t.Helper()
	a := attestBy(t, svc, &r, cab.KindRejection, member, reason)
	return cab.Reject(r, svc.Keys(), cab.Rejection{By: a.By, Reason: reason, Envelope: a.Envelope}, now)
}

// requestException asks for an exception of r, signed by svc, as the
// workflow does.
func requestException(t testing.TB, svc *attest.Service, r cab.Request, requester, justification string, expires, now time.Time) (cab.Request, error) {
	t.Helper()
	x, err := cab.NewException(r, requester, justification, expires, now)
	if err != nil {
		return r, err
	}
	payload, err := r.ExceptionPayload(x)
	require.NoError(t, err)
	x.Attestation, err = svc.Seal(payload)
	require.NoError(t, err)
	return cab.RequestException(r, svc.Keys(), x, now)
}

// approveException records member's service-attested approval of r's
// exception.
func approveException(t testing.TB, svc *attest.Service, r cab.Request, member string, now time.Time) (cab.Request, error) {
	t.Helper()
	return cab.ApproveException(r, svc.Keys(), attestBy(t, svc, &r, cab.KindExceptionApproval, member, ""), now)
}
