package jcs

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func FuzzCanonicalize(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := Canonicalize(nil, in)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SyntaxError", err)
			}
			if se.Offset < 0 || se.Offset > int64(len(in)) {
				t.Fatalf("offset %d outside input of %d bytes", se.Offset, len(in))
			}
			return
		}
		if !json.Valid(in) {
			t.Fatalf("accepted input that encoding/json rejects: %q", in)
		}
		if !json.Valid(out) {
			t.Fatalf("invalid output %q for input %q", out, in)
		}
		again, err := Canonicalize(nil, out)
		if err != nil {
			t.Fatalf("output %q rejected: %v", out, err)
		}
		if !bytes.Equal(out, again) {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, out, again)
		}
		objOut, objErr := CanonicalizeObject(nil, in)
		isObject := bytes.HasPrefix(bytes.TrimLeft(in, " \t\r\n"), []byte("{"))
		if isObject != (objErr == nil) || (isObject && !bytes.Equal(objOut, out)) {
			t.Fatalf("CanonicalizeObject disagrees on %q: %q, %v", in, objOut, objErr)
		}
	})
}

// fuzzSeeds are the fuzz targets' seed inputs: the RFC's samples and the
// corners of the grammar and of I-JSON.
func fuzzSeeds() []string {
	return []string{
		rfcSample, rfcSorting,
		`{}`, `[]`, `""`, `0`, `-0`, `true`, `null`,
		`{"a":1,"\u0061":2}`, `"\ud800"`, `"\ud83d\ude00"`, `"\udc00\ud800"`,
		`{"\ue000":1,"\ud800\udc00":2}`, "{\"\U0001F600\":0,\"\uffff\":1}",
		`[1e400]`, `[1e-400]`, `1.7976931348623157e308`, `5e-324`, `9007199254740993`,
		`[01]`, `[1.]`, `[.5]`, `[+1]`, `-`, `0x1`, `NaN`, `[1,]`, `{"a":1,}`,
		"\"\xff\"", "\"\t\"", "\ufeff{}", `{'a':1}`, `{} x`, `"\u0000\u001f\u007f"`,
		strings.Repeat("[", 1001) + strings.Repeat("]", 1001),
		`{"b":{"d":[1,2,{"f":null,"e":true}],"c":"x"},"a":-1.5e-7}`,
	}
}
