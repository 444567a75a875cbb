package security

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// The fast canonical form must be byte for byte what the encoding/json
// path wrote, or events stored before it would no longer verify.
func TestCanonicalFastEqualsSlow(t *testing.T) {
	texts := []string{"", "alice", "<script>&amp;", "caf\u00e9 \u2028 \u2029 \U0001F600", `quote " and \ slash`, "tab\tnew\nline\x01\x7f"}
	datas := []string{`{}`, `{"a":1,"b":[true,null,"x<y"]}`, `{"b":1,"a":2}`, `{"n":1.50}`}
	at := time.Date(2026, 12, 2, 10, 4, 5, 123456000, time.UTC)
	for _, s := range texts {
		for _, d := range datas {
			for _, seq := range []int64{1, 42, 1 << 53, 1<<53 + 1} {
				e := Event{Seq: seq, ID: uuid.MustParse("0190a0a0-0000-7000-8000-00000000abcd"), Type: EventType("t." + s),
					Actor: s, Subject: s, CorrelationID: s, OccurredAt: at, Data: json.RawMessage(d)}
				fast, err := e.AppendCanonical(nil)
				require.NoError(t, err)
				slow, err := e.appendSlow(nil, e.Data)
				require.NoError(t, err)
				require.Equal(t, string(slow), string(fast), "text %q data %s seq %d", s, d, seq)
			}
		}
	}
}
