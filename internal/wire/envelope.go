package wire

import (
	"errors"
	"strings"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security/dsse"
)

// Envelope returns member key, a DSSE envelope in its JSON form, read as
// strictly as [dsse.Parse] reads one; absent or null, it is the zero
// envelope (recorded as missing when required). A malformed one is
// recorded as dsse.Parse's error (reason ENVELOPE_MALFORMED, Err
// dsse.ErrMalformed) with its Field moved under the member's path:
// "approvals[0].envelope.signatures[0].sig".
func (o *Object) Envelope(key string, required bool) dsse.Envelope {
	raw := o.Raw(key, required)
	if raw == nil {
		return dsse.Envelope{}
	}
	env, err := dsse.Parse(raw)
	if err != nil {
		field := o.Path(key)
		var e *trustgate.Error
		if errors.As(err, &e) {
			field += strings.TrimPrefix(e.Field, "envelope")
		}
		o.FailWith(&trustgate.Error{Code: trustgate.Invalid, Reason: "ENVELOPE_MALFORMED", Field: field,
			Message: o.pkg + ": json: " + field + ": " + err.Error(), Err: err})
		return dsse.Envelope{}
	}
	return env
}
