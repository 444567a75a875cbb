package store

import (
	"bytes"
	"context"
	"fmt"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/store/driver"
	"golang.org/x/mod/sumdb/tlog"
)

// logPage is how many events VerifyLog reads at a time when the options
// do not say.
const logPage = 1000

// VerifyLog checks the audit log as security.VerifyChain does (the chain,
// every event's hash, the tree's root at each checkpoint of opts, and a
// log shorter than one), and in the same pass that the stored Merkle tree
// is the one its events make: each event's row of audit_tree must hold
// exactly the hashes recomputed from the events. It returns the head and
// the tree's root. A broken chain is a *security.ChainError; a stored
// tree that differs, an *attest.RecordError naming "audit_tree/<seq>". A
// tree behind the log (see [Store.SyncTree]) is not an error: the events
// it lacks are verified all the same.
func (s *Store) VerifyLog(ctx context.Context, opts security.VerifyOptions) (security.Head, tlog.Hash, error) {
	v, err := security.NewChainVerifier(opts)
	if err != nil {
		return security.Head{}, tlog.Hash{}, err
	}
	page := opts.PageSize
	if page <= 0 || page > MaxAuditPage {
		page = logPage
	}
	treeEnded := int64(-1) // the first event without a tree row, once found
	for {
		after := v.Head().Size
		var events []security.Event
		var rows [][]byte
		_, err := read(ctx, &s.ops, func(o *op) (struct{}, error) {
			events = make([]security.Event, 0, page)
			err := o.query(&driver.Query{Table: o.t.events, Where: []driver.Cond{driver.Where("seq", driver.Gt, after)},
				Order: []driver.Order{{Column: "seq"}}, Limit: page}, func(row []any) error {
				e, err := decodeEvent(o.t.events, row)
				events = append(events, e)
				return err
			})
			if err != nil {
				return struct{}{}, err
			}
			return struct{}{}, o.query(&driver.Query{Table: o.t.tree, Where: []driver.Cond{driver.Where("seq", driver.Gt, after)},
				Order: []driver.Order{{Column: "seq"}}, Limit: len(events) + 1}, func(row []any) error {
				r := newReader(o.t.tree, row)
				seq, b := r.int(), r.bytes()
				if err := r.done(); err != nil {
					return err
				}
				if want := after + int64(len(rows)) + 1; seq != want {
					return attest.Tampered(fmt.Sprintf("audit_tree/%d", want), "seq", fmt.Sprintf("missing: the next row is %d", seq))
				}
				rows = append(rows, b)
				return nil
			})
		})
		if err != nil {
			return v.Head(), tlog.Hash{}, err
		}
		if len(rows) > len(events) {
			if len(events) < page {
				seq := after + int64(len(events)) + 1
				return v.Head(), tlog.Hash{}, attest.Tampered(fmt.Sprintf("audit_tree/%d", seq), "seq",
					"a tree row for an event the log does not hold")
			}
			rows = rows[:len(events)] // the next page's first row
		}
		if len(rows) > 0 && treeEnded >= 0 {
			return v.Head(), tlog.Hash{}, attest.Tampered(fmt.Sprintf("audit_tree/%d", after+1), "seq",
				fmt.Sprintf("a tree row after event %d, which has none", treeEnded))
		}
		for i := range events {
			hashes, err := v.Add(&events[i])
			if err != nil {
				return v.Head(), tlog.Hash{}, err
			}
			if i >= len(rows) {
				if treeEnded < 0 {
					treeEnded = events[i].Seq
				}
				continue
			}
			if !sameHashes(rows[i], hashes) {
				return v.Head(), tlog.Hash{}, attest.Tampered(fmt.Sprintf("audit_tree/%d", events[i].Seq), "hashes",
					"not the stored hashes the log's events make: the tree was edited")
			}
		}
		if len(events) < page {
			break
		}
	}
	if err := v.Finish(); err != nil {
		return v.Head(), tlog.Hash{}, err
	}
	root, err := v.Root()
	return v.Head(), root, err
}

func sameHashes(row []byte, hashes []tlog.Hash) bool {
	if len(row) != len(hashes)*tlog.HashSize {
		return false
	}
	for i, h := range hashes {
		if !bytes.Equal(row[i*tlog.HashSize:(i+1)*tlog.HashSize], h[:]) {
			return false
		}
	}
	return true
}
