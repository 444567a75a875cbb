package store

import (
	"fmt"
	"sync"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/store/driver"
	"golang.org/x/mod/sumdb/tlog"
)

// The audit log's Merkle tree (RFC 6962, each event's canonical form a
// leaf). The store keeps tlog's stored hashes, as Go's checksum database
// does: for the event at seq, the hashes its append stored
// (tlog.StoredHashes: the leaf hash, then the root of each subtree it
// completes), concatenated in one row of audit_tree keyed by the same seq.
// That is about two hashes an event; an append writes one row and reads
// O(log n) hashes, and a proof reads O(log n) rows.
//
// The tree is derived data. Every append computes its rows from the
// verified head of the tree, never trusting the rows to stand for the
// events: Verify recomputes the tree from the events and compares every
// stored row, and a checkpoint signed over a tree that was edited does not
// verify against the events.

func treeTable() *driver.Table {
	return &driver.Table{
		Name:    "audit_tree",
		Columns: []driver.Column{col("seq", driver.Int), col("hashes", driver.Bytes)},
		Key:     []string{"seq"},
		Append:  true,
	}
}

func treeRow(seq int64, hashes []tlog.Hash) []any {
	b := make([]byte, 0, len(hashes)*tlog.HashSize)
	for _, h := range hashes {
		b = append(b, h[:]...)
	}
	return []any{seq, b}
}

// treeCache is the tree at the head the process last wrote or read, kept
// so that an append need not read its frontier back. It is keyed by the
// head (sequence number and chain hash), which fixes every event before
// it and so the whole tree: a transaction that rolled back leaves a head
// no later read finds, and another process's appends move the head on, so
// a stale entry is never used.
type treeCache struct {
	mu   sync.Mutex
	head security.Head
	tree auditlog.Tree
	ok   bool
}

func (c *treeCache) get(head security.Head) (*auditlog.Tree, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.ok || c.head != head {
		return nil, false
	}
	t := c.tree
	return &t, true
}

func (c *treeCache) put(head security.Head, t *auditlog.Tree) {
	c.mu.Lock()
	c.head, c.tree, c.ok = head, *t, true
	c.mu.Unlock()
}

// storedHashes reads the stored hashes of the tree from audit_tree: a
// tlog.HashReader over the operation's transaction.
type storedHashes struct{ o *op }

// ReadHashes implements tlog.HashReader. A hash whose row is missing or
// too short is an error: the tree is behind the log (see
// [Store.SyncTree]) or was edited.
func (r storedHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	seqs := make([]any, 0, len(indexes))
	seen := make(map[int64]bool, len(indexes))
	for _, idx := range indexes {
		leaf, _ := auditlog.StoredRecord(idx)
		if !seen[leaf+1] {
			seen[leaf+1] = true
			seqs = append(seqs, leaf+1)
		}
	}
	rows := make(map[int64][]byte, len(seqs))
	t := r.o.t.tree
	err := r.o.query(&driver.Query{Table: t, Where: []driver.Cond{driver.Where("seq", driver.In, seqs)}}, func(row []any) error {
		rr := newReader(t, row)
		seq, b := rr.int(), rr.bytes()
		rows[seq] = b
		return rr.done()
	})
	if err != nil {
		return nil, err
	}
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		leaf, pos := auditlog.StoredRecord(idx)
		b, ok := rows[leaf+1]
		if !ok {
			return nil, fmt.Errorf("store: audit_tree has no row for event %d: the tree is behind the log (Store.SyncTree builds it) or was edited", leaf+1)
		}
		if len(b) < (pos+1)*tlog.HashSize {
			return nil, attest.Tampered(fmt.Sprintf("audit_tree/%d", leaf+1), "hashes",
				fmt.Sprintf("%d bytes, too short for stored hash %d", len(b), pos))
		}
		copy(out[i][:], b[pos*tlog.HashSize:])
	}
	return out, nil
}

// treeSize returns how many events the stored tree covers: its last row.
func (o *op) treeSize() (int64, error) {
	cols := []string{"seq"}
	row, ok, err := o.first(&driver.Query{Table: o.t.tree, Columns: cols, Order: []driver.Order{{Column: "seq", Desc: true}}})
	if err != nil || !ok {
		return 0, err
	}
	r := newProjected(o.t.tree, cols, row)
	n := r.int()
	return n, r.done()
}

// treeAt returns the tree of the log whose head is head, ready to append
// to. When the stored tree is behind the log (a database migrated from
// before the tree, or written by an older trustgate), it first catches
// up, inside the operation's write transaction: it verifies the events the
// tree lacks against the chain, from the last one the tree covers, and
// writes their rows. A read operation cannot catch up; it gets an error
// saying so.
func (o *op) treeAt(head security.Head, write bool) (*auditlog.Tree, error) {
	if t, ok := o.tree.get(head); ok {
		return t, nil
	}
	size, err := o.treeSize()
	if err != nil {
		return nil, err
	}
	switch {
	case size > head.Size:
		return nil, attest.Tampered(fmt.Sprintf("audit_tree/%d", size), "seq",
			fmt.Sprintf("the tree covers %d events but the log holds %d", size, head.Size))
	case size < head.Size && !write:
		return nil, fmt.Errorf("store: the audit log's tree covers %d of %d events; Store.SyncTree (or any write) builds the rest", size, head.Size)
	}
	t, err := auditlog.ResumeTree(size, storedHashes{o})
	if err != nil {
		return nil, err
	}
	if size < head.Size {
		if t, err = o.catchUp(size, t, head); err != nil {
			return nil, err
		}
	}
	o.tree.put(head, t)
	return t, nil
}

// catchUp appends to t, of size events, the events after it up to head,
// verifying each against the chain, and writes their tree rows.
func (o *op) catchUp(size int64, t *auditlog.Tree, head security.Head) (*auditlog.Tree, error) {
	var prev security.Head
	if size > 0 {
		e, err := o.event(size)
		if err != nil {
			return nil, err
		}
		prev = security.Head{Size: e.Seq, Hash: e.Hash}
	}
	v, err := security.ResumeChain(prev, t)
	if err != nil {
		return nil, err
	}
	o.log.InfoContext(o.ctx, "store: building the audit log's Merkle tree", "from", size, "to", head.Size)
	for v.Head().Size < head.Size {
		var page []security.Event
		err := o.query(&driver.Query{Table: o.t.events, Where: []driver.Cond{driver.Where("seq", driver.Gt, v.Head().Size)},
			Order: []driver.Order{{Column: "seq"}}, Limit: 1000}, func(row []any) error {
			e, err := decodeEvent(o.t.events, row)
			page = append(page, e)
			return err
		})
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			break
		}
		for i := range page {
			hashes, err := v.Add(&page[i])
			if err != nil {
				return nil, err
			}
			if err := o.dtx.Insert(o.ctx, o.t.tree, treeRow(page[i].Seq, hashes)); err != nil {
				return nil, o.dbErr("append audit tree", err)
			}
		}
	}
	if v.Head() != head {
		return nil, fmt.Errorf("store: building the audit tree reached event %d, not the head %d", v.Head().Size, head.Size)
	}
	return v.Tree(), nil
}

// event reads the event at seq.
func (o *op) event(seq int64) (security.Event, error) {
	row, ok, err := o.byKey(o.t.events, "seq", seq)
	switch {
	case err != nil:
		return security.Event{}, err
	case !ok:
		return security.Event{}, notFound("audit event %d", seq)
	}
	return decodeEvent(o.t.events, row)
}
