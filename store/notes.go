package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/store/driver"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoints and proofs. A checkpoint is a c2sp.org/tlog-checkpoint
// signed note (package auditlog); the store keeps every one it is given or
// signs, in audit_notes, keyed by the tree size and the SHA-256 of the
// note's bytes, so that the same checkpoint cosigned by more witnesses is
// kept beside the first. The store holds no verifier keys: it checks that
// a checkpoint is of its own tree, never who signed it; auditlog.Open and
// security.VerifyChain do that.

func noteTable() *driver.Table {
	return &driver.Table{
		Name: "audit_notes",
		Columns: []driver.Column{
			col("size", driver.Int), col("digest", driver.Text), col("signatures", driver.Int), col("note", driver.Text),
		},
		Key: []string{"size", "digest"},
	}
}

// LogOptions configures how a store signs and publishes its audit log's
// checkpoints.
type LogOptions struct {
	// Signer signs checkpoints ([Store.SignCheckpoint]): the service key,
	// through auditlog.NewSigner. Its name is the log's origin.
	Signer note.Signer
	// Publisher receives every checkpoint the store signs, once it is
	// committed: a file (auditlog.FilePublisher), a witness, a function.
	// A checkpoint kept only in the database it vouches for proves
	// nothing against whoever can rewrite that database.
	Publisher auditlog.Publisher
}

// SaveCheckpoint stores a signed checkpoint note: one of this log's
// signed elsewhere, or cosigned by witnesses. The note must parse
// (auditlog's [trustgate.Invalid] error otherwise) and be of this log's
// tree: a size beyond the log, or a root that is not the tree's at that
// size (a fork, or another log's checkpoint), is [ErrConflict]. Saving
// the same note again is a no-op. Signatures are not checked here: the
// store holds no keys.
func (h *ops) SaveCheckpoint(ctx context.Context, msg []byte) error {
	c, sigs, err := auditlog.ParseNote(msg)
	if err != nil {
		return err
	}
	return write0(ctx, h, func(o *op) error {
		if err := o.checkRoot(c, true); err != nil {
			return err
		}
		return o.saveNote(c, sigs, msg)
	})
}

func (o *op) saveNote(c auditlog.Checkpoint, sigs int, msg []byte) error {
	sum := sha256.Sum256(msg)
	digest := hex.EncodeToString(sum[:])
	_, ok, err := o.first(&driver.Query{Table: o.t.notes, Columns: []string{"size"}, Where: []driver.Cond{
		driver.Where("size", driver.Eq, c.Size), driver.Where("digest", driver.Eq, digest)}})
	if err != nil || ok {
		return err
	}
	_, err = o.apply([]change{insert(o.t.notes, []any{c.Size, digest, int64(sigs), string(msg)})})
	return err
}

// checkRoot checks that c is a checkpoint of this log's tree.
func (o *op) checkRoot(c auditlog.Checkpoint, write bool) error {
	head, err := o.head()
	if err != nil {
		return err
	}
	if c.Size > head.Size {
		return conflict("a checkpoint of %d events, but the log holds %d", c.Size, head.Size)
	}
	root, err := o.rootAt(head, c.Size, write)
	if err != nil {
		return err
	}
	if root != c.Hash {
		return conflict("the checkpoint of %d events signs root %s, but this log's tree of %d events has root %s: another log's, or a fork",
			c.Size, c.Hash, c.Size, root)
	}
	return nil
}

// rootAt returns the root of the tree of the first size events.
func (o *op) rootAt(head security.Head, size int64, write bool) (tlog.Hash, error) {
	t, err := o.treeAt(head, write)
	if err != nil {
		return tlog.Hash{}, err
	}
	if size == head.Size {
		return t.Root()
	}
	return tlog.TreeHash(size, storedHashes{o})
}

// LatestCheckpoint returns the stored checkpoint note of the largest
// tree; of several, the one with the most signatures (then the greatest
// digest). With none stored it is [ErrNotFound].
func (h *ops) LatestCheckpoint(ctx context.Context) ([]byte, error) {
	return read(ctx, h, func(o *op) ([]byte, error) {
		cols := []string{"note"}
		row, ok, err := o.first(&driver.Query{Table: o.t.notes, Columns: cols, Order: []driver.Order{
			{Column: "size", Desc: true}, {Column: "signatures", Desc: true}, {Column: "digest", Desc: true}}})
		switch {
		case err != nil:
			return nil, err
		case !ok:
			return nil, notFound("no checkpoint")
		}
		r := newProjected(o.t.notes, cols, row)
		msg := r.text()
		return []byte(msg), r.done()
	})
}

