package dsse_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security/dsse"
)

// FuzzParse feeds Parse arbitrary bytes. It must never panic; what it
// rejects is a malformed-envelope error naming a field under "envelope";
// what it accepts is valid JSON that encoding/json reads the same way,
// keeps within the limits, and re-marshals to bytes that parse to an equal
// envelope and marshal to the same bytes again.
func FuzzParse(f *testing.F) {
	env, err := dsse.Seal(testType, testPayload, mustSigner(f, edKey(1)), mustSigner(f, ecKey(f)))
	if err != nil {
		f.Fatal(err)
	}
	sealed, err := env.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		string(sealed),
		valid,
		`{"payloadType":"t","payload":"","signatures":[{"sig":"AQ=="}]}`,
		`{"signatures":[{"sig":"AQID","keyid":"k"}],"payload":"aGVsbG8=","payloadType":"t"}`,
		`{"payloadType":"\u00fc\ud83d\ude00\"\\","payload":"aGVs\u0062G8=","signatures":[{"keyid":"\/","sig":"A\/8="}]}`,
		`{"payloadType":"\ud800","payload":"","signatures":[{"sig":"AQ=="}]}`,
		`{"payloadType":"t","payloadType":"t","payload":"","signatures":[{"sig":"AQ=="}]}`,
		`{"payloadType":"t","payload":"aGVsbG9=","signatures":[{"sig":"AQ=="}]}`,
		`{"payloadType":"t","payload":"","signatures":[{"sig":"AQ=="},null]}`,
		`{"payloadType":"t","payload":"","signatures":[]} `,
		`null`, ``, `{`, `[`, `"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		env, err := dsse.Parse(b)
		if err != nil {
			e := trustgate.AsError(err)
			if !errors.Is(err, dsse.ErrMalformed) || e.Code != trustgate.Invalid || e.Reason != "ENVELOPE_MALFORMED" ||
				!strings.HasPrefix(e.Field, "envelope") || !strings.HasPrefix(err.Error(), "dsse: "+e.Field+": ") {
				t.Fatalf("Parse(%q): error %q (code %q reason %q field %q) is not a malformed-envelope error",
					b, err, e.Code, e.Reason, e.Field)
			}
			if env.PayloadType != "" || env.Payload != nil || env.Signatures != nil {
				t.Fatalf("Parse(%q) returned %+v with its error", b, env)
			}
			return
		}
		if !json.Valid(b) {
			t.Fatalf("Parse accepted invalid JSON %q", b)
		}
		if n := len(env.PayloadType); n == 0 || n > 256 || !utf8.ValidString(env.PayloadType) ||
			len(env.Payload) > dsse.MaxPayload || len(env.Signatures) == 0 || len(env.Signatures) > dsse.MaxSignatures {
			t.Fatalf("Parse(%q) accepted an envelope beyond the limits: %+v", b, env)
		}
		for _, s := range env.Signatures {
			if len(s.KeyID) > 256 || !utf8.ValidString(s.KeyID) || len(s.Sig) == 0 || len(s.Sig) > 1024 {
				t.Fatalf("Parse(%q) accepted a signature beyond the limits: %+v", b, s)
			}
		}
		var std dsse.Envelope
		if err := json.Unmarshal(b, &std); err != nil || !equal(std, env) {
			t.Fatalf("Parse(%q) = %+v, encoding/json reads %+v, %v", b, env, std, err)
		}
		out, err := env.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		again, err := dsse.Parse(out)
		if err != nil {
			t.Fatalf("Parse(Marshal(Parse(%q))): %v\n%s", b, err, out)
		}
		if !equal(again, env) {
			t.Fatalf("re-parsed %+v, want %+v", again, env)
		}
		if out2, err := again.Marshal(); err != nil || !bytes.Equal(out2, out) {
			t.Fatalf("Marshal is not stable: %s then %s (%v)", out, out2, err)
		}
	})
}
