package main

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/store"
)

// The probes. GET /healthz answers 200 {"status":"ok"} while the process
// serves requests, and touches nothing else: a load balancer or a
// liveness probe restarts a process that stops answering it. GET /readyz
// answers 200 only when three things hold, and 503 with a problem
// (code NOT_READY) naming the first that does not otherwise:
//
//   - the store answers: a read of the audit log's head within
//     readyTimeout, on every probe;
//   - its schema is current: sqlite.Open and postgres.Open apply every
//     migration of this build before the store is used and fail
//     otherwise, and the SQL drivers offer no separate "are migrations
//     current" question, so the answer is what opening the store
//     checked (deps.Migrated, which main sets after opening it);
//   - the audit log was verified at start ([Server.verifyLog]): the
//     chain, every event's hash and the stored Merkle tree
//     (store.VerifyLog), against the latest saved checkpoint opened with
//     the log's key (deps.LogKey) under the checkpoint's origin. A log
//     with no saved checkpoint is verified as a chain alone, and readyz
//     says "checkpoint": "none".
//
// Neither probe needs a token; neither says more than what is ready.

// readyTimeout bounds the store read of each readiness probe.
const readyTimeout = 2 * time.Second

// codeServiceNotReady is the problem code of a 503 from /readyz.
const codeServiceNotReady = "NOT_READY"

// logCheck is the result of verifying the audit log at start.
type logCheck struct {
	mu         sync.Mutex
	done       bool
	err        error
	head       security.Head
	checkpoint int64 // the size of the checkpoint verified against; -1 for none
}

// readyDTO is the body of a 200 from /readyz.
type readyDTO struct {
	Status     string `json:"status"`
	LogSize    int64  `json:"log_size"`
	Checkpoint string `json:"checkpoint"` // "none", or the size of the checkpoint verified against
}

// verifyLog verifies the audit log against the latest saved checkpoint
// and keeps the result for /readyz. run calls it once, as serving starts.
func (s *Server) verifyLog(ctx context.Context) error {
	head, size, err := s.checkLog(ctx)
	s.logState.mu.Lock()
	defer s.logState.mu.Unlock()
	s.logState.done, s.logState.err, s.logState.head, s.logState.checkpoint = true, err, head, size
	return err
}

func (s *Server) checkLog(ctx context.Context) (security.Head, int64, error) {
	var opts security.VerifyOptions
	size := int64(-1)
	note, err := s.store.LatestCheckpoint(ctx)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return security.Head{}, size, fmt.Errorf("reading the latest checkpoint: %w", err)
	default:
		trust, err := logTrust(note, s.logKey)
		if err != nil {
			return security.Head{}, size, err
		}
		c, _, _ := auditlog.ParseNote(note) // logTrust parsed it
		opts, size = security.VerifyOptions{Checkpoints: [][]byte{note}, Trust: trust}, c.Size
	}
	head, _, err := s.store.VerifyLog(ctx, opts)
	if err != nil {
		return head, size, fmt.Errorf("verifying the audit log: %w", err)
	}
	return head, size, nil
}

// logTrust is the trust that opens the log's checkpoint note: the log's
// key under the note's origin.
func logTrust(note []byte, key crypto.PublicKey) (auditlog.Trust, error) {
	c, _, err := auditlog.ParseNote(note)
	if err != nil {
		return auditlog.Trust{}, fmt.Errorf("the latest saved checkpoint: %w", err)
	}
	if key == nil {
		return auditlog.Trust{}, errors.New("a checkpoint is saved but the server has no log key to open it")
	}
	vkey, err := auditlog.VerifierKey(c.Origin, key)
	if err != nil {
		return auditlog.Trust{}, err
	}
	v, err := auditlog.NewVerifier(vkey)
	if err != nil {
		return auditlog.Trust{}, err
	}
	return auditlog.Trust{Origin: c.Origin, Log: v}, nil
}

// healthz: GET /healthz.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz: GET /readyz.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	notReady := func(detail string) {
		s.writeProblem(w, r, newHTTPError(http.StatusServiceUnavailable, codeServiceNotReady, "", detail))
	}
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	head, err := s.store.AuditHead(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "readiness: the store does not answer", "error", err.Error())
		notReady("store: the store does not answer")
		return
	}
	if !s.migrated {
		notReady("migrations: the store's schema was not migrated when it was opened")
		return
	}
	s.logState.mu.Lock()
	done, lerr, size := s.logState.done, s.logState.err, s.logState.checkpoint
	s.logState.mu.Unlock()
	switch {
	case !done:
		notReady("audit log: not verified yet")
		return
	case lerr != nil:
		// What does not verify is named; any other failure (a database
		// error, whose text may name hosts) is in the server's log only.
		if e := trustgate.AsError(lerr); e != nil && e.Code == trustgate.Tampered {
			notReady("audit log: the check at start failed: " + lerr.Error())
		} else {
			notReady("audit log: the check at start could not run; see the server's log")
		}
		return
	}
	out := readyDTO{Status: "ready", LogSize: head.Size, Checkpoint: "none"}
	if size >= 0 {
		out.Checkpoint = fmt.Sprint(size)
	}
	writeJSON(w, http.StatusOK, out)
}
