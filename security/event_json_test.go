package security_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/buildworksai/trustgate/internal/wire/wiretest"
	"github.com/buildworksai/trustgate/security"
)

// jsonEvents is a short chain of events as the log holds them: the first
// follows the empty log, each later one the event before it.
func jsonEvents(t testing.TB) []security.Event {
	t.Helper()
	at := time.Date(2026, 3, 2, 9, 0, 0, 250_000_000, time.UTC)
	inputs := []security.EventInput{
		{Type: "store.seeded", Actor: "trustgate-seed", Data: json.RawMessage(`{"level":0,"model":"1.0"}`)},
		{Type: "cab.submitted", Actor: "ci-release", Subject: "cab-request:0190f5a4-0000-7000-8000-000000000001",
			CorrelationID: "chg-1001", Data: json.RawMessage(`{"outcome":"manual_review","score":"42.5","note":"naïve \u00e9t\u00e9 <b> & more"}`)},
		{Type: "cab.approved", Actor: "alice", Subject: "cab-request:0190f5a4-0000-7000-8000-000000000001", CorrelationID: "chg-1001"},
	}
	var head security.Head
	events := make([]security.Event, len(inputs))
	for i, in := range inputs {
		id := uuid.MustParse("0190f5a4-0000-7000-8000-00000000010" + string(rune('0'+i)))
		e, err := security.NewEvent(head, in, id, at.Add(time.Duration(i)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		events[i] = e
		head = security.Head{Size: e.Seq, Hash: e.Hash}
	}
	return events
}

// verifies requires the events to verify as a chain from the empty log.
func verifies(t *testing.T, events []security.Event) {
	t.Helper()
	v, err := security.NewChainVerifier(security.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range events {
		if _, err := v.Add(&events[i]); err != nil {
			t.Fatalf("event %d: %v", events[i].Seq, err)
		}
	}
}

func TestEventJSONGolden(t *testing.T) {
	events := jsonEvents(t)
	for i, name := range []string{"event_seeded", "event_submitted", "event_approved"} {
		t.Run(name, func(t *testing.T) {
			b := wiretest.Golden(t, *update, name, events[i])
			var back security.Event
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("the golden form does not decode: %v", err)
			}
			if !sameEvent(back, events[i]) {
				t.Errorf("decoded %+v, want %+v", back, events[i])
			}
		})
	}
}

// TestEventsReadBackStillVerify: what a reader of an export gets back is
// the chain the log holds, byte for byte where the hashes cover it, even
// when the lines went through a pretty-printer on the way.
func TestEventsReadBackStillVerify(t *testing.T) {
	events := jsonEvents(t)
	for _, indent := range []bool{false, true} {
		back := make([]security.Event, len(events))
		for i, e := range events {
			b, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			if indent {
				var out bytes.Buffer
				if err := json.Indent(&out, b, "", "    "); err != nil {
					t.Fatal(err)
				}
				b = out.Bytes()
			}
			if err := json.Unmarshal(b, &back[i]); err != nil {
				t.Fatalf("%s: %v", b, err)
			}
			if !sameEvent(back[i], e) {
				t.Errorf("indent %v: decoded %+v, want %+v", indent, back[i], e)
			}
		}
		verifies(t, back)
	}
}

// TestAnEditedEventReadsBackButDoesNotVerify: reading checks the form;
// the chain check is what catches an edit.
func TestAnEditedEventReadsBackButDoesNotVerify(t *testing.T) {
	events := jsonEvents(t)
	b, err := json.Marshal(events[2])
	if err != nil {
		t.Fatal(err)
	}
	var edited security.Event
	if err := json.Unmarshal([]byte(strings.Replace(string(b), `"actor":"alice"`, `"actor":"mallory"`, 1)), &edited); err != nil {
		t.Fatal(err)
	}
	v, err := security.NewChainVerifier(security.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range events[:2] {
		if _, err := v.Add(&events[i]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := v.Add(&edited); err == nil {
		t.Error("an event whose actor was edited verified")
	}
}

func TestEventJSONRejectsBadDocuments(t *testing.T) {
	good, err := json.Marshal(jsonEvents(t)[1])
	if err != nil {
		t.Fatal(err)
	}
	doc := string(good)
	edit := func(old, new string) string {
		if !strings.Contains(doc, old) {
			t.Fatalf("%q not in %s", old, doc)
		}
		return strings.Replace(doc, old, new, 1)
	}
	with := func(member string, v any) string {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		m[member] = v
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, c := range []struct {
		name, doc, field string
	}{
		{"null", `null`, ""},
		{"an array", `[]`, ""},
		{"malformed JSON", `{"seq":`, ""},
		{"an unknown member", edit(`"seq":2`, `"seq":2,"sequence":2`), "sequence"},
		{"seq 0", edit(`"seq":2`, `"seq":0`), "seq"},
		{"a negative seq", edit(`"seq":2`, `"seq":-2`), "seq"},
		{"a seq as a string", edit(`"seq":2`, `"seq":"2"`), "seq"},
		{"a malformed id", edit(`"id":"0190f5a4-0000-7000-8000-000000000101"`, `"id":"0190f5a4"`), "id"},
		{"no type", edit(`"type":"cab.submitted",`, ``), "type"},
		{"a blank actor", edit(`"actor":"ci-release"`, `"actor":"  "`), "actor"},
		{"a control character in the subject", edit(`"subject":"cab-request:`, `"subject":"cab\u0007request:`), "subject"},
		{"a correlation id as a number", edit(`"correlation_id":"chg-1001"`, `"correlation_id":1001`), "correlation_id"},
		{"a time without a zone", edit(`"occurred_at":"2026-03-02T09:01:00.25Z"`, `"occurred_at":"2026-03-02T09:01:00"`), "occurred_at"},
		{"the zero time", edit(`"occurred_at":"2026-03-02T09:01:00.25Z"`, `"occurred_at":"0001-01-01T00:00:00Z"`), "occurred_at"},
		{"data that is an array", with("data", []any{map[string]any{}}), "data"},
		{"data that is a string", with("data", "{}"), "data"},
		{"data that is a number", with("data", 7), "data"},
		{"a short hash", edit(`"hash":"`, `"hash":"ab`), "hash"},
		{"no prev_hash", strings.Join(strings.SplitN(doc, `"prev_hash":`, 2), `"prev_hashes":`), "prev_hashes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := jsonEvents(t)[0]
			got := before
			wiretest.Invalid(t, got.UnmarshalJSON([]byte(c.doc)), c.field)
			if !sameEvent(got, before) {
				t.Errorf("a failed decode changed the event to %+v", got)
			}
		})
	}
}

func sameEvent(a, b security.Event) bool {
	return a.Seq == b.Seq && a.ID == b.ID && a.Type == b.Type && a.Actor == b.Actor && a.Subject == b.Subject &&
		a.CorrelationID == b.CorrelationID && a.OccurredAt.Equal(b.OccurredAt) && a.OccurredAt.Location() == time.UTC &&
		bytes.Equal(a.Data, b.Data) && a.PrevHash == b.PrevHash && a.Hash == b.Hash
}

func FuzzEventUnmarshalJSON(f *testing.F) {
	for _, e := range jsonEvents(f) {
		b, err := json.Marshal(e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"seq":1,"data":[],"hash":"00"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		wiretest.Stable[security.Event](t, data)
	})
}
