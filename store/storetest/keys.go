package storetest

import (
	"sync"

	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/stretchr/testify/require"
)

// The suite signs with the development keys of internal/testkeys: a
// service key and one key per CAB member, the same on every run. What the
// store keeps of a signed record it must give back byte for byte, so that
// the record still verifies; the store itself never verifies anything.

// suiteMembers is the CAB of the suite's keyring.
var suiteMembers = []string{"alice", "bob", "carol", "dave", "erin", "frank", "cab-alice", "cab-bob", "cab-carol"}

// services are the suite's services, one per approval mode.
var services = map[attest.Mode]func() (*attest.Service, error){
	attest.ServiceAttested: sync.OnceValues(func() (*attest.Service, error) {
		return testkeys.Service(testkeys.Config(attest.ServiceAttested, suiteMembers...))
	}),
	attest.MemberSigned: sync.OnceValues(func() (*attest.Service, error) {
		return testkeys.Service(testkeys.Config(attest.MemberSigned, suiteMembers...))
	}),
}

// svc returns the suite's service in service-attested mode.
func (e *env) svc() *attest.Service { return e.svcIn(attest.ServiceAttested) }

// svcIn returns the suite's service in mode.
func (e *env) svcIn(mode attest.Mode) *attest.Service {
	e.t.Helper()
	s, err := services[mode]()
	require.NoError(e.t, err)
	return s
}

// keys returns the suite's keyring in service-attested mode.
func (e *env) keys() *attest.Keyring { return e.svc().Keys() }

// seal returns payload signed by the service key.
func (e *env) seal(payload []byte) dsse.Envelope {
	e.t.Helper()
	env, err := e.svc().Seal(payload)
	require.NoError(e.t, err)
	return env
}

// memberSeal returns payload signed with member's own development key.
func (e *env) memberSeal(member string, payload []byte) dsse.Envelope {
	e.t.Helper()
	signer, err := dsse.NewSigner(testkeys.MemberKey(member))
	require.NoError(e.t, err)
	env, err := dsse.Seal(attest.PayloadType, payload, signer)
	require.NoError(e.t, err)
	return env
}

// signoff returns member's approval of v as the service key attests it
// for the member (service-attested mode), its By normalised.
func (e *env) signoff(v riskmodel.Version, member string) riskmodel.Signoff {
	e.t.Helper()
	who := attest.NormalizeName(member)
	payload, err := v.ApprovalPayload(who)
	require.NoError(e.t, err)
	return riskmodel.Signoff{By: who, Envelope: e.seal(payload)}
}

// approveModel appends member's signed approval of the stored version
// (signed over its content as stored), setting the approval cache when
// approved is true.
func (e *env) approveModel(version, member string, approved bool) error {
	e.t.Helper()
	v, err := e.s.RiskModel(e.ctx(), version)
	if err != nil {
		v = candidate(version) // an unknown version: any signed statement
	}
	return e.s.ApproveRiskModel(e.ctx(), version, e.signoff(v, member), approved)
}

// sign returns r with its decision statement signed by the service key,
// as the workflow submits it.
func (e *env) sign(r cab.Request) cab.Request {
	e.t.Helper()
	payload, err := r.DecisionPayload()
	require.NoError(e.t, err)
	r.Attestation = e.seal(payload)
	return r
}

// attested returns member's approval of kind of r, its statement signed
// by svc's service key, as a workflow in service-attested mode records the
// approval of a member it authenticated. It is safe to call from any
// goroutine.
func attested(svc *attest.Service, r *cab.Request, kind cab.ApprovalKind, member, comment string) (cab.Approval, error) {
	who := attest.NormalizeName(member)
	payload, err := r.ApprovalPayload(kind, who, comment)
	if err != nil {
		return cab.Approval{}, err
	}
	env, err := svc.Seal(payload)
	if err != nil {
		return cab.Approval{}, err
	}
	return cab.Approval{By: who, Comment: comment, Envelope: env}, nil
}

// engine returns a maturity engine over e's store, signing with svc.
func (e *env) engine(svc *attest.Service, opts maturity.Options) *maturity.Engine {
	e.t.Helper()
	opts.Service = svc
	if opts.Now == nil {
		opts.Now = e.clock.Now
	}
	eng, err := maturity.NewEngine(e.s, opts)
	require.NoError(e.t, err)
	return eng
}

// workflow returns a CAB workflow over e's store, signing with svc.
func (e *env) workflow(svc *attest.Service, opts cab.Options) *cab.Workflow {
	e.t.Helper()
	opts.Service = svc
	if opts.Now == nil {
		opts.Now = e.clock.Now
	}
	w, err := cab.NewWorkflow(e.s, opts)
	require.NoError(e.t, err)
	return w
}
