package store

import (
	"testing"

	"github.com/buildworksai/trustgate/cab"
	"github.com/stretchr/testify/require"
)

// FuzzDecodeProgress feeds the decoder of a request's stored progress
// (approvals, rejection, exception) whatever a database edited by hand
// might hold. It must never panic, and what it accepts must reach a fixed
// point at once: encoded and decoded again, it stays what one encoding made
// of it (a hand-written time with nanoseconds is kept to the microsecond of
// the stored form).
func FuzzDecodeProgress(f *testing.F) {
	f.Add(`[]`, ``, ``)
	f.Add(`[{"by":"alice","at":"2026-02-10T09:00:00.123456Z","comment":"ok"}]`,
		`{"by":"bob","at":"2026-02-10T09:00:00.000000Z","reason":"no"}`,
		`{"justification":"outage","requested_by":"carol","requested_at":"2026-02-10T09:00:00.000000Z","expires_at":"2026-02-17T09:00:00.000000Z","artifact_digest":"`+
			"0000000000000000000000000000000000000000000000000000000000000000"+`","approvals":[]}`)
	f.Add(`null`, `{}`, `{"approvals":null}`)
	f.Add(`[{"at":"not a time"}]`, `[`, `"`)
	f.Add(`[{"by":"a","at":"2026-02-10T09:00:00.123456789+02:00"}]`, ``, ``)
	f.Fuzz(func(t *testing.T, approvals, rejection, exception string) {
		var r cab.Request
		if err := decodeProgress(&r, approvals, rejection, exception); err != nil {
			return
		}
		text := func(v any) string {
			if v == nil {
				return ""
			}
			return v.(string)
		}
		cycle := func(r *cab.Request) (cab.Request, [3]string) {
			a, rej, ex := progressJSON(r)
			var out cab.Request
			require.NoError(t, decodeProgress(&out, a, text(rej), text(ex)))
			return out, [3]string{a, text(rej), text(ex)}
		}
		once, stored := cycle(&r)
		twice, again := cycle(&once)
		require.Equal(t, stored, again)
		require.Equal(t, once, twice)
	})
}
