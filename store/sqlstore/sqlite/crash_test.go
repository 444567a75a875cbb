package sqlite

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/google/uuid"
	sqlite3driver "github.com/ncruces/go-sqlite3/driver"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// crashChildEnv names the SQLite file a crash child writes to; set only in
// the child process that TestCrashSafetySQLite starts.
const crashChildEnv = "TRUSTGATE_CRASH_CHILD_DB"

// crashSeed makes the kill times reproducible.
const crashSeed = 20260210

// crashEventType is the custom audit event the child appends.
const crashEventType security.EventType = "crash.test"

// TestCrashChild is the child of TestCrashSafetySQLite: it writes evidence,
// CAB submissions, approvals and audit events to the database named by
// TRUSTGATE_CRASH_CHILD_DB until it is killed, and prints one line per
// write that returned without error:
//
//	COMMITTED evidence <id>
//	COMMITTED request <id>
//	COMMITTED approval <request id>
//	COMMITTED audit <seq> <event id>
//
// Without the variable it skips.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashChildEnv)
	if path == "" {
		t.Skip("only runs as the child of TestCrashSafetySQLite")
	}
	// An orphaned child (its parent died) stops by itself.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	fail := func(what string, err error) {
		fmt.Fprintf(os.Stderr, "crash child: %s: %v\n", what, err)
		os.Exit(3)
	}
	db, err := Open(ctx, path, sqlstore.Options{})
	if err != nil {
		fail("open", err)
	}
	s, err := store.New(db, store.Options{})
	if err != nil {
		fail("store", err)
	}
	svc, err := testkeys.Service(testkeys.Config(attest.ServiceAttested, "alice", "bob"))
	if err != nil {
		fail("service", err)
	}
	if err := store.Seed(ctx, s, svc, time.Now()); err != nil {
		fail("seed", err)
	}
	w, err := cab.NewWorkflow(s, cab.Options{Service: svc})
	if err != nil {
		fail("workflow", err)
	}
	factors := map[riskmodel.Factor]decimal.Decimal{}
	for f := range riskmodel.DefaultWeights() {
		factors[f] = decimal.NewFromInt(30)
	}
	facts := blastradius.Input{AppName: "crash-app", TargetUsers: 2500, Criticality: blastradius.CriticalityHigh}
	pid := os.Getpid()
	for i := 0; ctx.Err() == nil; i++ {
		corr := fmt.Sprintf("crash-%d-%d", pid, i)
		digest := sha256.Sum256([]byte(corr))
		ev, err := security.NewEvidence(uuid.New(), corr, fmt.Appendf(nil,
			`{"artifacts":[{"name":"a.msi","sha256":%q}]}`, hex.EncodeToString(digest[:])), time.Now().Truncate(s.TimePrecision()))
		if err != nil {
			fail("new evidence", err)
		}
		if err := ev.Attest(svc, dsse.Envelope{}); err != nil {
			fail("attest evidence", err)
		}
		if ev, err = s.CreateEvidence(ctx, ev, "crash-child"); err != nil {
			fail("create evidence", err)
		}
		fmt.Println("COMMITTED evidence", ev.ID)

		req, err := w.Submit(ctx, cab.Submission{EvidenceID: ev.ID, DeploymentIntentID: uuid.New(), CorrelationID: corr,
			Application: "crash-app", Classify: &facts, Factors: factors, Class: blastradius.BusinessCritical, Submitter: "sam"})
		if err != nil {
			fail("submit", err)
		}
		fmt.Println("COMMITTED request", req.ID)
		if req.Status != cab.StatusPendingReview {
			fail("submit", fmt.Errorf("status %s, want %s", req.Status, cab.StatusPendingReview))
		}

		for _, member := range []string{"alice", "bob"} {
			if _, err := w.Approve(ctx, req.ID, member, "crash test"); err != nil {
				fail("approve", err)
			}
			fmt.Println("COMMITTED approval", req.ID)
		}

		e, err := s.AppendAudit(ctx, security.EventInput{Type: crashEventType, Actor: "crash-child",
			Subject: "crash:" + corr, CorrelationID: corr, Data: []byte(fmt.Sprintf(`{"iteration":%d}`, i))})
		if err != nil {
			fail("append audit", err)
		}
		fmt.Println("COMMITTED audit", e.Seq, e.ID)
	}
}

