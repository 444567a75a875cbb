package postgres

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
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
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The multi-process test: a parent test prepares one PostgreSQL schema and
// starts mpWorkers copies of the test binary, each running
// TestConcurrentProcessesChild with its own pool, which all submit, approve,
// activate and audit at once. The parent then checks every invariant on
// the database.
const (
	mpDSNEnv    = "TRUSTGATE_MP_DSN"
	mpWorkerEnv = "TRUSTGATE_MP_WORKER"
	mpSeedEnv   = "TRUSTGATE_MP_SEED"
	mpStartEnv  = "TRUSTGATE_MP_START" // Unix nanoseconds: when the children begin

	mpWorkers    = 4  // child processes
	mpIterations = 30 // per child
	mpModels     = 4  // approved candidate versions, besides the seed
	mpRequests   = 8  // correlation ids: the first half submitted by the parent, the rest raced by the children
	mpQuorum     = 3  // CRITICAL_INFRASTRUCTURE

	mpResultPrefix = "TRUSTGATE_MP_RESULT "
	mpEventType    = security.EventType("test.multiprocess")
)

var mpMembers = []string{"alice", "bob", "carol", "dave", "erin", "frank"}

// mpResult is what a child did successfully, printed on its stdout.
type mpResult struct {
	Worker      int `json:"worker"`
	Activations int `json:"activations"` // ActivateRiskModel calls that succeeded (no-ops included)
	Approvals   int `json:"approvals"`   // approvals recorded
	Refusals    int `json:"refusals"`    // expected approval refusals
	Resubmits   int `json:"resubmits"`   // repeat submissions that returned the stored request
	Conflicts   int `json:"conflicts"`   // repeat submissions refused as ErrConflict
	Appends     int `json:"appends"`     // audit events appended
}

func mpModelVersion(i int) string { return fmt.Sprintf("9.%d", i) }

func mpCorrelationID(seed uint64, k int) string { return fmt.Sprintf("mp-%d-chg-%d", seed, k) }

// mpID derives an id every process computes alike.
func mpID(seed uint64, what string, k int) uuid.UUID {
	return uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "trustgate-mp/%d/%s/%d", seed, what, k))
}

// mpSubmission is the submission of correlation id k, the same in every
// process.
func mpSubmission(seed uint64, k int) cab.Submission {
	factors := map[riskmodel.Factor]decimal.Decimal{}
	for f := range riskmodel.DefaultWeights() {
		factors[f] = decimal.NewFromInt(10)
	}
	return cab.Submission{
		EvidenceID: mpID(seed, "evidence", k), DeploymentIntentID: mpID(seed, "intent", k),
		CorrelationID: mpCorrelationID(seed, k), Application: fmt.Sprintf("app-%d", k), Factors: factors,
		Classify: &blastradius.Input{AppName: fmt.Sprintf("app-%d", k), TargetUsers: 100},
		Class:    blastradius.CriticalInfrastructure, Submitter: mpMembers[k%len(mpMembers)],
	}
}

// mpVersion returns a valid, approved, inactive candidate version.
func mpVersion(name string, at time.Time) riskmodel.Version {
	v := riskmodel.Seed(at)
	v.Version, v.Active = name, false
	return v
}

// mpStore returns a store over a driver on the database at dsn, opened as
// an installation opens it (postgres.Open, which migrates: a no-op for all
// but the first process).
func mpStore(t *testing.T, dsn string) *store.Store {
	t.Helper()
	d, err := Open(t.Context(), openPool(t, dsn), sqlstore.Options{})
	require.NoError(t, err)
	s, err := store.New(d, store.Options{})
	require.NoError(t, err)
	return s
}

// mpService is the development service every process signs with.
func mpService(t *testing.T) *attest.Service {
	t.Helper()
	svc, err := testkeys.Service(testkeys.Config(attest.ServiceAttested, mpMembers...))
	require.NoError(t, err)
	return svc
}

func mpWorkflow(t *testing.T, s *store.Store) *cab.Workflow {
	t.Helper()
	w, err := cab.NewWorkflow(s, cab.Options{Service: mpService(t)})
	require.NoError(t, err)
	return w
}

