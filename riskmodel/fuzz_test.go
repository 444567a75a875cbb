package riskmodel_test

import (
	"errors"
	"testing"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/shopspring/decimal"
)

// FuzzParseDecimal checks that ParseDecimal never panics, that every error is
// an invalid-input error naming the field, and that what it accepts
// round-trips.
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"0", "12.50", "-3", "1e2", "1E-7", "NaN", "Inf", "0x1p3", " 1", "1_000", "٣", "", "9999999999999999999999999.5", "1e2147483648"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := riskmodel.ParseDecimal("score", s)
		if err != nil {
			var fe *trustgate.Error
			if !errors.As(err, &fe) || fe.Code != trustgate.Invalid || fe.Field != "score" || !errors.Is(err, riskmodel.ErrMalformed) {
				t.Fatalf("ParseDecimal(%q) error %v is not an invalid-input error for score", s, err)
			}
			return
		}
		again, err := decimal.NewFromString(d.String())
		if err != nil || !again.Equal(d) {
			t.Fatalf("ParseDecimal(%q) = %s does not round-trip: %v", s, d, err)
		}
	})
}

// FuzzParseMode checks that ParseMode accepts exactly the five mode names.
func FuzzParseMode(f *testing.F) {
	for _, s := range []string{"CAUTIOUS", "cautious", "GREENFIELD_CONSERVATIVE", "", "OPTIMIZED "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := riskmodel.ParseMode(s)
		if err == nil && (!m.Valid() || string(m) != s) {
			t.Fatalf("ParseMode(%q) = %q", s, m)
		}
		if err != nil && !errors.Is(err, riskmodel.ErrMalformed) {
			t.Fatalf("ParseMode(%q): %v is not ErrMalformed", s, err)
		}
	})
}
