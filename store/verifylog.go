package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"

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
//
// It reads several pages at once, one a CPU, while it checks the pages
// before, and checks each page's event hashes on every CPU
// (a security.EventChecker a CPU) before it adds them in order
// (security.ChainVerifier.AddChecked): the first failure it reports is the
// first in the log, as a reading in order would find it.
func (s *Store) VerifyLog(ctx context.Context, opts security.VerifyOptions) (security.Head, tlog.Hash, error) {
	v, err := security.NewChainVerifier(opts)
	if err != nil {
		return security.Head{}, tlog.Hash{}, err
	}
	size := opts.PageSize
	if size <= 0 || size > MaxAuditPage {
		size = logPage
	}
	ctx, cancel := context.WithCancel(ctx)
	readers := make([]chan logChunk, logReaders())
	var wg sync.WaitGroup
	for r := range readers {
		readers[r] = make(chan logChunk, 1)
		wg.Go(func() { s.readLog(ctx, size, r, len(readers), readers[r]) })
	}
	defer func() {
		cancel()
		for _, c := range readers { // let each reader see the cancellation and end
			for range c {
			}
		}
		wg.Wait()
	}()
	check := newPageChecker()
	treeEnded := int64(-1) // the first event without a tree row, once found
	last := false          // the log's last page was checked
	for n := 0; !last; n++ {
		p, ok := <-readers[n%len(readers)]
		if !ok { // never so: a reader ends with the last page or an error
			return v.Head(), tlog.Hash{}, fmt.Errorf("store: verifying the audit log: reading stopped after event %d", v.Head().Size)
		}
		if p.err != nil {
			return v.Head(), tlog.Hash{}, p.err
		}
		last = len(p.events) < size
		after := v.Head().Size
		if p.after != after {
			return v.Head(), tlog.Hash{}, fmt.Errorf("store: verifying the audit log: a page after %d read while at %d", p.after, after)
		}
		if len(p.rows) > 0 && treeEnded >= 0 {
			return v.Head(), tlog.Hash{}, attest.Tampered(fmt.Sprintf("audit_tree/%d", after+1), "seq",
				fmt.Sprintf("a tree row after event %d, which has none", treeEnded))
		}
		checked := check.page(p.events)
		for i := range checked {
			hashes, err := v.AddChecked(checked[i])
			if err != nil {
				return v.Head(), tlog.Hash{}, err
			}
			if i >= len(p.rows) {
				if treeEnded < 0 {
					treeEnded = p.events[i].Seq
				}
				continue
			}
			if !sameHashes(p.rows[i], hashes) {
				return v.Head(), tlog.Hash{}, attest.Tampered(fmt.Sprintf("audit_tree/%d", p.events[i].Seq), "hashes",
					"not the stored hashes the log's events make: the tree was edited")
			}
		}
		if p.extraRow {
			return v.Head(), tlog.Hash{}, attest.Tampered(fmt.Sprintf("audit_tree/%d", v.Head().Size+1), "seq",
				"a tree row for an event the log does not hold")
		}
	}
	if err := v.Finish(); err != nil {
		return v.Head(), tlog.Hash{}, err
	}
	root, err := v.Root()
	return v.Head(), root, err
}

// logChunk is one page of the log as read: its events after seq after,
// and the tree rows stored for them, in order from after+1. extraRow
// reports a tree row after the page's last event on the log's last page:
// a row for an event the log does not hold.
type logChunk struct {
	after    int64
	events   []security.Event
	rows     [][]byte
	extraRow bool
	err      error
}

// logReaders is how many pages VerifyLog reads at once: one a CPU, up to
// four.
func logReaders() int { return max(1, min(runtime.GOMAXPROCS(0), 4)) }

// readLog reads every stride-th page of the log from page first (page k
// holds the events after seq k·size: sequence numbers run 1, 2, 3, …, and
// a log where they do not fails its check at the first that does not),
// each page in a read transaction of its own, and sends them to out in
// order until the log's last page (one shorter than size) or an error,
// sent as a page with err (ctx's end among them). It closes out when it
// returns.
func (s *Store) readLog(ctx context.Context, size, first, stride int, out chan<- logChunk) {
	defer close(out)
	for k := first; ; k += stride {
		p := s.readChunk(ctx, int64(k)*int64(size), size)
		out <- p // VerifyLog receives every page, to the end or after it stops
		if p.err != nil || len(p.events) < size {
			return
		}
	}
}

