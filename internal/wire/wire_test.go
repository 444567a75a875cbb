package wire_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/buildworksai/trustgate/internal/wire"
	"github.com/buildworksai/trustgate/internal/wire/wiretest"
)

func TestDecimalAcceptsOnlyPlainDecimals(t *testing.T) {
	for s, ok := range map[string]bool{
		"0": true, "12.5": true, "-0.0001": true, "100": true, "007": true,
		"": false, "-": false, "+1": false, "1.": false, ".5": false, "1e3": false, "1E3": false,
		"1.2.3": false, " 1": false, "1 ": false, "0x10": false, "NaN": false, "∞": false, "--1": false,
	} {
		o, err := wire.Read("test", []byte(`{"d":`+string(mustJSON(t, s))+`}`), "", "d")
		if err != nil {
			t.Fatal(err)
		}
		d := o.Decimal("d")
		if ok != (o.Err() == nil) {
			t.Errorf("%q: error %v, want ok %t", s, o.Err(), ok)
		}
		if ok && !d.Equal(decimal.RequireFromString(s)) {
			t.Errorf("%q read as %s", s, d)
		}
		if !ok {
			wiretest.Invalid(t, o.Err(), "d")
		}
	}
}

func TestTimeIsReadInUTCAndWrittenInUTC(t *testing.T) {
	o, err := wire.Read("test", []byte(`{"t":"2026-03-02T10:00:00.5+01:00"}`), "at", "t")
	if err != nil {
		t.Fatal(err)
	}
	got := o.Time("t")
	if want := time.Date(2026, 3, 2, 9, 0, 0, 5e8, time.UTC); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("got %v, want %v in UTC", got, want)
	}
	if s := wire.Time(time.Date(2026, 3, 2, 10, 0, 0, 0, time.FixedZone("CET", 3600))); s != "2026-03-02T09:00:00Z" {
		t.Errorf("written as %s", s)
	}
	if wire.OptTime(time.Time{}) != "" {
		t.Error("the zero time is not omitted")
	}
}

func TestErrorsNameTheNestedPath(t *testing.T) {
	o, err := wire.Read("test", []byte(`{"a":[{"b":1}]}`), "doc", "a")
	if err != nil {
		t.Fatal(err)
	}
	o.Array("a", true, func(path string, raw json.RawMessage) error {
		_, err := wire.Read("test", raw, path, "c")
		return err
	})
	wiretest.Invalid(t, o.Err(), "doc.a[0].b")
	if got, want := o.Err().Error(), "test: json: doc.a[0].b: unknown field"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
