package main

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/security/receipt"
	"github.com/buildworksai/trustgate/store"
	"golang.org/x/mod/sumdb/tlog"
)

// The audit routes let an auditor check the log from outside with
// standard tools. The server signs no checkpoints itself (go run
// ./examples/trustgate checkpoint does, with the service key, and saves
// them in the database); it serves what is saved:
//
//	GET  /api/v1/audit/checkpoint                  the latest saved checkpoint: the signed note (c2sp.org/tlog-checkpoint), text/plain
//	GET  /api/v1/audit/events/{seq}/proof          the event's inclusion proof against it (c2sp.org/tlog-proof@v1 text, the event's canonical bytes as its extra data)
//	POST /api/v1/audit/consistency                 {"old": "<note>", "new": "<note>"}: the consistency proof between two checkpoints of this log (new defaults to the latest saved), text/plain
//	GET  /api/v1/cab/requests/{id}/receipt         the request's authorisation receipt (security/receipt): the DSSE envelope and its event's inclusion proof, application/json
//	GET  /api/v1/audit/events/{seq}/receipt        the receipt of the validation event seq records, the same way
//
// Each needs role cab (or admin); a submitter may fetch receipts as well. No checkpoint saved is 404 NOT_FOUND; an event after the
// latest checkpoint, 409 NOT_IN_CHECKPOINT (sign a checkpoint and ask
// again); a checkpoint of another log or a fork, 409 CONFLICT; a note
// that does not parse, 422 naming old or new.

// auditStorage is what the audit routes, the readiness probe and the
// audit sink read of the store.
type auditStorage interface {
	AuditHead(ctx context.Context) (security.Head, error)
	ListAuditEvents(ctx context.Context, after int64, limit int) ([]security.Event, error)
	LatestEvent(ctx context.Context, subject string) (security.Event, error)
	LatestCheckpoint(ctx context.Context) ([]byte, error)
	ProveEvent(ctx context.Context, seq int64, checkpoint []byte) (auditlog.InclusionProof, error)
	ProveConsistency(ctx context.Context, old, new []byte) (auditlog.ConsistencyProof, error)
	VerifyLog(ctx context.Context, opts security.VerifyOptions) (security.Head, tlog.Hash, error)
}

// codeNotInCheckpoint: the event is after the latest saved checkpoint.
const codeNotInCheckpoint = "NOT_IN_CHECKPOINT"

// maxNoteSize bounds a checkpoint note in a consistency request.
const maxNoteSize = 16 << 10

// latestCheckpoint reads the latest saved checkpoint: 404 when none is.
func (s *Server) latestCheckpoint(ctx context.Context) ([]byte, error) {
	note, err := s.store.LatestCheckpoint(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil, newHTTPError(http.StatusNotFound, codeNotFound, "",
			"no checkpoint is saved: sign one with go run ./examples/trustgate checkpoint")
	}
	return note, err
}

func writeText(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// getCheckpoint: GET /api/v1/audit/checkpoint.
func (s *Server) getCheckpoint(w http.ResponseWriter, r *http.Request, _ *principal) error {
	note, err := s.latestCheckpoint(r.Context())
	if err != nil {
		return err
	}
	writeText(w, note)
	return nil
}

// proveEvent: GET /api/v1/audit/events/{seq}/proof.
func (s *Server) proveEvent(w http.ResponseWriter, r *http.Request, _ *principal) error {
	seq, err := pathSeq(r)
	if err != nil {
		return err
	}
	proof, err := s.proveAgainstLatest(r.Context(), seq)
	if err != nil {
		return err
	}
	writeText(w, proof.Marshal())
	return nil
}

// proveAgainstLatest proves event seq against the latest saved checkpoint.
func (s *Server) proveAgainstLatest(ctx context.Context, seq int64) (auditlog.InclusionProof, error) {
	note, err := s.latestCheckpoint(ctx)
	if err != nil {
		return auditlog.InclusionProof{}, err
	}
	c, _, err := auditlog.ParseNote(note)
	if err != nil {
		return auditlog.InclusionProof{}, err
	}
	if seq > c.Size {
		head, err := s.store.AuditHead(ctx)
		if err != nil {
			return auditlog.InclusionProof{}, err
		}
		if seq > head.Size {
			return auditlog.InclusionProof{}, newHTTPError(http.StatusNotFound, codeNotFound, "",
				"no event with sequence number "+strconv.FormatInt(seq, 10))
		}
		return auditlog.InclusionProof{}, newHTTPError(http.StatusConflict, codeNotInCheckpoint, "",
			"event "+strconv.FormatInt(seq, 10)+" is after the latest saved checkpoint, of "+strconv.FormatInt(c.Size, 10)+
				" events: sign a checkpoint and ask again")
	}
	return s.store.ProveEvent(ctx, seq, note)
}

// consistencyDTO is the body of POST /api/v1/audit/consistency.
type consistencyDTO struct {
	Old string `json:"old"`
	New string `json:"new,omitempty"`
}

// proveConsistency: POST /api/v1/audit/consistency.
func (s *Server) proveConsistency(w http.ResponseWriter, r *http.Request, _ *principal) error {
	var body consistencyDTO
	if err := decodeJSON(w, r, s.maxBody, &body); err != nil {
		return err
	}
	for _, f := range []struct{ name, note string }{{"old", body.Old}, {"new", body.New}} {
		if len(f.note) > maxNoteSize {
			return newHTTPError(http.StatusUnprocessableEntity, codeValidationFailed, f.name, f.name+": longer than a checkpoint note can be")
		}
		if f.note == "" && f.name == "new" {
			continue
		}
		if _, _, err := auditlog.ParseNote([]byte(f.note)); err != nil {
			return newHTTPError(http.StatusUnprocessableEntity, codeValidationFailed, f.name, f.name+": not a checkpoint note: "+err.Error())
		}
	}
	newNote := []byte(body.New)
	if body.New == "" {
		var err error
		if newNote, err = s.latestCheckpoint(r.Context()); err != nil {
			return err
		}
	}
	proof, err := s.store.ProveConsistency(r.Context(), []byte(body.Old), newNote)
	if err != nil {
		return err
	}
	writeText(w, proof.Marshal())
	return nil
}

// requestReceipt: GET /api/v1/cab/requests/{id}/receipt. The receipt of
// what the request authorises now: the request as its signed records give
// it, its latest audit event (which records its status), signed by the
// service key, with that event's inclusion proof against the latest saved
// checkpoint. receipt.Verify checks it with the keyring and the log's key.
func (s *Server) requestReceipt(w http.ResponseWriter, r *http.Request, _ *principal) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx := r.Context()
	req, err := s.store.Request(ctx, id)
	if err != nil {
		return err
	}
	ev, err := s.store.LatestEvent(ctx, "cab-request:"+id.String())
	if err != nil {
		return err
	}
	env, err := receipt.Authorization(s.service, &req, ev, receipt.Options{})
	if err != nil {
		return err
	}
	proof, err := s.proveAgainstLatest(ctx, ev.Seq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, receipt.Receipt{Envelope: env, Proof: proof})
	return nil
}