// readChunk reads the page of events after seq after and their tree
// rows, one row beyond them to find a row without an event.
func (s *Store) readChunk(ctx context.Context, after int64, size int) logChunk {
	p := logChunk{after: after}
	_, p.err = read(ctx, &s.ops, func(o *op) (struct{}, error) {
		p.events = make([]security.Event, 0, size)
		p.rows = p.rows[:0]
		var data []byte // the chunk the page's events' data are appended to
		err := o.query(&driver.Query{Table: o.t.events, Where: []driver.Cond{driver.Where("seq", driver.Gt, after)},
			Order: []driver.Order{{Column: "seq"}}, Limit: size}, func(row []any) error {
			var e security.Event
			var err error
			e, data, err = decodeLogEvent(o.t.events, row, data)
			p.events = append(p.events, e)
			return err
		})
		if err != nil {
			return struct{}{}, err
		}
		return struct{}{}, o.query(&driver.Query{Table: o.t.tree, Where: []driver.Cond{driver.Where("seq", driver.Gt, after)},
			Order: []driver.Order{{Column: "seq"}}, Limit: len(p.events) + 1}, func(row []any) error {
			r := rowReader{t: o.t.tree, row: row}
			if len(row) != len(o.t.tree.Columns) {
				r.err = fmt.Errorf("%d values for %d columns", len(row), len(o.t.tree.Columns))
			}
			seq, b := r.int(), r.bytes()
			if err := r.done(); err != nil {
				return err
			}
			if want := after + int64(len(p.rows)) + 1; seq != want {
				return attest.Tampered(fmt.Sprintf("audit_tree/%d", want), "seq", fmt.Sprintf("missing: the next row is %d", seq))
			}
			p.rows = append(p.rows, b)
			return nil
		})
	})
	if p.err == nil && len(p.rows) > len(p.events) {
		// The look-ahead row: the next page's first, unless this page is
		// the log's last.
		p.extraRow = len(p.events) < size
		p.rows = p.rows[:len(p.events)]
	}
	return p
}

// decodeLogEvent is decodeEvent for a page of the log read at once: the
// same columns read the same way, with the reader on the stack and the
// event's data appended to data, the page's chunk (see appendData),
// rather than copied to a slice of its own: two allocations an event
// fewer.
func decodeLogEvent(t *driver.Table, row []any, data []byte) (security.Event, []byte, error) {
	r := rowReader{t: t, row: row}
	if len(row) != len(t.Columns) {
		r.err = fmt.Errorf("%d values for %d columns", len(row), len(t.Columns))
	}
	e := security.Event{Seq: r.int(), ID: r.uuid(), Type: security.EventType(r.text()), Actor: r.text(),
		Subject: r.text(), CorrelationID: r.text(), OccurredAt: r.time()}
	e.Data, data = appendData(data, r.text())
	e.PrevHash, e.Hash = r.digest(), r.digest()
	return e, data, r.done()
}

// dataChunk is the least room appendData allocates at once.
const dataChunk = 32 << 10

// appendData appends text to chunk and returns its copy there, capped at
// its own bytes, and the chunk. A chunk without room for text is left to
// the events that hold its bytes and a new one started: nothing is copied
// twice, and an event's data is never moved.
func appendData(chunk []byte, text string) (json.RawMessage, []byte) {
	if cap(chunk)-len(chunk) < len(text) {
		chunk = make([]byte, 0, max(dataChunk, len(text)))
	}
	start := len(chunk)
	chunk = append(chunk, text...)
	return chunk[start:len(chunk):len(chunk)], chunk
}

// pageChecker checks the hashes of a page's events on every CPU, each
// worker with a security.EventChecker of its own, kept from page to page,
// so that checking an event allocates nothing.
type pageChecker struct {
	checkers []security.EventChecker // one a worker
	checked  []security.CheckedEvent
}

func newPageChecker() *pageChecker {
	return &pageChecker{checkers: make([]security.EventChecker, runtime.GOMAXPROCS(0))}
}

// page returns the checked events of events, in order.
func (c *pageChecker) page(events []security.Event) []security.CheckedEvent {
	if cap(c.checked) < len(events) {
		c.checked = make([]security.CheckedEvent, len(events))
	}
	c.checked = c.checked[:len(events)]                  // every entry is written below
	workers := min(len(c.checkers), (len(events)+63)/64) // not worth a goroutine for fewer
	if workers <= 1 {
		for i := range events {
			c.checked[i] = c.checkers[0].Check(&events[i])
		}
		return c.checked
	}
	var wg sync.WaitGroup
	per := (len(events) + workers - 1) / workers
	for w := range workers {
		lo, hi := w*per, min((w+1)*per, len(events))
		wg.Go(func() {
			check := &c.checkers[w]
			for i := lo; i < hi; i++ {
				c.checked[i] = check.Check(&events[i])
			}
		})
	}
	wg.Wait()
	return c.checked
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
