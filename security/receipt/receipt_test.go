package receipt_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/buildworksai/trustgate/security/receipt"
	"github.com/buildworksai/trustgate/security/receipt/internal/receipttest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReceiptJSONRoundTrips(t *testing.T) {
	f := newFixture(t)
	r := f.validation(t, receipttest.FailedReport())
	b, err := json.Marshal(r)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(b), `{"mediaType":"application/vnd.trustgate.receipt.v1+json","dsseEnvelope":{"payloadType":"application/vnd.in-toto+json",`), "%s", b)

	back, err := receipt.ParseReceipt(b)
	require.NoError(t, err)
	assert.Equal(t, r, back)
	var viaJSON receipt.Receipt
	require.NoError(t, json.Unmarshal(b, &viaJSON))
	assert.Equal(t, r, viaJSON)
	assert.ErrorIs(t, json.Unmarshal([]byte(`{"mediaType":"x"}`), &viaJSON), receipt.ErrMalformed)
	again, err := back.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, b, again, "one receipt, one JSON form")
	f.verify(t, back)

	// The parts are in their own formats, for the tools that read them.
	var w struct {
		DSSEEnvelope   json.RawMessage `json:"dsseEnvelope"`
		InclusionProof string          `json:"inclusionProof"`
	}
	require.NoError(t, json.Unmarshal(b, &w))
	env, err := dsse.Parse(w.DSSEEnvelope)
	require.NoError(t, err)
	assert.Equal(t, r.Envelope, env)
	p, err := auditlog.ParseInclusionProof([]byte(w.InclusionProof))
	require.NoError(t, err)
	assert.Equal(t, r.Proof, p)
	assert.True(t, strings.HasPrefix(w.InclusionProof, auditlog.InclusionHeader+"\nextra "))
}

func TestParseReceiptIsStrict(t *testing.T) {
	f := newFixture(t)
	good, err := json.Marshal(f.validation(t, receipttest.PassedReport()))
	require.NoError(t, err)
	var parts map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(good, &parts))
	obj := func(members ...string) []byte { return []byte("{" + strings.Join(members, ",") + "}") }
	mt := `"mediaType":` + string(parts["mediaType"])
	env := `"dsseEnvelope":` + string(parts["dsseEnvelope"])
	proof := `"inclusionProof":` + string(parts["inclusionProof"])
	var proofText string
	require.NoError(t, json.Unmarshal(parts["inclusionProof"], &proofText))
	quoted := func(s string) string { b, _ := json.Marshal(s); return string(b) }

	for _, tc := range []struct {
		name  string
		in    []byte
		field string
	}{
		{"empty", nil, "receipt"},
		{"not an object", []byte(`[]`), "receipt"},
		{"trailing data", append(append([]byte(nil), good...), '{', '}'), "receipt"},
		{"too long", bytes.Repeat([]byte(" "), receipt.MaxReceiptSize+1), "receipt"},
		{"a duplicate member", obj(mt, env, proof, proof), "receipt"},
		{"an unknown member", obj(mt, env, proof, `"extra":1`), "receipt"},
		{"a member misspelt in case", obj(`"mediatype":"`+receipt.MediaType+`"`, env, proof), "receipt"},
		{"no media type", obj(env, proof), "receipt.mediaType"},
		{"another media type", obj(`"mediaType":"application/json"`, env, proof), "receipt.mediaType"},
		{"a media type that is no string", obj(`"mediaType":null`, env, proof), "receipt.mediaType"},
		{"no envelope", obj(mt, proof), "receipt.dsseEnvelope"},
		{"an envelope that is not one", obj(mt, `"dsseEnvelope":{"payloadType":"x"}`, proof), "receipt.dsseEnvelope"},
		{"an envelope as a string", obj(mt, `"dsseEnvelope":`+quoted(string(parts["dsseEnvelope"])), proof), "receipt.dsseEnvelope"},
		{"no proof", obj(mt, env), "receipt.inclusionProof"},
		{"a proof that is no string", obj(mt, env, `"inclusionProof":{}`), "receipt.inclusionProof"},
		{"a truncated proof", obj(mt, env, `"inclusionProof":`+quoted(proofText[:len(proofText)/2])), "receipt.inclusionProof"},
		{"a proof without its header", obj(mt, env, `"inclusionProof":`+quoted(strings.TrimPrefix(proofText, auditlog.InclusionHeader+"\n"))),
			"receipt.inclusionProof"},
		{"invalid UTF-8", obj(mt, env, proof, "\"\xff\":1"), "receipt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := receipt.ParseReceipt(tc.in)
			e := wantErr(t, err, receipt.ErrMalformed, tc.field)
			assert.Equal(t, trustgate.Invalid, e.Code)
		})
	}
	// Member order and whitespace are free.
	r, err := receipt.ParseReceipt(append(obj(proof, env, mt), '\n'))
	require.NoError(t, err)
	f.verify(t, r)

	// The dsse and auditlog errors beneath are reachable.
	_, err = receipt.ParseReceipt(obj(mt, `"dsseEnvelope":{"payloadType":"x"}`, proof))
	assert.ErrorIs(t, err, dsse.ErrMalformed)
	_, err = receipt.ParseReceipt(obj(mt, env, `"inclusionProof":"x"`))
	assert.ErrorIs(t, err, auditlog.ErrMalformed)
}