// TestConcurrentProcessesPostgres runs mpWorkers processes against one
// PostgreSQL schema at once and checks that every invariant holds: one
// active model (and a gapless history of activations), exact quorum with
// distinct approvers who are not the submitter, one request per correlation
// id, no lost approval, and one unbroken audit chain holding exactly the
// events written.
func TestConcurrentProcessesPostgres(t *testing.T) {
	requireServer(t)
	ctx := t.Context()
	dsn := freshSchema(t)
	s := mpStore(t, dsn)
	start := time.Now()
	svc := mpService(t)
	require.NoError(t, store.Seed(ctx, s, svc, start))

	seed := rand.Uint64()
	w := mpWorkflow(t, s)
	for i := range mpModels {
		// Each candidate approved as the workflow approves: two members
		// other than its creator sign its content.
		v := mpVersion(mpModelVersion(i), start)
		v.Approval = riskmodel.Approval{}
		require.NoError(t, s.CreateRiskModel(ctx, v, "cab-admin"))
		for _, m := range mpMembers[:2] {
			_, err := w.ApproveModel(ctx, v.Version, m)
			require.NoError(t, err)
		}
	}
	for k := range mpRequests {
		ev, err := security.NewEvidence(mpID(seed, "evidence", k), fmt.Sprintf("mp-%d-build-%d", seed, k), fmt.Appendf(nil,
			`{"artifacts":[{"name":"app-%d.msi","sha256":"%064x"}]}`, k, k+1), start.Truncate(s.TimePrecision()))
		require.NoError(t, err)
		require.NoError(t, ev.Attest(svc, dsse.Envelope{}))
		_, err = s.CreateEvidence(ctx, ev, "release-pipeline")
		require.NoError(t, err)
		if k < mpRequests/2 { // the rest are first submitted by the racing children
			r, err := w.Submit(ctx, mpSubmission(seed, k))
			require.NoError(t, err)
			require.Equal(t, cab.ManualReview, r.Decision.Outcome)
			require.Equal(t, mpQuorum, r.Decision.Quorum)
		}
	}
	before, err := s.AuditHead(ctx)
	require.NoError(t, err)
	activeBefore, err := s.ActiveRiskModel(ctx)
	require.NoError(t, err)

	// Start the children; they begin work together at startAt.
	startAt := time.Now().Add(2 * time.Second)
	type child struct {
		cmd *exec.Cmd
		out bytes.Buffer
	}
	children := make([]*child, mpWorkers)
	for i := range children {
		c := &child{cmd: exec.CommandContext(ctx, os.Args[0], "-test.run=^TestConcurrentProcessesChild$", "-test.count=1")}
		c.cmd.Env = append(os.Environ(), mpDSNEnv+"="+dsn, mpWorkerEnv+"="+strconv.Itoa(i),
			mpSeedEnv+"="+strconv.FormatUint(seed, 10), mpStartEnv+"="+strconv.FormatInt(startAt.UnixNano(), 10))
		c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.out
		require.NoError(t, c.cmd.Start())
		children[i] = c
	}
	var total mpResult
	for i, c := range children {
		err := c.cmd.Wait()
		require.NoError(t, err, "child %d failed:\n%s", i, c.out.String())
		var res *mpResult
		sc := bufio.NewScanner(bytes.NewReader(c.out.Bytes()))
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), mpResultPrefix); ok {
				res = new(mpResult)
				require.NoError(t, json.Unmarshal([]byte(line), res))
			}
		}
		require.NotNil(t, res, "child %d ran no work (skipped?):\n%s", i, c.out.String())
		require.Equal(t, i, res.Worker)
		t.Logf("child %d: %+v", i, *res)
		total.Activations += res.Activations
		total.Approvals += res.Approvals
		total.Refusals += res.Refusals
		total.Resubmits += res.Resubmits
		total.Conflicts += res.Conflicts
		total.Appends += res.Appends
	}
	require.Equal(t, mpWorkers*mpIterations, total.Appends)

	// One active model, and it is the one the store serves.
	models, err := s.ListRiskModels(ctx)
	require.NoError(t, err)
	require.Len(t, models, mpModels+1)
	var actives []string
	for _, m := range models {
		if m.Active {
			actives = append(actives, m.Version)
		}
	}
	require.Len(t, actives, 1, "exactly one active model")
	active, err := s.ActiveRiskModel(ctx)
	require.NoError(t, err)
	require.Equal(t, actives[0], active.Version)

	// Exactly one request per correlation id, each with an exact quorum of
	// distinct approvers who are not the submitter.
	reqs, err := s.ListRequests(ctx, cab.RequestFilter{From: start.Add(-24 * time.Hour), To: time.Now().Add(24 * time.Hour), Limit: 1000})
	require.NoError(t, err)
	require.Len(t, reqs, mpRequests, "one request per correlation id")
	byCorrelation := map[string]uuid.UUID{}
	approvals := 0
	for _, r := range reqs {
		_, dup := byCorrelation[r.CorrelationID]
		require.False(t, dup, "two requests under correlation id %s", r.CorrelationID)
		byCorrelation[r.CorrelationID] = r.ID
		require.Equal(t, mpQuorum, r.Decision.Quorum)
		require.LessOrEqual(t, len(r.Approvals), mpQuorum, "request %s over quorum", r.ID)
		seen := map[string]bool{}
		for _, a := range r.Approvals {
			require.False(t, seen[a.By], "request %s approved twice by %s", r.ID, a.By)
			seen[a.By] = true
			require.NotEqual(t, r.Submitter, a.By, "request %s approved by its submitter", r.ID)
		}
		require.Equal(t, len(r.Approvals) == mpQuorum, r.Status == cab.StatusApproved,
			"request %s: status %s with %d approvals", r.ID, r.Status, len(r.Approvals))
		if r.Status != cab.StatusApproved {
			require.Equal(t, cab.StatusPendingReview, r.Status)
		}
		approvals += len(r.Approvals)
	}
	for k := range mpRequests {
		got, err := s.RequestByCorrelationID(ctx, mpCorrelationID(seed, k))
		require.NoError(t, err)
		require.Equal(t, byCorrelation[mpCorrelationID(seed, k)], got.ID)
	}
	require.Equal(t, total.Approvals, approvals, "every approval a child was told of is stored, and no other")

	// One unbroken chain, holding exactly what was written.
	head, err := security.VerifyChain(ctx, s, security.VerifyOptions{})
	require.NoError(t, err)
	stored, err := s.AuditHead(ctx)
	require.NoError(t, err)
	require.Equal(t, stored, head)
	var events []security.Event
	for after := int64(0); ; {
		page, err := s.ListAuditEvents(ctx, after, 1000)
		require.NoError(t, err)
		events = append(events, page...)
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].Seq
	}
	require.Len(t, events, int(head.Size), "the log's size is its number of events")
	counts := map[security.EventType]int{}
	current := activeBefore.Version
	appended := map[[2]int]bool{}
	for _, e := range events {
		counts[e.Type]++
		if e.Seq <= before.Size {
			continue
		}
		switch e.Type {
		case security.EventRiskModelActivated:
			// Activations form one history: each replaced the one before.
			var d struct{ Version, Previous string }
			require.NoError(t, json.Unmarshal(e.Data, &d))
			require.Equal(t, current, d.Previous, "activation at event %d replaced the wrong version", e.Seq)
			require.NotEqual(t, d.Previous, d.Version, "a no-op activation wrote event %d", e.Seq)
			current = d.Version
		case mpEventType:
			var d struct{ Worker, N int }
			require.NoError(t, json.Unmarshal(e.Data, &d))
			key := [2]int{d.Worker, d.N}
			require.False(t, appended[key], "event %v appended twice", key)
			appended[key] = true
		}
	}
	require.Equal(t, active.Version, current, "the last activation is the active model")
	require.Len(t, appended, total.Appends)
	assert.Equal(t, mpRequests, counts[cab.EventSubmitted], "one submission event per request")
	assert.Equal(t, approvals, counts[cab.EventApproved])
	activated := 0
	for _, e := range events[before.Size:] {
		if e.Type == security.EventRiskModelActivated {
			activated++
		}
	}
	require.LessOrEqual(t, activated, total.Activations)
	require.Equal(t, int(before.Size)+mpRequests/2+approvals+activated+total.Appends, int(head.Size),
		"the log grew by exactly the events written: no fork, no gap, no stray write")
	t.Logf("%d processes: %d activations (%d changed the model), %d approvals, %d refusals, %d repeat submissions (%d conflicts), %d events in one chain, %s",
		mpWorkers, total.Activations, activated, approvals, total.Refusals, total.Resubmits, total.Conflicts, head.Size, time.Since(start).Round(time.Millisecond))
}

