package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// TestTheQuickstartShowsEveryOutcome runs the walk-through on a fresh
// SQLite file and checks that its transcript shows what the README promises.
func TestTheQuickstartShowsEveryOutcome(t *testing.T) {
	var out bytes.Buffer
	dir := t.TempDir()
	db := filepath.Join(dir, "fleet.db")
	files := outputs{checkpoint: filepath.Join(dir, "checkpoint.txt"), verifier: filepath.Join(dir, "log.vkey")}
	if err := run(t.Context(), &out, db, "", files); err != nil {
		t.Fatalf("quickstart failed: %v\n%s", err, out.String())
	}
	transcript := out.String()
	for _, want := range []string{
		"keys: made an ephemeral Ed25519 service key",
		"approvals are member-signed",
		"CAB (alice) signed: 1 of 2 approvals, level unchanged",
		"CAB (alice, bob) approved: level 1",
		"→ auto_approved (SCORE_WITHIN_THRESHOLD",
		"→ manual_review (SCORE_ABOVE_THRESHOLD",
		"→ manual_review (CLASS_NEVER_AUTO_APPROVES",
		"→ exception_required (SCORE_AT_OR_ABOVE_EXCEPTION_THRESHOLD",
		"reviewed: 2 of 2 CAB approvals",
		"reviewed: 3 of 3 CAB approvals",
		"exception approved by alice, bob, carol",
		// The attempt refused: a status edited in the database with one of
		// two approvals.
		"reviewed: 1 of 2 CAB approvals (carol",
		"ATTACK with write access to the database, no key: UPDATE cab_requests SET status = 'approved' WHERE id = ",
		"the stored status now says approved",
		"Authorize: REFUSED DEPLOYMENT_NOT_AUTHORIZED: cab: request ",
		": 1 of 2 verified approvals",
		"verify: cab_requests/",
		"status: is approved, but what was signed makes it pending_review",
		"BLOCKED before any device: ARTIFACT_HASH_MISMATCH",
		"attributed (inferred)",
		"end-of-week maturity evaluation: level 1 → 2",
		"audit chain verified",
		"checked offline:",
		"every governance record verified against its signatures",
	} {
		if !strings.Contains(transcript, want) {
			t.Errorf("transcript lacks %q:\n%s", want, transcript)
		}
	}
	readmeTranscript(t, transcript)
	checkWrittenProofs(t, files)
	if _, err := os.Stat(db); err != nil {
		t.Errorf("-db file was not kept: %v", err)
	}
	if err := run(t.Context(), &bytes.Buffer{}, db, "", outputs{}); err == nil {
		t.Error("a second walk-through on the same database was not refused")
	}
}

// The parts of a transcript that differ from run to run: ids, keys,
// digests, the database's path.
var (
	uuidPattern = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	hexPattern  = regexp.MustCompile(`[0-9a-f]{8,}`)
	pathPattern = regexp.MustCompile(`SQLite at .*`)
)

func masked(transcript string) []string {
	var out []string
	for _, line := range strings.Split(strings.TrimRight(transcript, "\n"), "\n") {
		line = pathPattern.ReplaceAllString(line, "SQLite at <path>")
		line = uuidPattern.ReplaceAllString(line, "<uuid>")
		out = append(out, hexPattern.ReplaceAllString(line, "<hex>"))
	}
	return out
}

// readmeTranscript checks that the transcript README.md shows is the
// walk-through's, line by line, but for what differs on every run.
func readmeTranscript(t *testing.T, transcript string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "<summary>The transcript of a run")
	if !ok {
		t.Fatal("README.md shows no quickstart transcript")
	}
	_, after, _ = strings.Cut(after, "```text\n")
	shown, _, ok := strings.Cut(after, "```")
	if !ok {
		t.Fatal("README.md: the transcript's code block does not end")
	}
	want, got := masked(shown), masked(transcript)
	for i := range max(len(want), len(got)) {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			t.Fatalf("README.md's transcript differs from the walk-through's at line %d:\nREADME: %s\nrun:    %s\n(update README.md with the output of go run ./examples/quickstart)", i+1, w, g)
		}
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
	if err := run(t.Context(), &out, "", u.String(), outputs{}); err != nil {
		t.Fatalf("quickstart on PostgreSQL failed: %v\n%s", err, out.String())
	}
	for _, want := range []string{"store: PostgreSQL", "BLOCKED before any device: ARTIFACT_HASH_MISMATCH",
		"Authorize: REFUSED DEPLOYMENT_NOT_AUTHORIZED", "verify: cab_requests/", "audit chain verified", "every governance record verified"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("transcript lacks %q:\n%s", want, out.String())
		}
	}
}

// checkWrittenProofs opens the checkpoint the walk wrote with the
// verifier key it wrote, using golang.org/x/mod/sumdb/note alone: what
// any other tool can do.
func checkWrittenProofs(t *testing.T, files outputs) {
	t.Helper()
	vkey, err := os.ReadFile(files.verifier)
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := note.NewVerifier(strings.TrimSpace(string(vkey)))
	if err != nil {
		t.Fatalf("the verifier key %q is not in the note verifier-key format: %v", vkey, err)
	}
	msg, err := os.ReadFile(files.checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		t.Fatalf("note.Open rejects the checkpoint: %v\n%s", err, msg)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != logOrigin || lines[1] == "0" {
		t.Errorf("the checkpoint is not a C2SP tlog-checkpoint of the quickstart's log:\n%s", n.Text)
	}
}