// TestCrashSafetySQLite kills a child process that writes to a SQLite file
// (TestCrashChild) with SIGKILL at random points, and after every kill
// checks that the database opens, its audit chain verifies, every write the
// child reported as committed is there, and no record exists without the
// rest of what its transaction wrote.
func TestCrashSafetySQLite(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skipf("no SIGKILL child processes on %s", runtime.GOOS)
	}
	rounds := 24
	if testing.Short() {
		rounds = 5
	}
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "crash.db")
	rng := rand.New(rand.NewPCG(crashSeed, 0))
	t.Logf("seed %d, %d rounds, database %s", crashSeed, rounds, path)

	start := time.Now()
	totals := map[string]int{}
	approvals := map[uuid.UUID]int{} // committed approvals per request, across rounds
	for round := range rounds {
		delay := time.Duration(50+rng.IntN(351)) * time.Millisecond
		out := runCrashChild(t, path, delay)
		commits := parseCommits(t, out)
		for kind, n := range commits.counts() {
			totals[kind] += n
		}
		for id, n := range commits.approvals {
			approvals[id] += n
		}
		t.Logf("round %2d: killed after %v, %d evidence, %d requests, %d approvals, %d audit events committed",
			round+1, delay, len(commits.evidence), len(commits.requests), sumCounts(commits.approvals), len(commits.audit))
		checkCrashDatabase(t, ctx, path, commits, approvals)
	}
	t.Logf("%d rounds in %v; committed in all: %d evidence, %d requests, %d approvals, %d audit events",
		rounds, time.Since(start).Round(time.Millisecond), totals["evidence"], totals["request"], totals["approval"], totals["audit"])
	require.Positive(t, totals["evidence"], "no child committed anything: the test proves nothing")
	require.Positive(t, totals["request"], "no child committed a request")
	require.Positive(t, totals["approval"], "no child committed an approval")
	require.Positive(t, totals["audit"], "no child committed an audit event")
}

// runCrashChild starts TestCrashChild on path, kills it with SIGKILL after
// delay and returns what it printed.
func runCrashChild(t *testing.T, path string, delay time.Duration) []byte {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v=false", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		// Wait has returned: reading the buffers is safe.
		t.Fatalf("crash child exited before it was killed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.Bytes(), stderr.Bytes())
	case <-time.After(delay):
	}
	require.NoError(t, cmd.Process.Kill())
	err := <-exited // Wait copies all output before it returns
	require.Error(t, err, "the child was killed")
	if stderr.Len() > 0 {
		t.Logf("child stderr:\n%s", stderr.Bytes())
	}
	return stdout.Bytes()
}

// crashCommits is what one child reported as committed.
type crashCommits struct {
	evidence  []uuid.UUID
	requests  []uuid.UUID
	approvals map[uuid.UUID]int
	audit     map[int64]uuid.UUID
}

func (c crashCommits) counts() map[string]int {
	return map[string]int{"evidence": len(c.evidence), "request": len(c.requests),
		"approval": sumCounts(c.approvals), "audit": len(c.audit)}
}

