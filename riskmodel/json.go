package riskmodel

import (
	"encoding/json"
	"fmt"

	"github.com/buildworksai/trustgate/internal/wire"
)

type contributionJSON struct {
	Factor Factor `json:"factor"`
	Value  string `json:"value"`
	Weight string `json:"weight"`
	Points string `json:"points"`
}

type scoreJSON struct {
	Value         string             `json:"value"`
	ModelVersion  string             `json:"model_version"`
	Contributions []contributionJSON `json:"contributions"`
}

func (c Contribution) wire() contributionJSON {
	return contributionJSON{Factor: c.Factor, Value: wire.Decimal(c.Value), Weight: wire.Decimal(c.Weight), Points: wire.Decimal(c.Points)}
}

// MarshalJSON writes c as {"factor", "value", "weight", "points"}, the
// numbers as decimal strings.
func (c Contribution) MarshalJSON() ([]byte, error) { return json.Marshal(c.wire()) }

// UnmarshalJSON reads the form [Contribution.MarshalJSON] writes; see
// [Score.UnmarshalJSON]. On error c is unchanged.
func (c *Contribution) UnmarshalJSON(data []byte) error {
	v, err := decodeContribution(data, "")
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// MarshalJSON writes s as {"value", "model_version", "contributions"}:
// the score and every contribution's numbers as decimal strings, the
// contributions in order (an empty array when there are none).
func (s Score) MarshalJSON() ([]byte, error) {
	w := scoreJSON{Value: wire.Decimal(s.Value), ModelVersion: s.ModelVersion, Contributions: make([]contributionJSON, len(s.Contributions))}
	for i, c := range s.Contributions {
		w.Contributions[i] = c.wire()
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the form [Score.MarshalJSON] writes. Every member is
// required; a factor name that is not a lower-case identifier, a
// malformed decimal, a member of the wrong JSON type, any other member or
// null is an invalid-input *trustgate.Error whose Field is the member's
// path ("contributions[2].weight"). It does not recompute the score from
// the contributions. On error s is unchanged.
func (s *Score) UnmarshalJSON(data []byte) error {
	o, err := wire.Read("riskmodel", data, "", "value", "model_version", "contributions")
	if err != nil {
		return err
	}
	v := Score{Value: o.Decimal("value"), ModelVersion: o.String("model_version")}
	o.Array("contributions", true, func(path string, raw json.RawMessage) error {
		c, err := decodeContribution(raw, path)
		v.Contributions = append(v.Contributions, c)
		return err
	})
	if err := o.Err(); err != nil {
		return err
	}
	*s = v
	return nil
}

func decodeContribution(data []byte, path string) (Contribution, error) {
	o, err := wire.Read("riskmodel", data, path, "factor", "value", "weight", "points")
	if err != nil {
		return Contribution{}, err
	}
	c := Contribution{Factor: Factor(o.String("factor"))}
	if o.Err() == nil && !validFactorName(c.Factor) {
		o.Fail("factor", fmt.Sprintf("factor %q is not a lower-case identifier", c.Factor), nil)
	}
	c.Value, c.Weight, c.Points = o.Decimal("value"), o.Decimal("weight"), o.Decimal("points")
	if err := o.Err(); err != nil {
		return Contribution{}, err
	}
	return c, nil
}
