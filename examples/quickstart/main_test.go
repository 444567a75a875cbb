package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTheQuickstartShowsEveryOutcome runs the walk-through on a fresh
// SQLite file and checks that its transcript shows what the README promises.
func TestTheQuickstartShowsEveryOutcome(t *testing.T) {
	var out bytes.Buffer
	db := filepath.Join(t.TempDir(), "fleet.db")
	if err := run(t.Context(), &out, db, ""); err != nil {
		t.Fatalf("quickstart failed: %v\n%s", err, out.String())
	}
	transcript := out.String()
	for _, want := range []string{
		"CAB (alice) approved: level 1",
		"→ auto_approved (SCORE_WITHIN_THRESHOLD",
		"→ manual_review (SCORE_ABOVE_THRESHOLD",
		"→ manual_review (CLASS_NEVER_AUTO_APPROVES",
		"→ exception_required (SCORE_AT_OR_ABOVE_EXCEPTION_THRESHOLD",
		"reviewed: 2 of 2 CAB approvals",
		"reviewed: 3 of 3 CAB approvals",
		"exception approved by alice, bob, carol",
		"BLOCKED before any device: ARTIFACT_HASH_MISMATCH",
		"attributed (inferred)",
		"end-of-week maturity evaluation: level 1 → 2",
		"audit chain verified",
	} {
		if !strings.Contains(transcript, want) {
			t.Errorf("transcript lacks %q:\n%s", want, transcript)
		}
	}
	if _, err := os.Stat(db); err != nil {
		t.Errorf("-db file was not kept: %v", err)
	}
	if err := run(t.Context(), &bytes.Buffer{}, db, ""); err == nil {
		t.Error("a second walk-through on the same database was not refused")
	}
}
