package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// TestTheQuickstartRunsOnPostgreSQL runs the same walk-through with
// -postgres, in a schema of its own, when TRUSTGATE_TEST_POSTGRES_DSN is set.
func TestTheQuickstartRunsOnPostgreSQL(t *testing.T) {
	base := os.Getenv("TRUSTGATE_TEST_POSTGRES_DSN")
	if base == "" {
		t.Skip("TRUSTGATE_TEST_POSTGRES_DSN not set: skipping the quickstart on PostgreSQL (.ci/run starts a server and sets it)")
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("TRUSTGATE_TEST_POSTGRES_DSN must be a URL: %v", err)
	}
	schema := fmt.Sprintf("quickstart_%d", time.Now().UnixNano())
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()

	var out bytes.Buffer
	if err := run(t.Context(), &out, "", u.String()); err != nil {
		t.Fatalf("quickstart on PostgreSQL failed: %v\n%s", err, out.String())
	}
	for _, want := range []string{"store: PostgreSQL", "BLOCKED before any device: ARTIFACT_HASH_MISMATCH", "audit chain verified"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("transcript lacks %q:\n%s", want, out.String())
		}
	}
}
