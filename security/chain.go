package security

import (
	"cmp"
	"context"
	"crypto/sha256"
	"fmt"
	"slices"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security/auditlog"
	"golang.org/x/mod/sumdb/tlog"
)

// ErrChainBroken is wrapped by every [*ChainError]. It is a
// *trustgate.Error with code [trustgate.Tampered] and reason
// AUDIT_CHAIN_BROKEN, so trustgate.AsError finds them through the
// ChainError.
var ErrChainBroken = &trustgate.Error{Code: trustgate.Tampered, Reason: "AUDIT_CHAIN_BROKEN",
	Message: "security: audit chain broken"}

// ChainError reports the first place where a stored audit log stops being
// the log that was written. It wraps [ErrChainBroken].
type ChainError struct {
	Seq    int64  // the first sequence number that does not verify
	Reason string // what is wrong there
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("security: audit chain broken at event %d: %s", e.Seq, e.Reason)
}

// Unwrap returns [ErrChainBroken].
func (e *ChainError) Unwrap() error { return ErrChainBroken }

// EventReader reads the audit log in sequence order. Stores implement it.
type EventReader interface {
	// ListAuditEvents returns up to limit events with Seq > after, in
	// ascending Seq order. It returns fewer than limit only at the end of
	// the log.
	ListAuditEvents(ctx context.Context, after int64, limit int) ([]Event, error)
}

// VerifyOptions configures [VerifyChain] and [NewChainVerifier].
type VerifyOptions struct {
	// Checkpoints are signed checkpoint notes (c2sp.org/tlog-checkpoint)
	// published earlier, outside the database. Each must open under
	// Trust, and the log must still hold the tree each one signed: a log
	// truncated below one, or rewritten before it, fails.
	Checkpoints [][]byte
	// Trust verifies Checkpoints: the log's origin and verifier key, and
	// the witnesses whose cosignatures count. Required when Checkpoints is
	// set.
	Trust auditlog.Trust
	// PageSize is how many events are read at a time; 0 means 1000.
	PageSize int
}

// VerifyChain walks the whole log from the first event and returns its
// head. It checks that sequence numbers run 1, 2, 3, … without a gap,
// that each event's PrevHash is the hash of the event before, that each
// event's Hash is recomputed from its content, and that the tree at each
// checkpoint's size (each event's canonical form a leaf, RFC 6962) has the
// root the checkpoint signed; the first failure is a [*ChainError]. Use a
// [ChainVerifier] for the tree's root as well.
//
// A log alone cannot see its tail cut off; pass checkpoints published
// earlier to detect truncation too.
func VerifyChain(ctx context.Context, r EventReader, opts VerifyOptions) (Head, error) {
	v, err := NewChainVerifier(opts)
	if err != nil {
		return Head{}, err
	}
	page := opts.PageSize
	if page <= 0 {
		page = 1000
	}
	for {
		events, err := r.ListAuditEvents(ctx, v.head.Size, page)
		if err != nil {
			return v.head, fmt.Errorf("security: reading audit events after %d: %w", v.head.Size, err)
		}
		for i := range events {
			if _, err := v.Add(&events[i]); err != nil {
				return v.head, err
			}
		}
		if len(events) < page {
			break
		}
	}
	return v.head, v.Finish()
}

// ChainVerifier checks a log one event at a time, in order, as
// [VerifyChain] does, for callers that read the log themselves (a store
// that verifies its own tree in the same pass, say). It keeps O(log n)
// state whatever the log's length.
type ChainVerifier struct {
	head        Head
	tree        *auditlog.Tree
	checkpoints []auditlog.Verified // sorted by size, not yet reached
	check       EventChecker
}

// NewChainVerifier opens opts.Checkpoints under opts.Trust (an
// auditlog error if one does not) and returns a verifier of a log from
// its first event.
func NewChainVerifier(opts VerifyOptions) (*ChainVerifier, error) {
	v := &ChainVerifier{tree: &auditlog.Tree{}}
	for i, msg := range opts.Checkpoints {
		c, err := auditlog.Open(msg, opts.Trust)
		if err != nil {
			return nil, fmt.Errorf("security: checkpoint %d: %w", i, err)
		}
		v.checkpoints = append(v.checkpoints, c)
	}
	slices.SortStableFunc(v.checkpoints, func(a, b auditlog.Verified) int { return cmp.Compare(a.Size, b.Size) })
	return v, v.reached()
}

// ResumeChain returns a verifier that continues a log already checked up
// to head, whose tree is tree (tree.Size() must be head.Size).
func ResumeChain(head Head, tree *auditlog.Tree) (*ChainVerifier, error) {
	if tree == nil || tree.Size() != head.Size {
		return nil, fmt.Errorf("security: resuming a chain at %d events needs its tree of that size", head.Size)
	}
	return &ChainVerifier{head: head, tree: tree}, nil
}

// Add checks e, the next event, and appends it to the tree. It returns
// the hashes a store keeps for its leaf (auditlog.Tree.Append); they are
// valid until the next call. The first failure is a [*ChainError]; after
// one, the verifier must not be used.
func (v *ChainVerifier) Add(e *Event) ([]tlog.Hash, error) {
	return v.AddChecked(v.check.Check(e))
}

