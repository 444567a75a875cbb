package receipt_test

import (
	"errors"
	"testing"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/receipt"
	"github.com/buildworksai/trustgate/security/receipt/internal/receipttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixture is a service key and an audit log signed by it, with a few
// events already in it so that proofs have paths to check.
type fixture struct {
	svc *attest.Service
	log *receipttest.Log
}

func newFixture(t testing.TB) fixture {
	t.Helper()
	f := fixture{svc: receipttest.Service(t), log: receipttest.NewLog(t, receipttest.Origin, testkeys.ServiceName)}
	f.log.Fill(t, 3)
	return f
}

// model is the policy of the test model.
func model(t testing.TB) receipt.Policy {
	t.Helper()
	p, err := receipt.ModelPolicy(receipttest.Model())
	require.NoError(t, err)
	return p
}

// validation records rep in the log, appends a few events after it, and
// returns the receipt of rep: its envelope and the proof of its event.
func (f fixture) validation(t testing.TB, rep security.Report) receipt.Receipt {
	t.Helper()
	ev := f.log.Append(t, receipttest.ValidationEvent(rep))
	rep.AuditSeq = ev.Seq
	f.log.Fill(t, 2)
	env, err := receipt.Validation(f.svc, rep, model(t), ev, receipt.Options{})
	require.NoError(t, err)
	return receipt.Receipt{Envelope: env, Proof: f.log.Prove(t, ev.Seq)}
}

// authorization returns the receipt of r, recording ev as r's latest
// event (appended by the caller).
func (f fixture) authorization(t testing.TB, r cab.Request, ev security.Event) receipt.Receipt {
	t.Helper()
	f.log.Fill(t, 1)
	env, err := receipt.Authorization(f.svc, &r, ev, receipt.Options{})
	require.NoError(t, err)
	return receipt.Receipt{Envelope: env, Proof: f.log.Prove(t, ev.Seq)}
}

// verify verifies r with the fixture's keys and trust, which must succeed.
func (f fixture) verify(t testing.TB, r receipt.Receipt) receipt.Summary {
	t.Helper()
	s, err := receipt.Verify(r, f.svc.Keys(), f.log.Trust)
	require.NoError(t, err)
	return s
}

// wantErr checks that err wraps sentinel, with its reason, and names
// field.
func wantErr(t testing.TB, err error, sentinel *trustgate.Error, field string) *trustgate.Error {
	t.Helper()
	require.Error(t, err)
	require.True(t, errors.Is(err, sentinel), "error %v does not wrap %v", err, sentinel)
	e := trustgate.AsError(err)
	assert.Equal(t, sentinel.Reason, e.Reason, "reason of %v", err)
	assert.Equal(t, field, e.Field, "field of %v", err)
	return e
}
