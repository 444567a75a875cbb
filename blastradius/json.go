package blastradius

import (
	"encoding/json"
	"fmt"

	"github.com/buildworksai/trustgate/internal/wire"
)

type resultJSON struct {
	Class  Class  `json:"class"`
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
	Floor  string `json:"floor,omitempty"`
}

// MarshalJSON writes r as {"class", "rule", "reason", "floor"}, floor
// omitted while no floor raised the class.
func (r Result) MarshalJSON() ([]byte, error) { return json.Marshal(resultJSON(r)) }

// UnmarshalJSON reads the form [Result.MarshalJSON] writes. class, rule
// and reason are required; an unknown class (wrapping a [*ClassError]) or
// floor, a member of the wrong JSON type, any other member or null is an
// invalid-input *trustgate.Error whose Field names the member. On error r
// is unchanged.
func (r *Result) UnmarshalJSON(data []byte) error {
	o, err := wire.Read("blastradius", data, "", "class", "rule", "reason", "floor")
	if err != nil {
		return err
	}
	var v Result
	if s := o.String("class"); o.Err() == nil {
		c, err := Parse(s)
		if err != nil {
			o.Fail("class", fmt.Sprintf("unknown class %q", s), err)
		}
		v.Class = c
	}
	v.Rule, v.Reason, v.Floor = o.String("rule"), o.String("reason"), o.OptString("floor")
	if o.Err() == nil && v.Floor != "" && v.Floor != FloorPrivileged && v.Floor != FloorTargetUsers {
		o.Fail("floor", fmt.Sprintf("unknown floor %q (want %s, %s or none)", v.Floor, FloorPrivileged, FloorTargetUsers), nil)
	}
	if err := o.Err(); err != nil {
		return err
	}
	*r = v
	return nil
}
