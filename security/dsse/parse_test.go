package dsse_test

import (
	"strings"
	"testing"

	"github.com/buildworksai/trustgate/security/dsse"
)

// valid is an envelope Parse accepts; the rejection cases edit it.
const valid = `{"payloadType":"t","payload":"aGVsbG8=","signatures":[{"keyid":"k","sig":"AQID"}]}`

func TestParseRejects(t *testing.T) {
	sigs := func(n int) string {
		return strings.TrimSuffix(strings.Repeat(`{"sig":"AQ=="},`, n), ",")
	}
	for _, tc := range []struct {
		name, in, field string
	}{
		{"empty", ``, "envelope"},
		{"whitespace only", " \n\t", "envelope"},
		{"null", `null`, "envelope"},
		{"array", `[]`, "envelope"},
		{"string", `"x"`, "envelope"},
		{"not JSON", `hello`, "envelope"},
		{"BOM", "\ufeff" + valid, "envelope"},
		{"empty object", `{}`, "envelope.payloadType"},
		{"trailing data", valid + `{}`, "envelope"},
		{"trailing garbage", valid + ` x`, "envelope"},
		{"two envelopes", valid + valid, "envelope"},
		{"unterminated", valid[:len(valid)-1], "envelope"},
		{"truncated in name", `{"payl`, "envelope"},
		{"truncated after name", `{"payloadType"`, "envelope"},
		{"truncated after colon", `{"payloadType":`, "envelope.payloadType"},
		{"truncated in signatures", `{"payloadType":"t","payload":"","signatures":[`, "envelope.signatures[0]"},
		{"truncated after signature", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ=="}`, "envelope.signatures"},
		{"trailing comma", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ=="}],}`, "envelope"},
		{"trailing comma in array", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ=="},]}`, "envelope.signatures[1]"},
		{"missing colon", `{"payloadType" "t"}`, "envelope"},
		{"missing comma", `{"payloadType":"t" "payload":""}`, "envelope"},
		{"unquoted name", `{payloadType:"t"}`, "envelope"},
		{"single quotes", `{'payloadType':'t'}`, "envelope"},
		{"unknown member", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ=="}],"extra":1}`, "envelope"},
		{"unknown member first", `{"x":null,"payloadType":"t","payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope"},
		{"long unknown member", `{"` + strings.Repeat("x", 100) + `":1}`, "envelope"},
		{"member name case", `{"payloadtype":"t","payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope"},
		{"unknown signature member", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ==","alg":"x"}]}`, "envelope.signatures[0]"},
		{"signature member case", `{"payloadType":"t","payload":"","signatures":[{"Sig":"AQ=="}]}`, "envelope.signatures[0]"},
		{"duplicate payloadType", `{"payloadType":"t","payloadType":"u","payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payloadType"},
		{"duplicate by escape", `{"payloadType":"t","payload\u0054ype":"u","payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payloadType"},
		{"duplicate payload", `{"payloadType":"t","payload":"","payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payload"},
		{"duplicate signatures", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ=="}],"signatures":[{"sig":"AQ=="}]}`, "envelope.signatures"},
		{"duplicate keyid", `{"payloadType":"t","payload":"","signatures":[{"keyid":"a","keyid":"b","sig":"AQ=="}]}`, "envelope.signatures[0].keyid"},
		{"duplicate sig", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ==","sig":"AQ=="}]}`, "envelope.signatures[0].sig"},
		{"missing payloadType", `{"payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payloadType"},
		{"missing payload", `{"payloadType":"t","signatures":[{"sig":"AQ=="}]}`, "envelope.payload"},
		{"missing signatures", `{"payloadType":"t","payload":""}`, "envelope.signatures"},
		{"missing sig", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ=="},{"keyid":"k"}]}`, "envelope.signatures[1].sig"},
		{"null payloadType", `{"payloadType":null,"payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payloadType"},
		{"null payload", `{"payloadType":"t","payload":null,"signatures":[{"sig":"AQ=="}]}`, "envelope.payload"},
		{"null signatures", `{"payloadType":"t","payload":"","signatures":null}`, "envelope.signatures"},
		{"null signature", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ=="},null]}`, "envelope.signatures[1]"},
		{"null keyid", `{"payloadType":"t","payload":"","signatures":[{"keyid":null,"sig":"AQ=="}]}`, "envelope.signatures[0].keyid"},
		{"null sig", `{"payloadType":"t","payload":"","signatures":[{"sig":null}]}`, "envelope.signatures[0].sig"},
		{"empty payloadType", `{"payloadType":"","payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payloadType"},
		{"long payloadType", `{"payloadType":"` + strings.Repeat("t", 257) + `","payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payloadType"},
		{"payloadType number", `{"payloadType":1,"payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payloadType"},
		{"payloadType object", `{"payloadType":{},"payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payloadType"},
		{"payloadType invalid UTF-8", "{\"payloadType\":\"\xff\",\"payload\":\"\",\"signatures\":[{\"sig\":\"AQ==\"}]}", "envelope.payloadType"},
		{"payloadType encoded surrogate", "{\"payloadType\":\"\xed\xa0\x80\",\"payload\":\"\",\"signatures\":[{\"sig\":\"AQ==\"}]}", "envelope.payloadType"},
		{"payloadType lone surrogate", `{"payloadType":"\ud800","payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payloadType"},
		{"payloadType lone low surrogate", `{"payloadType":"\udc00","payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payloadType"},
		{"payloadType two high surrogates", `{"payloadType":"\ud800\ud800","payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payloadType"},
		{"payloadType control character", "{\"payloadType\":\"a\nb\",\"payload\":\"\",\"signatures\":[{\"sig\":\"AQ==\"}]}", "envelope.payloadType"},
		{"payloadType bad escape", `{"payloadType":"\x41","payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payloadType"},
		{"payloadType short unicode escape", `{"payloadType":"\u41","payload":"","signatures":[{"sig":"AQ=="}]}`, "envelope.payloadType"},
		{"payloadType unterminated", `{"payloadType":"t`, "envelope.payloadType"},
		{"payload not base64", `{"payloadType":"t","payload":"!!!!","signatures":[{"sig":"AQ=="}]}`, "envelope.payload"},
		{"payload unpadded", `{"payloadType":"t","payload":"aGVsbG8","signatures":[{"sig":"AQ=="}]}`, "envelope.payload"},
		{"payload URL-safe", `{"payloadType":"t","payload":"-_-_","signatures":[{"sig":"AQ=="}]}`, "envelope.payload"},
		{"payload with line break", `{"payloadType":"t","payload":"aGVs\nbG8=","signatures":[{"sig":"AQ=="}]}`, "envelope.payload"},
		{"payload with CR", `{"payloadType":"t","payload":"aGVs\rbG8=","signatures":[{"sig":"AQ=="}]}`, "envelope.payload"},
		{"payload with space", `{"payloadType":"t","payload":"aGVs bG8=","signatures":[{"sig":"AQ=="}]}`, "envelope.payload"},
		{"payload nonzero padding bits", `{"payloadType":"t","payload":"aGVsbG9=","signatures":[{"sig":"AQ=="}]}`, "envelope.payload"},
		{"payload number", `{"payloadType":"t","payload":0,"signatures":[{"sig":"AQ=="}]}`, "envelope.payload"},
		{"payload array", `{"payloadType":"t","payload":[104,105],"signatures":[{"sig":"AQ=="}]}`, "envelope.payload"},
		{"payload too large", `{"payloadType":"t","payload":"` + strings.Repeat("AAAA", dsse.MaxPayload/3+1) + `","signatures":[{"sig":"AQ=="}]}`, "envelope.payload"},
		{"signatures empty", `{"payloadType":"t","payload":"","signatures":[]}`, "envelope.signatures"},
		{"signatures object", `{"payloadType":"t","payload":"","signatures":{"sig":"AQ=="}}`, "envelope.signatures"},
		{"signatures string", `{"payloadType":"t","payload":"","signatures":"AQ=="}`, "envelope.signatures"},
		{"too many signatures", `{"payloadType":"t","payload":"","signatures":[` + sigs(dsse.MaxSignatures+1) + `]}`, "envelope.signatures"},
		{"signature array", `{"payloadType":"t","payload":"","signatures":[["AQ=="]]}`, "envelope.signatures[0]"},
		{"signature string", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ=="},"AQ=="]}`, "envelope.signatures[1]"},
		{"keyid number", `{"payloadType":"t","payload":"","signatures":[{"keyid":7,"sig":"AQ=="}]}`, "envelope.signatures[0].keyid"},
		{"keyid too long", `{"payloadType":"t","payload":"","signatures":[{"keyid":"` + strings.Repeat("k", 257) + `","sig":"AQ=="}]}`, "envelope.signatures[0].keyid"},
		{"keyid invalid UTF-8", "{\"payloadType\":\"t\",\"payload\":\"\",\"signatures\":[{\"keyid\":\"\xc3\",\"sig\":\"AQ==\"}]}", "envelope.signatures[0].keyid"},
		{"sig empty", `{"payloadType":"t","payload":"","signatures":[{"sig":""}]}`, "envelope.signatures[0].sig"},
		{"sig not base64", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ=="},{"sig":"A"}]}`, "envelope.signatures[1].sig"},
		{"sig unpadded", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ"}]}`, "envelope.signatures[0].sig"},
		{"sig too large", `{"payloadType":"t","payload":"","signatures":[{"sig":"` + strings.Repeat("AAAA", 1024/3+1) + `"}]}`, "envelope.signatures[0].sig"},
		{"sig boolean", `{"payloadType":"t","payload":"","signatures":[{"sig":true}]}`, "envelope.signatures[0].sig"},
		{"third sig bad", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ=="},{"sig":"AQ=="},{"keyid":"","sig":"**"}]}`, "envelope.signatures[2].sig"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env, err := dsse.Parse([]byte(tc.in))
			checkErr(t, err, dsse.ErrMalformed, tc.field)
			if !equal(env, dsse.Envelope{}) || env.Payload != nil || env.Signatures != nil {
				t.Fatalf("Parse returned %+v with its error", env)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     dsse.Envelope
	}{
		{"compact", valid, dsse.Envelope{PayloadType: "t", Payload: []byte("hello"),
			Signatures: []dsse.Signature{{KeyID: "k", Sig: []byte{1, 2, 3}}}}},
		{"whitespace and order", " \r\n\t{ \"signatures\" : [ { \"sig\" : \"AQID\" , \"keyid\" : \"k\" } ] ,\n \"payload\":\"aGVsbG8=\", \"payloadType\" : \"t\" }\n ",
			dsse.Envelope{PayloadType: "t", Payload: []byte("hello"), Signatures: []dsse.Signature{{KeyID: "k", Sig: []byte{1, 2, 3}}}}},
		{"keyid absent", `{"payloadType":"t","payload":"","signatures":[{"sig":"AQ=="}]}`,
			dsse.Envelope{PayloadType: "t", Payload: []byte{}, Signatures: []dsse.Signature{{Sig: []byte{1}}}}},
		{"keyid empty", `{"payloadType":"t","payload":"","signatures":[{"keyid":"","sig":"AQ=="}]}`,
			dsse.Envelope{PayloadType: "t", Payload: []byte{}, Signatures: []dsse.Signature{{Sig: []byte{1}}}}},
		{"escapes", `{"payloadType":"a\"\\\/\b\f\n\r\t\u00fc\u20AC\ud83d\ude00","payload":"","signatures":[{"keyid":"\u006b","sig":"AQ=="}]}`,
			dsse.Envelope{PayloadType: "a\"\\/\b\f\n\r\t\u00fc\u20ac\U0001f600", Payload: []byte{},
				Signatures: []dsse.Signature{{KeyID: "k", Sig: []byte{1}}}}},
		{"escaped member names", `{"\u0070ayloadType":"t","payload":"","signatures":[{"\u0073ig":"AQ=="}]}`,
			dsse.Envelope{PayloadType: "t", Payload: []byte{}, Signatures: []dsse.Signature{{Sig: []byte{1}}}}},
		{"escaped base64", `{"payloadType":"t","payload":"aGVs\u0062G8=","signatures":[{"sig":"A\/8="}]}`,
			dsse.Envelope{PayloadType: "t", Payload: []byte("hello"), Signatures: []dsse.Signature{{Sig: []byte{3, 255}}}}},
		{"UTF-8", `{"payloadType":"application/ü€😀","payload":"","signatures":[{"sig":"AQ=="}]}`,
			dsse.Envelope{PayloadType: "application/ü€😀", Payload: []byte{}, Signatures: []dsse.Signature{{Sig: []byte{1}}}}},
		{"U+FFFD itself", `{"payloadType":"\ufffd�","payload":"","signatures":[{"sig":"AQ=="}]}`,
			dsse.Envelope{PayloadType: "\ufffd\ufffd", Payload: []byte{}, Signatures: []dsse.Signature{{Sig: []byte{1}}}}},
		{"NUL escape", `{"payloadType":"\u0000","payload":"","signatures":[{"sig":"AQ=="}]}`,
			dsse.Envelope{PayloadType: "\x00", Payload: []byte{}, Signatures: []dsse.Signature{{Sig: []byte{1}}}}},
		{"limits", `{"payloadType":"` + strings.Repeat("t", 256) + `","payload":"","signatures":[{"keyid":"` +
			strings.Repeat("k", 256) + `","sig":"` + strings.Repeat("AAAA", 1023/3) + `AA=="}]}`,
			dsse.Envelope{PayloadType: strings.Repeat("t", 256), Payload: []byte{},
				Signatures: []dsse.Signature{{KeyID: strings.Repeat("k", 256), Sig: make([]byte, 1024)}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := dsse.Parse([]byte(tc.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !equal(got, tc.want) {
				t.Fatalf("Parse = %+v, want %+v", got, tc.want)
			}
			if got.Payload == nil {
				t.Fatal("Parse returned a nil payload")
			}
			b, err := got.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			again, err := dsse.Parse(b)
			if err != nil || !equal(again, got) {
				t.Fatalf("Parse(Marshal()) = %+v, %v", again, err)
			}
		})
	}
}

// TestParseDoesNotRetainInput: the parsed envelope does not alias its
// input.
func TestParseDoesNotRetainInput(t *testing.T) {
	in := []byte(valid)
	env, err := dsse.Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		in[i] = 'x'
	}
	if env.PayloadType != "t" || string(env.Payload) != "hello" || env.Signatures[0].KeyID != "k" {
		t.Fatalf("envelope changed with its input: %+v", env)
	}
}

func TestMarshalForm(t *testing.T) {
	env := dsse.Envelope{PayloadType: "http://example.com/HelloWorld", Payload: []byte("hello world"),
		Signatures: []dsse.Signature{{KeyID: "a", Sig: []byte{0xfb, 0xff}}, {Sig: []byte{0}}}}
	b, err := env.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"payloadType":"http://example.com/HelloWorld","payload":"aGVsbG8gd29ybGQ=",` +
		`"signatures":[{"keyid":"a","sig":"+/8="},{"keyid":"","sig":"AA=="}]}`
	if string(b) != want {
		t.Fatalf("Marshal =\n%s\nwant\n%s", b, want)
	}
}