// TestConcurrentProcessesChild is one worker process of
// TestConcurrentProcessesPostgres; it runs only when started by it.
func TestConcurrentProcessesChild(t *testing.T) {
	dsn := os.Getenv(mpDSNEnv)
	if dsn == "" {
		t.Skip(mpDSNEnv + " not set: run by TestConcurrentProcessesPostgres in a child process")
	}
	ctx := t.Context()
	worker, err := strconv.Atoi(os.Getenv(mpWorkerEnv))
	require.NoError(t, err)
	seed, err := strconv.ParseUint(os.Getenv(mpSeedEnv), 10, 64)
	require.NoError(t, err)
	startNanos, err := strconv.ParseInt(os.Getenv(mpStartEnv), 10, 64)
	require.NoError(t, err)

	s := mpStore(t, dsn)
	w := mpWorkflow(t, s)
	rng := rand.New(rand.NewPCG(seed, uint64(worker)))
	res := mpResult{Worker: worker}

	time.Sleep(time.Until(time.Unix(0, startNanos)))
	for n := range mpIterations {
		// Activate a random candidate (or the seed).
		v := riskmodel.SeedVersion
		if i := rng.IntN(mpModels + 1); i < mpModels {
			v = mpModelVersion(i)
		}
		require.NoError(t, s.ActivateRiskModel(ctx, v, fmt.Sprintf("worker-%d", worker)))
		res.Activations++

		// Submit a correlation id again (the first time, for the raced ones):
		// the same request, or a conflict, never a second request.
		k := rng.IntN(mpRequests)
		sub := mpSubmission(seed, k)
		r, err := w.Submit(ctx, sub)
		switch {
		case err == nil:
			got, err := s.RequestByCorrelationID(ctx, sub.CorrelationID)
			require.NoError(t, err)
			require.Equal(t, got.ID, r.ID, "a repeat submission made a second request")
			res.Resubmits++
		case errors.Is(err, store.ErrConflict):
			res.Conflicts++
		default:
			require.NoError(t, err, "submitting %s", sub.CorrelationID)
		}
		// A different submission under a used correlation id is a conflict.
		if _, err := s.RequestByCorrelationID(ctx, sub.CorrelationID); err == nil {
			other := sub
			other.Application = "something-else"
			_, err := w.Submit(ctx, other)
			require.ErrorIs(t, err, store.ErrConflict, "a changed submission under %s", sub.CorrelationID)
		}

		// Approve random requests as random members.
		for range 2 {
			k := rng.IntN(mpRequests)
			r, err := s.RequestByCorrelationID(ctx, mpCorrelationID(seed, k))
			if errors.Is(err, store.ErrNotFound) {
				continue // not submitted yet
			}
			require.NoError(t, err)
			member := mpMembers[rng.IntN(len(mpMembers))]
			_, err = w.Approve(ctx, r.ID, member, fmt.Sprintf("worker %d", worker))
			switch {
			case err == nil:
				res.Approvals++
			case errors.Is(err, cab.ErrNotPending), errors.Is(err, cab.ErrDuplicateApproval), errors.Is(err, cab.ErrSeparationOfDuties):
				res.Refusals++
			default:
				require.NoError(t, err, "approving %s as %s", r.ID, member)
			}
		}

		// Append an audit event of our own.
		_, err = s.AppendAudit(ctx, security.EventInput{Type: mpEventType, Actor: fmt.Sprintf("worker-%d", worker),
			Subject: "mp", Data: fmt.Appendf(nil, `{"worker":%d,"n":%d}`, worker, n)})
		require.NoError(t, err)
		res.Appends++
	}
	out, err := json.Marshal(res)
	require.NoError(t, err)
	fmt.Printf("\n%s%s\n", mpResultPrefix, out)
}
