package attest_test

import (
	"crypto"
	"errors"
	"testing"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNormalizeNameMakesOnePersonOfEverySpelling(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"alice", "alice"},
		{"Alice ", "alice"},
		{"  ALICE\t", "alice"},
		{"Straße", "strasse"},
		{"STRASSE", "strasse"},
		{"Ren\u00e9", "ren\u00e9"},                   // precomposed é
		{"Rene\u0301", "ren\u00e9"},                  // e + combining acute: composed to NFC
		{"RENE\u0301", "ren\u00e9"},                  // upper case and combining
		{"\u212Bngstr\u00f6m", "\u00e5ngstr\u00f6m"}, // the Kelvin-like Angstrom sign folds to å
		{"", ""},
		{"   ", ""},
	} {
		assert.Equal(t, tc.want, attest.NormalizeName(tc.in), "NormalizeName(%q)", tc.in)
	}
}

func TestNormalizeNameIsIdempotent(t *testing.T) {
	for _, s := range []string{"Alice", "Straße", "Rene\u0301", "ǅemal", "ΣΊΣΥΦΟΣ", "İstanbul"} {
		n := attest.NormalizeName(s)
		assert.Equal(t, n, attest.NormalizeName(n), "normalising %q twice", s)
	}
}

func TestCheckNameRefusesWhatCannotNameAPerson(t *testing.T) {
	for _, tc := range []struct{ in, why string }{
		{"", "empty"},
		{"  ", "blank"},
		{"al\nice", "two lines"},
		{"al\x00ice", "a control character"},
		{string([]byte{0xff, 'a'}), "invalid UTF-8"},
		{string(make([]byte, 300)), "too long"},
	} {
		_, err := attest.CheckName("approver", tc.in)
		e := trustgate.AsError(err)
		require.NotNil(t, e, tc.why)
		assert.Equal(t, trustgate.Invalid, e.Code, tc.why)
		assert.Equal(t, "approver", e.Field, tc.why)
	}
	n, err := attest.CheckName("approver", " Alice ")
	require.NoError(t, err)
	assert.Equal(t, "alice", n)
}

func TestNewKeyringRefusesAnAmbiguousOrWeakConfiguration(t *testing.T) {
	base := func() attest.Config { return testkeys.Config(attest.MemberSigned, "alice", "bob") }
	for _, tc := range []struct {
		name  string
		edit  func(c *attest.Config)
		field string
	}{
		{"no service key", func(c *attest.Config) { c.Service = nil }, "service"},
		{"one person under two spellings", func(c *attest.Config) {
			c.Members["Alice "] = []crypto.PublicKey{testkeys.Public("other")}
		}, "members[alice]"},
		{"a key held by two members", func(c *attest.Config) { c.Members["carol"] = c.Members["alice"] }, "members[carol]"},
		{"the service key as a member's", func(c *attest.Config) { c.Members["carol"] = []crypto.PublicKey{c.Service} }, "members[carol]"},
		{"a model quorum of one", func(c *attest.Config) { c.ModelQuorum = 1 }, "model_quorum"},
		{"an unknown mode", func(c *attest.Config) { c.Mode = "anyone-signed" }, "mode"},
		{"an unsupported key", func(c *attest.Config) { c.Members["carol"] = []crypto.PublicKey{"not a key"} }, "members[carol]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.edit(&c)
			_, err := attest.NewKeyring(c)
			e := trustgate.AsError(err)
			require.NotNil(t, e)
			assert.Equal(t, trustgate.Invalid, e.Code)
			assert.Equal(t, tc.field, e.Field)
		})
	}
	k, err := attest.NewKeyring(base())
	require.NoError(t, err)
	assert.Equal(t, attest.DefaultModelQuorum, k.ModelQuorum())
	assert.Equal(t, []string{"alice", "bob"}, k.Members())
	assert.True(t, k.IsMember(" ALICE"), "membership compares normalised names")
}

