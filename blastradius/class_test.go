package blastradius_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
)

func TestParseValid(t *testing.T) {
	for _, c := range blastradius.Classes() {
		got, err := blastradius.Parse(string(c))
		require.NoError(t, err)
		assert.Equal(t, c, got)
		assert.True(t, got.Valid())
		assert.Equal(t, string(c), got.String())
	}
}

func TestParseInvalid(t *testing.T) {
	for _, s := range []string{"", "critical_infrastructure", "CRITICAL", " NON_CRITICAL", "NON_CRITICAL "} {
		got, err := blastradius.Parse(s)
		require.Error(t, err, "%q", s)
		assert.Equal(t, blastradius.Class(""), got)
		assert.True(t, errors.Is(err, blastradius.ErrUnknownClass))
		var ce *blastradius.ClassError
		require.True(t, errors.As(err, &ce))
		assert.Equal(t, s, ce.Value)
		assert.Contains(t, err.Error(), "unknown class")
		e := trustgate.AsError(err)
		assert.Equal(t, trustgate.Invalid, e.Code)
		assert.Equal(t, "class", e.Field)
	}
}

func TestSeverityOrder(t *testing.T) {
	cs := blastradius.Classes()
	require.Equal(t, []blastradius.Class{
		blastradius.CriticalInfrastructure, blastradius.BusinessCritical,
		blastradius.ProductivityTools, blastradius.NonCritical,
	}, cs)
	for i := range cs {
		assert.Equal(t, 4-i, cs[i].Severity(), cs[i])
		for j := i + 1; j < len(cs); j++ {
			assert.True(t, cs[i].MoreSevereThan(cs[j]), "%s > %s", cs[i], cs[j])
			assert.False(t, cs[j].MoreSevereThan(cs[i]), "%s > %s", cs[j], cs[i])
		}
		assert.False(t, cs[i].MoreSevereThan(cs[i]))
	}
	assert.Equal(t, 0, blastradius.Class("bogus").Severity())
	assert.False(t, blastradius.Class("bogus").Valid())
}

func TestMax(t *testing.T) {
	cs := blastradius.Classes()
	for i, a := range cs {
		for j, b := range cs {
			want := a
			if j < i {
				want = b
			}
			assert.Equal(t, want, blastradius.Max(a, b), "Max(%s, %s)", a, b)
		}
	}
	assert.Equal(t, blastradius.NonCritical, blastradius.Max(blastradius.NonCritical, "bogus"))
	assert.Equal(t, blastradius.NonCritical, blastradius.Max("bogus", blastradius.NonCritical))
}

func TestQuorum(t *testing.T) {
	want := map[blastradius.Class]int{
		blastradius.CriticalInfrastructure: 3,
		blastradius.BusinessCritical:       2,
		blastradius.ProductivityTools:      1,
		blastradius.NonCritical:            1,
		"bogus":                            0,
	}
	for c, q := range want {
		assert.Equal(t, q, c.Quorum(), c)
	}
}

func TestAutoApproveAllowed(t *testing.T) {
	for _, c := range blastradius.Classes() {
		assert.Equal(t, c != blastradius.CriticalInfrastructure, c.AutoApproveAllowed(), c)
	}
	assert.False(t, blastradius.Class("bogus").AutoApproveAllowed())
}

func TestDefinitions(t *testing.T) {
	defs := blastradius.Definitions()
	require.Len(t, defs, 4)
	for i, d := range defs {
		assert.Equal(t, blastradius.Classes()[i], d.Class)
		assert.Equal(t, d.Class.Quorum(), d.Quorum)
		assert.Equal(t, d.Class.AutoApproveAllowed(), d.AutoApproveAllowed)
		assert.NotEmpty(t, d.Description)
		assert.NotEmpty(t, d.Examples)
	}
	defs[0].Examples[0] = "changed"
	assert.NotEqual(t, "changed", blastradius.Definitions()[0].Examples[0], "Definitions must return fresh slices")
}