func sumCounts(m map[uuid.UUID]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// parseCommits reads the child's COMMITTED lines. A line cut short by the
// kill (no newline) is ignored: its write was not reported.
func parseCommits(t *testing.T, out []byte) crashCommits {
	t.Helper()
	c := crashCommits{approvals: map[uuid.UUID]int{}, audit: map[int64]uuid.UUID{}}
	if i := bytes.LastIndexByte(out, '\n'); i >= 0 {
		out = out[:i+1]
	} else {
		out = nil
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || f[0] != "COMMITTED" {
			continue
		}
		switch f[1] {
		case "evidence":
			c.evidence = append(c.evidence, uuid.MustParse(f[2]))
		case "request":
			c.requests = append(c.requests, uuid.MustParse(f[2]))
		case "approval":
			c.approvals[uuid.MustParse(f[2])]++
		case "audit":
			require.Len(t, f, 4, "line %q", sc.Text())
			seq, err := strconv.ParseInt(f[2], 10, 64)
			require.NoError(t, err)
			c.audit[seq] = uuid.MustParse(f[3])
		default:
			t.Fatalf("unknown commit line %q", sc.Text())
		}
	}
	require.NoError(t, sc.Err())
	return c
}

// checkCrashDatabase opens the database a child was killed writing to and
// checks it. approvals holds the approvals committed so far for each request.
func checkCrashDatabase(t *testing.T, ctx context.Context, path string, c crashCommits, approvals map[uuid.UUID]int) {
	t.Helper()
	// (1) It opens (recovering the WAL) and migrates.
	d, err := Open(ctx, path, sqlstore.Options{})
	require.NoError(t, err, "open after kill")
	defer func() { require.NoError(t, d.Close()) }()
	s, err := store.New(d, store.Options{})
	require.NoError(t, err)

	// (2) The audit chain verifies.
	head, err := security.VerifyChain(ctx, s, security.VerifyOptions{})
	require.NoError(t, err, "audit chain after kill")

	// Every event, by subject.
	events := map[string][]security.Event{}
	var after int64
	for {
		page, err := s.ListAuditEvents(ctx, after, store.MaxAuditPage)
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			events[e.Subject] = append(events[e.Subject], e)
		}
		after = page[len(page)-1].Seq
	}
	require.Equal(t, head.Size, after, "events listed up to the verified head")
	countType := func(subject string, typ security.EventType) int {
		n := 0
		for _, e := range events[subject] {
			if e.Type == typ {
				n++
			}
		}
		return n
	}

	// (3) Every write the child reported as committed is there.
	for _, id := range c.evidence {
		ev, err := s.EvidenceByID(ctx, id)
		require.NoError(t, err, "committed evidence %s", id)
		require.True(t, ev.Intact(), "committed evidence %s is intact", id)
	}
	for _, id := range c.requests {
		_, err := s.Request(ctx, id)
		require.NoError(t, err, "committed request %s", id)
	}
	for id := range c.approvals {
		r, err := s.Request(ctx, id)
		require.NoError(t, err, "request %s of a committed approval", id)
		require.GreaterOrEqual(t, len(r.Approvals), approvals[id], "committed approvals of request %s", id)
	}
	for seq, id := range c.audit {
		require.LessOrEqual(t, seq, head.Size, "committed audit event %d", seq)
		page, err := s.ListAuditEvents(ctx, seq-1, 1)
		require.NoError(t, err)
		require.Len(t, page, 1, "committed audit event %d", seq)
		require.Equal(t, id, page[0].ID, "committed audit event %d", seq)
		require.Equal(t, crashEventType, page[0].Type, "committed audit event %d", seq)
	}

	// (4) No half-written record: every stored evidence package, request and
	// approval has the audit event its transaction wrote, and every such
	// event has its record.
	raw, err := sqlite3driver.Open(DSN(path, false))
	require.NoError(t, err)
	defer func() { require.NoError(t, raw.Close()) }()
	evidenceIDs := queryStrings(t, ctx, raw, `SELECT id FROM evidence_packages`)
	for _, id := range evidenceIDs {
		require.Equal(t, 1, countType("evidence:"+id, security.EventEvidenceCreated), "evidence.created events of evidence %s", id)
		ev, err := s.EvidenceByID(ctx, uuid.MustParse(id))
		require.NoError(t, err)
		require.True(t, ev.Intact(), "stored evidence %s is intact", id)
	}
	requestIDs := queryStrings(t, ctx, raw, `SELECT id FROM cab_requests`)
	for _, id := range requestIDs {
		r, err := s.Request(ctx, uuid.MustParse(id))
		require.NoError(t, err)
		subject := "cab-request:" + id
		require.Equal(t, 1, countType(subject, cab.EventSubmitted), "cab.submitted events of request %s", id)
		require.Equal(t, len(r.Approvals), countType(subject, cab.EventApproved), "cab.approved events of request %s", id)
		_, err = s.EvidenceByID(ctx, r.EvidenceID)
		require.NoError(t, err, "evidence of request %s", id)
	}
	var created, submitted int
	for _, es := range events {
		for _, e := range es {
			switch e.Type {
			case security.EventEvidenceCreated:
				created++
			case cab.EventSubmitted:
				submitted++
			}
		}
	}
	require.Equal(t, len(evidenceIDs), created, "evidence packages and evidence.created events")
	require.Equal(t, len(requestIDs), submitted, "requests and cab.submitted events")
}

func queryStrings(t *testing.T, ctx context.Context, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.QueryContext(ctx, query)
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		out = append(out, s)
	}
	require.NoError(t, rows.Err())
	return out
}
