// Package wiretest holds the checks the JSON forms' tests share: golden
// files compared byte for byte, the invalid-input error a bad document
// must give, and the fuzz property that what decodes re-encodes stably.
package wiretest

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/buildworksai/trustgate"
)

// Golden marshals v, indents it with two spaces and compares the result
// byte for byte with testdata/<name>.golden.json, or rewrites that file
// when update is set. It returns the compact encoding.
func Golden(t testing.TB, update bool, name string, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %s: %v", name, err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("indent %s: %v", name, err)
	}
	out.WriteByte('\n')
	path := filepath.Join("testdata", name+".golden.json")
	if update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to write it)", err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("%s: the JSON form changed\n got: %s\nwant: %s", path, out.Bytes(), want)
	}
	return b
}

// Invalid checks that err is an invalid-input *trustgate.Error naming
// field.
func Invalid(t testing.TB, err error, field string) {
	t.Helper()
	var e *trustgate.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *trustgate.Error", err, err)
	}
	if e.Code != trustgate.Invalid || e.Field != field {
		t.Errorf("error %q: code %q field %q, want code invalid field %q", err, e.Code, e.Field, field)
	}
}

// Stable is the fuzz property of a JSON form: decoding data either fails
// with an invalid-input *trustgate.Error, or gives a value whose encoding
// decodes again to a value with the same encoding.
func Stable[T any, P interface {
	*T
	json.Unmarshaler
}](t *testing.T, data []byte) {
	t.Helper()
	var x T
	if err := P(&x).UnmarshalJSON(data); err != nil {
		var e *trustgate.Error
		if !errors.As(err, &e) || e.Code != trustgate.Invalid {
			t.Fatalf("decode error %v (%T) is not an invalid-input *trustgate.Error", err, err)
		}
		return
	}
	b1, err := json.Marshal(x)
	if err != nil {
		t.Fatalf("marshal of a decoded value: %v", err)
	}
	var y T
	if err := P(&y).UnmarshalJSON(b1); err != nil {
		t.Fatalf("decoding the re-encoding %s: %v", b1, err)
	}
	b2, err := json.Marshal(y)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	if !bytes.Equal(b1, b2) {
		t.Fatalf("re-encoding is not stable:\n%s\n%s", b1, b2)
	}
}
