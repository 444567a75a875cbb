package blastradius_test

import (
	"errors"
	"testing"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
)

// FuzzParse checks every parser of the package on the same input: none
// panics, each either accepts or returns an error matching its sentinel,
// and what Parse accepts is exactly a class name.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"CRITICAL_INFRASTRUCTURE", "critical_infrastructure", "HIGH", "high", "Tier0", "tier3", "Tier4",
		"ENTERPRISE", "team", "admin", "SYSTEM", "", " ", "\x00", "ＨＩＧＨ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if c, err := blastradius.Parse(s); err == nil {
			if !c.Valid() || string(c) != s {
				t.Fatalf("Parse(%q) = %q", s, c)
			}
		} else if !errors.Is(err, blastradius.ErrUnknownClass) {
			t.Fatalf("Parse(%q): %v is not ErrUnknownClass", s, err)
		}
		for field, parse := range map[string]func(string) error{
			"criticality":       func(s string) error { _, err := blastradius.ParseCriticality(s); return err },
			"cmdb.service_tier": func(s string) error { _, err := blastradius.ParseTier(s); return err },
			"cmdb.impact_scope": func(s string) error { _, err := blastradius.ParseScope(s); return err },
			"privilege":         func(s string) error { _, err := blastradius.ParsePrivilege(s); return err },
		} {
			if err := parse(s); err != nil {
				if e := trustgate.AsError(err); e.Code != trustgate.Invalid || e.Field != field {
					t.Fatalf("Parse %s(%q): %v is not an invalid-input error for %s", field, s, err, field)
				}
			}
		}
	})
}