// CheckedEvent is an event whose own hash [CheckEvent] has checked, ready
// for [ChainVerifier.AddChecked]. The zero value is no event.
type CheckedEvent struct {
	event *Event
	leaf  tlog.Hash // the event's leaf hash in the log's tree
	err   error     // why its hash does not verify
}

// CheckEvent does the part of [ChainVerifier.Add] that needs no other
// event: it recomputes e's hash from its content and its PrevHash, and
// its leaf hash. It is the costly part (the canonical form, two SHA-256
// sums), so a verifier that reads many events at once can check them in
// parallel and then add them in order, which checks what links each to
// the one before. buf is scratch space, returned for reuse. e must not
// change before it is added. An [EventChecker] does the same with all its
// scratch space reused, which a loop over many events should use.
func CheckEvent(e *Event, buf []byte) (CheckedEvent, []byte) {
	c := EventChecker{buf: buf}
	checked := c.Check(e)
	return checked, c.buf
}

// An EventChecker is [CheckEvent] with scratch space of its own, kept
// from one event to the next: the buffer the canonical event is written
// to and the canonicaliser that checks its data, so that checking an
// event allocates nothing once the space has grown to the events' size.
// It checks exactly what CheckEvent checks. The zero value is ready to
// use. An EventChecker is not safe for concurrent use: a verifier that
// checks events on several goroutines gives each its own. Do not copy
// one that has been used.
type EventChecker struct {
	canon canonScratch
	buf   []byte // PrevHash ‖ the canonical event
}

// Check is [CheckEvent] on c's scratch space. e must not change before
// it is added.
func (c *EventChecker) Check(e *Event) CheckedEvent {
	buf := append(c.buf[:0], e.PrevHash[:]...)
	b, err := e.appendCanonical(buf, &c.canon)
	if err != nil {
		c.buf = buf
		return CheckedEvent{event: e, err: &ChainError{Seq: e.Seq, Reason: "content cannot be canonicalised: " + err.Error()}}
	}
	c.buf = b
	if !Digest(sha256.Sum256(b)).Equal(e.Hash) {
		return CheckedEvent{event: e, err: &ChainError{Seq: e.Seq, Reason: "content does not match its hash: the event was edited"}}
	}
	return CheckedEvent{event: e, leaf: tlog.RecordHash(b[len(e.PrevHash):])}
}

// AddChecked is [ChainVerifier.Add] for an event [CheckEvent] has
// checked: it checks that the event follows the head (its sequence
// number and PrevHash), then reports a hash CheckEvent found wrong, in
// the order Add reports them, and appends its leaf to the tree.
func (v *ChainVerifier) AddChecked(c CheckedEvent) ([]tlog.Hash, error) {
	e := c.event
	switch {
	case e == nil:
		return nil, fmt.Errorf("security: no checked event to add after event %d", v.head.Size)
	case e.Seq != v.head.Size+1:
		return nil, &ChainError{Seq: v.head.Size + 1, Reason: fmt.Sprintf("expected event %d, found %d: an event is missing or out of place", v.head.Size+1, e.Seq)}
	case !e.PrevHash.Equal(v.head.Hash):
		return nil, &ChainError{Seq: e.Seq, Reason: "previous-hash link does not match the event before: events were removed, inserted or reordered"}
	case c.err != nil:
		return nil, c.err
	}
	hashes, err := v.tree.AppendHash(c.leaf)
	if err != nil {
		return nil, fmt.Errorf("security: audit event %d: %w", e.Seq, err)
	}
	v.head = Head{Size: e.Seq, Hash: e.Hash}
	return hashes, v.reached()
}

// reached checks the checkpoints of the tree's current size.
func (v *ChainVerifier) reached() error {
	for len(v.checkpoints) > 0 && v.checkpoints[0].Size == v.head.Size {
		root, err := v.tree.Root()
		if err != nil {
			return err
		}
		if root != v.checkpoints[0].Hash {
			seq := max(v.head.Size, 1)
			return &ChainError{Seq: seq, Reason: fmt.Sprintf("the tree of the first %d events is not the one a checkpoint signed: the log was rewritten", v.head.Size)}
		}
		v.checkpoints = v.checkpoints[1:]
	}
	return nil
}

// Head returns the head of the log checked so far.
func (v *ChainVerifier) Head() Head { return v.head }

// Root returns the Merkle tree root of the log checked so far.
func (v *ChainVerifier) Root() (tlog.Hash, error) { return v.tree.Root() }

// Tree returns the tree of the log checked so far; appending to it
// outside the verifier breaks the verifier.
func (v *ChainVerifier) Tree() *auditlog.Tree { return v.tree }

// Finish reports a log that ended before a checkpoint's size: truncated.
func (v *ChainVerifier) Finish() error {
	if len(v.checkpoints) > 0 {
		cp := v.checkpoints[len(v.checkpoints)-1]
		return &ChainError{Seq: v.head.Size + 1,
			Reason: fmt.Sprintf("log ends at event %d but a checkpoint signed %d events: truncated", v.head.Size, cp.Size)}
	}
	return nil
}
