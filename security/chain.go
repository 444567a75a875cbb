package security

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/buildworksai/trustgate"
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

// VerifyOptions configures [VerifyChain].
type VerifyOptions struct {
	// Checkpoint, when set, must verify under PublicKey, and the log must
	// still contain the event it signed with the hash it signed: a log
	// truncated below the checkpoint, or rewritten before it, fails.
	Checkpoint *Checkpoint
	// PublicKey verifies Checkpoint. Required when Checkpoint is set.
	PublicKey ed25519.PublicKey
	// PageSize is how many events are read at a time; 0 means 1000.
	PageSize int
}

// VerifyChain walks the whole log from the first event and returns its head.
// It checks that sequence numbers run 1, 2, 3, … without a gap, that each
// event's PrevHash is the hash of the event before, and that each event's
// Hash is recomputed from its content; the first failure is a [*ChainError].
//
// A hash chain alone cannot see its tail cut off; pass a [Checkpoint] signed
// earlier to detect truncation too.
func VerifyChain(ctx context.Context, r EventReader, opts VerifyOptions) (Head, error) {
	page := opts.PageSize
	if page <= 0 {
		page = 1000
	}
	if opts.Checkpoint != nil {
		if err := opts.Checkpoint.Verify(opts.PublicKey); err != nil {
			return Head{}, err
		}
	}
	var head Head
	for {
		events, err := r.ListAuditEvents(ctx, head.Size, page)
		if err != nil {
			return head, fmt.Errorf("security: reading audit events after %d: %w", head.Size, err)
		}
		for _, e := range events {
			if err := verifyLink(head, e); err != nil {
				return head, err
			}
			head = Head{Size: e.Seq, Hash: e.Hash}
			if cp := opts.Checkpoint; cp != nil && e.Seq == cp.Size && !e.Hash.Equal(cp.Head) {
				return head, &ChainError{Seq: e.Seq, Reason: "event differs from the one the checkpoint signed"}
			}
		}
		if len(events) < page {
			break
		}
	}
	if cp := opts.Checkpoint; cp != nil && head.Size < cp.Size {
		return head, &ChainError{Seq: head.Size + 1,
			Reason: fmt.Sprintf("log ends at event %d but a checkpoint signed %d events: truncated", head.Size, cp.Size)}
	}
	return head, nil
}

func verifyLink(prev Head, e Event) error {
	switch {
	case e.Seq != prev.Size+1:
		return &ChainError{Seq: prev.Size + 1, Reason: fmt.Sprintf("expected event %d, found %d: an event is missing or out of place", prev.Size+1, e.Seq)}
	case !e.PrevHash.Equal(prev.Hash):
		return &ChainError{Seq: e.Seq, Reason: "previous-hash link does not match the event before: events were removed, inserted or reordered"}
	}
	h, err := e.ComputeHash()
	if err != nil {
		return &ChainError{Seq: e.Seq, Reason: "content cannot be canonicalised: " + err.Error()}
	}
	if !h.Equal(e.Hash) {
		return &ChainError{Seq: e.Seq, Reason: "content does not match its hash: the event was edited"}
	}
	return nil
}

// Checkpoint is a signed statement of a log's head: "this log held Size
// events and the last one hashed to Head". Keep checkpoints somewhere the
// log's writers cannot rewrite; verifying against one detects truncation,
// which the chain alone cannot (the approach of transparency logs such as
// Sigstore's Rekor).
type Checkpoint struct {
	Size      int64
	Head      Digest
	KeyID     string    // identifies the signing key, for rotation
	SignedAt  time.Time // UTC
	Signature []byte    // Ed25519 over [Checkpoint.SignedMessage]
}

// ErrCheckpointInvalid is wrapped by errors from [Checkpoint.Verify]. It is
// a *trustgate.Error with code [trustgate.Tampered] and reason
// CHECKPOINT_INVALID: a signature that does not verify.
var ErrCheckpointInvalid = &trustgate.Error{Code: trustgate.Tampered, Reason: "CHECKPOINT_INVALID",
	Message: "security: checkpoint signature invalid"}

// SignedMessage is the exact byte string a checkpoint signs: a version line,
// then key id, size, hex head hash and signing time (RFC 3339, UTC), one per
// line.
func (c Checkpoint) SignedMessage() []byte {
	var b strings.Builder
	b.WriteString("trustgate audit checkpoint v1\n")
	b.WriteString(c.KeyID)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatInt(c.Size, 10))
	b.WriteByte('\n')
	b.WriteString(c.Head.String())
	b.WriteByte('\n')
	b.WriteString(c.SignedAt.UTC().Format(time.RFC3339Nano))
	b.WriteByte('\n')
	return []byte(b.String())
}

// SignCheckpoint signs head with key. keyID names the key so that a verifier
// can pick the right public key; it must be a single line.
func SignCheckpoint(key ed25519.PrivateKey, keyID string, head Head, at time.Time) (Checkpoint, error) {
	if len(key) != ed25519.PrivateKeySize {
		return Checkpoint{}, fieldErr("key", fmt.Sprintf("an Ed25519 private key is %d bytes, got %d", ed25519.PrivateKeySize, len(key)), nil)
	}
	if strings.ContainsAny(keyID, "\r\n") {
		return Checkpoint{}, fieldErr("key_id", "must be a single line", nil)
	}
	if head.Size < 0 {
		return Checkpoint{}, fieldErr("size", "negative", nil)
	}
	// Stores keep a checkpoint's signing time to the nanosecond, as signed.
	c := Checkpoint{Size: head.Size, Head: head.Hash, KeyID: keyID, SignedAt: at.UTC()}
	c.Signature = ed25519.Sign(key, c.SignedMessage())
	return c, nil
}

// Verify checks the checkpoint's signature under pub. A signature that does
// not verify wraps [ErrCheckpointInvalid] (code [trustgate.Tampered]). A
// pub that is not an Ed25519 public key (a missing one included) is the
// caller's mistake, not evidence of tampering: an invalid-input error for
// the field "public_key", which wraps ErrCheckpointInvalid too.
func (c Checkpoint) Verify(pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return fieldErr("public_key", fmt.Sprintf("an Ed25519 public key is %d bytes, got %d", ed25519.PublicKeySize, len(pub)), ErrCheckpointInvalid)
	}
	if !ed25519.Verify(pub, c.SignedMessage(), c.Signature) {
		return fmt.Errorf("%w: signature %s does not verify for key %q", ErrCheckpointInvalid,
			base64.StdEncoding.EncodeToString(c.Signature), c.KeyID)
	}
	return nil
}