func TestVouchesFollowsTheMode(t *testing.T) {
	payload, err := attest.Encode(attest.PredicatePrefix+"test/v1", map[string]string{"member": "alice"},
		attest.DigestSubject("x", [32]byte{1}))
	require.NoError(t, err)
	alice, err := dsse.NewSigner(testkeys.MemberKey("alice"))
	require.NoError(t, err)
	bob, err := dsse.NewSigner(testkeys.MemberKey("bob"))
	require.NoError(t, err)
	byAlice, err := dsse.Seal(attest.PayloadType, payload, alice)
	require.NoError(t, err)
	byBob, err := dsse.Seal(attest.PayloadType, payload, bob)
	require.NoError(t, err)

	for _, mode := range []attest.Mode{attest.MemberSigned, attest.ServiceAttested} {
		svc, err := testkeys.Service(testkeys.Config(mode, "alice", "bob"))
		require.NoError(t, err)
		bySvc, err := svc.Seal(payload)
		require.NoError(t, err)
		k := svc.Keys()
		assert.True(t, k.Vouches(&byAlice, "alice"), "%s: alice's own key", mode)
		assert.False(t, k.Vouches(&byBob, "alice"), "%s: another member's key never vouches", mode)
		assert.False(t, k.Vouches(&byAlice, "mallory"), "%s: a non-member is never vouched for", mode)
		assert.Equal(t, mode == attest.ServiceAttested, k.Vouches(&bySvc, "alice"), "%s: the service key", mode)
		assert.True(t, k.ServiceSigned(&bySvc))
		assert.False(t, k.ServiceSigned(&byAlice))

		forged := byAlice
		forged.Payload = append([]byte(nil), payload...)
		forged.Payload[len(forged.Payload)-3] ^= 1
		assert.False(t, k.Vouches(&forged, "alice"), "%s: an edited payload", mode)
		assert.Empty(t, k.Signers(&forged))
	}
}

func TestNewServiceRefusesASignerThatIsNotTheKeyringsServiceKey(t *testing.T) {
	keys, err := attest.NewKeyring(testkeys.Config(attest.ServiceAttested, "alice"))
	require.NoError(t, err)
	_, err = attest.NewService(testkeys.Key("someone else"), keys)
	assert.Equal(t, "service", trustgate.AsError(err).Field)
	_, err = attest.NewService(testkeys.Key(testkeys.ServiceName), keys)
	require.NoError(t, err)
}

func TestDecodeRefusesWhatIsNotTheCanonicalStatementExpected(t *testing.T) {
	good, err := attest.Encode(attest.PredicatePrefix+"test/v1", map[string]string{"a": "b"}, attest.DigestSubject("x", [32]byte{}))
	require.NoError(t, err)
	var p map[string]string
	_, err = attest.Decode(good, attest.PredicatePrefix+"test/v1", &p)
	require.NoError(t, err)
	assert.Equal(t, "b", p["a"])
	for _, tc := range []struct {
		name    string
		payload string
		field   string
	}{
		{"not canonical", " " + string(good), "payload"},
		{"another predicate type", string(good), "payload.predicateType"},
		{"not a statement", `{"_type":"x","predicate":{},"predicateType":"y","subject":[]}`, "payload._type"},
		{"no subject", `{"_type":"https://in-toto.io/Statement/v1","predicate":{},"predicateType":"` + attest.PredicatePrefix + `other/v1","subject":[]}`, "payload.subject"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := attest.Decode([]byte(tc.payload), attest.PredicatePrefix+"other/v1", nil)
			require.ErrorIs(t, err, attest.ErrStatement)
			assert.Equal(t, tc.field, trustgate.AsError(err).Field)
		})
	}
}

func TestRecordErrorsAreTampered(t *testing.T) {
	err := attest.Tampered("cab_requests/1", "decision", "edited")
	assert.True(t, errors.Is(err, attest.ErrTampered))
	assert.Equal(t, trustgate.Tampered, trustgate.ErrorCode(err))
	assert.Equal(t, "attest: cab_requests/1: decision: edited", err.Error())
}

func FuzzDecode(f *testing.F) {
	good, _ := attest.Encode(attest.PredicatePrefix+"test/v1", map[string]string{"a": "b"}, attest.DigestSubject("x", [32]byte{}))
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"_type":"https://in-toto.io/Statement/v1"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p map[string]any
		s, err := attest.Decode(b, attest.PredicatePrefix+"test/v1", &p)
		if err != nil {
			return
		}
		again, err := attest.Encode(s.PredicateType, s.Predicate, s.Subject...)
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != string(b) {
			t.Fatalf("a decoded statement encodes differently:\n%s\n%s", b, again)
		}
	})
}