// SignCheckpoint signs a checkpoint of the log as it stands with
// [LogOptions].Signer, stores it, and, once that is committed, gives it to
// [LogOptions].Publisher. It returns the signed note. A store without a
// signer returns a [trustgate.Invalid] error for the field "log.signer".
// When publishing fails the checkpoint is stored all the same, and the
// error says so: publish it again from [Store.LatestCheckpoint].
func (s *Store) SignCheckpoint(ctx context.Context) ([]byte, error) {
	signer := s.c.logOpts.Signer
	if signer == nil {
		return nil, invalid("log.signer", "store: signing a checkpoint needs Options.Log.Signer")
	}
	msg, err := write(ctx, &s.ops, func(o *op) ([]byte, error) {
		head, err := o.head()
		if err != nil {
			return nil, err
		}
		t, err := o.treeAt(head, true)
		if err != nil {
			return nil, err
		}
		root, err := t.Root()
		if err != nil {
			return nil, err
		}
		c := auditlog.Checkpoint{Origin: signer.Name(), Size: head.Size, Hash: root}
		msg, err := auditlog.Sign(c, signer)
		if err != nil {
			return nil, err
		}
		return msg, o.saveNote(c, 1, msg)
	})
	if err != nil {
		return nil, err
	}
	if p := s.c.logOpts.Publisher; p != nil {
		if err := p.Publish(ctx, msg); err != nil {
			return msg, fmt.Errorf("store: the checkpoint is stored but publishing it failed: %w", err)
		}
	}
	return msg, nil
}

// SyncTree builds the Merkle tree of events the stored tree lacks (a
// database migrated from before the tree has none) and returns the log's
// head. Any write does the same; reads (proofs, checkpoints' roots) need
// the tree built and say so until it is. Events are verified against the
// chain as they are added: a broken chain is a *security.ChainError.
func (s *Store) SyncTree(ctx context.Context) (security.Head, error) {
	return write(ctx, &s.ops, func(o *op) (security.Head, error) {
		head, err := o.head()
		if err != nil {
			return head, err
		}
		_, err = o.treeAt(head, true)
		return head, err
	})
}

// ProveEvent returns the inclusion proof of the event at seq in the tree
// the checkpoint note signed, with the event's canonical bytes as the
// leaf data: what auditlog.VerifyInclusion checks with nothing but the
// proof and the log's verifier key. The checkpoint must be of this log's
// tree ([ErrConflict] otherwise) and hold seq ([trustgate.Invalid] for
// the field "seq" otherwise).
func (h *ops) ProveEvent(ctx context.Context, seq int64, checkpoint []byte) (auditlog.InclusionProof, error) {
	c, _, err := auditlog.ParseNote(checkpoint)
	if err != nil {
		return auditlog.InclusionProof{}, err
	}
	return read(ctx, h, func(o *op) (auditlog.InclusionProof, error) {
		if seq < 1 || seq > c.Size {
			return auditlog.InclusionProof{}, invalid("seq", "store: event %d is not in a checkpoint of %d events", seq, c.Size)
		}
		if err := o.checkRoot(c, false); err != nil {
			return auditlog.InclusionProof{}, err
		}
		hashes, err := auditlog.ProveInclusion(storedHashes{o}, c.Size, seq-1)
		if err != nil {
			return auditlog.InclusionProof{}, err
		}
		e, err := o.event(seq)
		if err != nil {
			return auditlog.InclusionProof{}, err
		}
		leaf, err := e.Canonical()
		if err != nil {
			return auditlog.InclusionProof{}, err
		}
		return auditlog.InclusionProof{Index: seq - 1, Hashes: hashes, Checkpoint: append([]byte(nil), checkpoint...), Extra: leaf}, nil
	})
}

// ProveConsistency returns the consistency proof from the tree the older
// checkpoint note signed to the tree the newer one did: what
// auditlog.VerifyConsistency checks with the two notes and the log's
// verifier key. Both must be of this log's tree ([ErrConflict]
// otherwise); the older may not be the larger ([trustgate.Invalid] for
// the field "old").
func (h *ops) ProveConsistency(ctx context.Context, old, new []byte) (auditlog.ConsistencyProof, error) {
	co, _, err := auditlog.ParseNote(old)
	if err != nil {
		return auditlog.ConsistencyProof{}, err
	}
	cn, _, err := auditlog.ParseNote(new)
	if err != nil {
		return auditlog.ConsistencyProof{}, err
	}
	if co.Size > cn.Size {
		return auditlog.ConsistencyProof{}, invalid("old", "store: the older checkpoint holds %d events, the newer %d", co.Size, cn.Size)
	}
	return read(ctx, h, func(o *op) (auditlog.ConsistencyProof, error) {
		for _, c := range []auditlog.Checkpoint{co, cn} {
			if err := o.checkRoot(c, false); err != nil {
				return auditlog.ConsistencyProof{}, err
			}
		}
		return auditlog.ProveConsistency(storedHashes{o}, co.Size, cn.Size)
	})
}
