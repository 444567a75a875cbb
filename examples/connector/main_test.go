package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestTheConnectorShowsEachFailure(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), &out); err != nil {
		t.Fatalf("connector failed: %v\n%s", err, out.String())
	}
	transcript := out.String()
	for _, want := range []string{
		"service key: ephemeral Ed25519",
		"deployed and recorded",
		"BLOCKED ARTIFACT_HASH_MISMATCH",
		"BLOCKED EVIDENCE_NOT_FOUND",
		"NOT AUTHORISED",
		"audit chain verified",
		"governance records verified",
	} {
		if !strings.Contains(transcript, want) {
			t.Errorf("transcript lacks %q:\n%s", want, transcript)
		}
	}
}
