package sqltest

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/auditlog"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/driver"
	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/tlog"
)

// The audit log at a million events. BenchVerifyLog, BenchProveEvent and
// BenchProveConsistency run on a log of logEvents validation events, each
// with the few hundred bytes of data a validation records, and two
// checkpoints signed by the log's key: one at logOldSize events and one at
// the head, a million events apart.
//
// The fixture's rows are computed in Go exactly as the store's append
// computes them (security.NewEvent chained from the head, the canonical
// form a leaf of an auditlog.Tree, its stored hashes one audit_tree row)
// and written through the driver in transactions of logBatch events, far
// faster than a million appends. Nothing trusts that the copy is faithful:
// BenchVerifyLog recomputes every hash and tree row from the events and
// fails on the first that differs, and the checkpoints are saved with
// Store.SaveCheckpoint, which checks their roots against the stored tree.
// The fixture is built once per run and dialect, in a lasting database.
const (
	logEvents  = 1_001_000
	logOldSize = 1_000
	logBatch   = 10_000
	logOrigin  = "bench.trustgate.example/audit"
)

// logFixture is the million-event log and what a verifier holds.
type logFixture struct {
	db       *Database
	old, new []byte // the checkpoint notes at logOldSize and logEvents
	trust    auditlog.Trust
}

// BenchVerifyLog measures Store.VerifyLog over the whole log, against both
// checkpoints: every event read, its hash and chain link recomputed, its
// leaf appended to the tree, its stored tree row compared, and each
// checkpoint's root checked. The bar is 100,000 events a second on SQLite.
func BenchVerifyLog(b *testing.B, be Backend) {
	f, s := be.logStore(b)
	ctx := context.Background()
	opts := security.VerifyOptions{Checkpoints: [][]byte{f.old, f.new}, Trust: f.trust}
	var head security.Head
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if head, _, err = s.VerifyLog(ctx, opts); err != nil {
			b.Fatal(err)
		}
	}
	if head.Size < logEvents {
		b.Fatalf("verified %d events, want at least %d", head.Size, logEvents)
	}
	perOp := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(head.Size)/perOp, "events/s")
	b.ReportMetric(perOp*1e9/float64(head.Size), "ns/event")
}

// BenchReadLog is BenchVerifyLog's floor: it reads every event of the
// log and its tree row as Store.VerifyLog reads them, and checks nothing.
// The same queries (a page of events after a seq, then the tree rows from
// there, one beyond), one read transaction a page, a reader a CPU (up to
// four) each reading every stride-th page, the pages taken in order; each
// row decoded into a security.Event with the conversions the store makes
// (the typed values, the two hex digests parsed, the time in UTC). What
// it measures against BenchVerifyLog is the part of a verification that
// is the read.
func BenchReadLog(b *testing.B, be Backend) {
	f, _ := be.logStore(b)
	ctx := context.Background()
	d, closeDriver, err := f.db.Open(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = closeDriver() })
	tables := store.Tables()
	events := tables[slices.IndexFunc(tables, func(t *driver.Table) bool { return t.Name == "audit_events" })]
	tree := tables[slices.IndexFunc(tables, func(t *driver.Table) bool { return t.Name == "audit_tree" })]
	var n int64
	b.ReportAllocs()
	for b.Loop() {
		if n, err = readLog(ctx, d, events, tree, verifyPage); err != nil {
			b.Fatal(err)
		}
	}
	if n < logEvents {
		b.Fatalf("read %d events, want at least %d", n, logEvents)
	}
	perOp := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(n)/perOp, "events/s")
	b.ReportMetric(perOp*1e9/float64(n), "ns/event")
}

// verifyPage is the page Store.VerifyLog reads when the options do not
// say.
const verifyPage = 1000

// logPage is one page as BenchReadLog reads it.
type logPage struct {
	events []security.Event
	rows   [][]byte
	err    error
}

// readLog reads the whole log of d as Store.VerifyLog does and returns
// how many events it read.
func readLog(ctx context.Context, d driver.Driver, events, tree *driver.Table, size int) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	readers := make([]chan logPage, max(1, min(runtime.GOMAXPROCS(0), 4)))
	for r := range readers {
		readers[r] = make(chan logPage, 1)
		go func() {
			defer close(readers[r])
			for k := r; ; k += len(readers) {
				p := readLogPage(ctx, d, events, tree, int64(k)*int64(size), size)
				select {
				case readers[r] <- p:
				case <-ctx.Done():
					return
				}
				if p.err != nil || len(p.events) < size {
					return
				}
			}
		}()
	}
	var n int64
	for k := 0; ; k++ {
		p, ok := <-readers[k%len(readers)]
		if !ok {
			return n, fmt.Errorf("reading stopped after event %d", n)
		}
		if p.err != nil {
			return n, p.err
		}
		if len(p.events) > 0 && p.events[0].Seq != n+1 || len(p.rows) < len(p.events) {
			return n, fmt.Errorf("page after %d out of place", n)
		}
		n += int64(len(p.events))
		if len(p.events) < size {
			return n, nil
		}
	}
}

// readLogPage reads the events after seq after and their tree rows.
func readLogPage(ctx context.Context, d driver.Driver, events, tree *driver.Table, after int64, size int) (p logPage) {
	tx, err := d.Begin(ctx, driver.TxOptions{})
	if err != nil {
		return logPage{err: err}
	}
	defer func() { p.err = errors.Join(p.err, tx.Rollback()) }()
	p.events = make([]security.Event, 0, size)
	var data []byte // the chunk of the page's events' data, as VerifyLog keeps them
	p.err = tx.Query(ctx, &driver.Query{Table: events, Where: []driver.Cond{driver.Where("seq", driver.Gt, after)},
		Order: []driver.Order{{Column: "seq"}}, Limit: size}, func(row []any) error {
		var (
			e   security.Event
			err error
		)
		e, data, err = decodeLogEvent(row, data)
		p.events = append(p.events, e)
		return err
	})
	if p.err != nil {
		return p
	}
	p.err = tx.Query(ctx, &driver.Query{Table: tree, Where: []driver.Cond{driver.Where("seq", driver.Gt, after)},
		Order: []driver.Order{{Column: "seq"}}, Limit: len(p.events) + 1}, func(row []any) error {
		seq, ok1 := row[0].(int64)
		b, ok2 := row[1].([]byte)
		if !ok1 || !ok2 || seq != after+int64(len(p.rows))+1 {
			return fmt.Errorf("tree row after %d: %T %T", after, row[0], row[1])
		}
		p.rows = append(p.rows, b)
		return nil
	})
	return p
}

// decodeLogEvent converts a row of audit_events as VerifyLog's decoder
// does, the event's data appended to the page's chunk data.
func decodeLogEvent(row []any, data []byte) (security.Event, []byte, error) {
	if len(row) != 10 {
		return security.Event{}, data, fmt.Errorf("%d values for 10 columns", len(row))
	}
	var (
		e  security.Event
		ok [8]bool
	)
	e.Seq, ok[0] = row[0].(int64)
	e.ID, ok[1] = row[1].(uuid.UUID)
	var typ, text, prev, hash string
	typ, ok[2] = row[2].(string)
	e.Actor, ok[3] = row[3].(string)
	e.Subject, ok[4] = row[4].(string)
	e.CorrelationID, ok[5] = row[5].(string)
	e.OccurredAt, ok[6] = row[6].(time.Time)
	text, ok[7] = row[7].(string)
	prev, _ = row[8].(string)
	hash, _ = row[9].(string)
	for i, good := range ok {
		if !good && row[i] != nil {
			return e, data, fmt.Errorf("column %d holds %T", i, row[i])
		}
	}
	if cap(data)-len(data) < len(text) { // a new chunk, as VerifyLog starts one
		data = make([]byte, 0, max(32<<10, len(text)))
	}
	start := len(data)
	data = append(data, text...)
	e.Type, e.Data, e.OccurredAt = security.EventType(typ), data[start:len(data):len(data)], e.OccurredAt.UTC()
	var err error
	if e.PrevHash, err = security.ParseDigest("prev_hash", prev); err != nil {
		return e, data, err
	}
	e.Hash, err = security.ParseDigest("hash", hash)
	return e, data, err
}

// BenchProveEvent measures what proving one event takes, end to end: the
// store's inclusion proof against the head checkpoint (Store.ProveEvent:
// the checkpoint's root checked against the stored tree, the proof's
// hashes read, the event read and put in canonical form), its text, and
// the offline check with nothing but that text and the verifier key
// (auditlog.ParseInclusionProof, auditlog.VerifyInclusion). The events
// proved are spread over the whole log. The bar is under 1 ms on SQLite.
func BenchProveEvent(b *testing.B, be Backend) {
	f, s := be.logStore(b)
	ctx := context.Background()
	var i int64
	b.ReportAllocs()
	for b.Loop() {
		seq := 1 + (i*7919)%logEvents
		i++
		p, err := s.ProveEvent(ctx, seq, f.new)
		if err != nil {
			b.Fatal(err)
		}
		parsed, err := auditlog.ParseInclusionProof(p.Marshal())
		if err != nil {
			b.Fatal(err)
		}
		v, leaf, err := auditlog.VerifyInclusion(parsed, f.trust)
		if err != nil {
			b.Fatal(err)
		}
		if v.Size != logEvents || parsed.Index != seq-1 || len(leaf) == 0 {
			b.Fatalf("proved leaf %d of %d, want %d of %d", parsed.Index, v.Size, seq-1, logEvents)
		}
	}
}

// BenchProveConsistency measures the consistency proof between the
// checkpoints a million events apart, end to end: Store.ProveConsistency
// (both roots checked against the stored tree, the proof's hashes read),
// its text, and the offline check with the two notes and the verifier key
// (auditlog.ParseConsistencyProof, auditlog.VerifyConsistency). The bar
// is under 1 ms on SQLite.
func BenchProveConsistency(b *testing.B, be Backend) {
	f, s := be.logStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p, err := s.ProveConsistency(ctx, f.old, f.new)
		if err != nil {
			b.Fatal(err)
		}
		parsed, err := auditlog.ParseConsistencyProof(p.Marshal())
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := auditlog.VerifyConsistency(parsed, f.old, f.new, f.trust); err != nil {
			b.Fatal(err)
		}
	}
}

func (f *logFixture) database() *Database { return f.db }

// logStore returns the log fixture and a store over a driver on it,
// building the fixture on the first call of the run.
func (be Backend) logStore(b *testing.B) (*logFixture, *store.Store) {
	b.Helper()
	f, err := cached(be.Dialect, "log", be.buildLogFixture)
	if err != nil {
		b.Fatal(err)
	}
	d, closeDriver, err := f.db.Open(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = closeDriver() })
	s, err := store.New(d, store.Options{Now: func() time.Time { return benchNow }})
	if err != nil {
		b.Fatal(err)
	}
	return f, s
}

// buildLogFixture writes the log and saves its two checkpoints.
func (be Backend) buildLogFixture() (f *logFixture, err error) {
	if be.Lasting == nil {
		return nil, fmt.Errorf("sqltest: the %s backend makes no lasting database", be.Name)
	}
	db, err := be.Lasting()
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			db.Remove()
		}
	}()
	ctx := context.Background()
	d, closeDriver, err := db.Open(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, closeDriver()) }()
	s, err := store.New(d, store.Options{Now: func() time.Time { return benchNow }})
	if err != nil {
		return nil, err
	}
	signer, err := auditlog.NewSigner(logOrigin, testkeys.Key("audit-log"))
	if err != nil {
		return nil, err
	}
	f = &logFixture{db: db, trust: auditlog.Trust{Origin: logOrigin, Log: signer.Verifier()}}
	var roots []tlog.Hash
	if roots, err = writeLog(ctx, d, logOldSize, logEvents); err != nil {
		return nil, err
	}
	if f.old, err = auditlog.Sign(auditlog.Checkpoint{Origin: logOrigin, Size: logOldSize, Hash: roots[0]}, signer); err != nil {
		return nil, err
	}
	if f.new, err = auditlog.Sign(auditlog.Checkpoint{Origin: logOrigin, Size: logEvents, Hash: roots[1]}, signer); err != nil {
		return nil, err
	}
	for _, note := range [][]byte{f.old, f.new} {
		if err := s.SaveCheckpoint(ctx, note); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// writeLog appends n validation events to the empty log of d, as the
// store's append would, and returns the tree's roots at the sizes asked
// for (in increasing order).
func writeLog(ctx context.Context, d driver.Driver, sizes ...int64) ([]tlog.Hash, error) {
	tables := store.Tables()
	events := tables[slices.IndexFunc(tables, func(t *driver.Table) bool { return t.Name == "audit_events" })]
	treeRows := tables[slices.IndexFunc(tables, func(t *driver.Table) bool { return t.Name == "audit_tree" })]
	n := sizes[len(sizes)-1]
	var (
		head  security.Head
		tree  auditlog.Tree
		roots []tlog.Hash
		buf   []byte
	)
	start := benchNow.Add(-time.Duration(n) * 250 * time.Millisecond)
	for head.Size < n {
		tx, err := d.Begin(ctx, driver.TxOptions{Write: true})
		if err != nil {
			return nil, err
		}
		for end := min(head.Size+logBatch, n); head.Size < end; {
			seq := head.Size + 1
			e, err := security.NewEvent(head, logEventInput(seq), logEventID(seq), start.Add(time.Duration(seq)*250*time.Millisecond))
			if err != nil {
				return nil, errors.Join(err, tx.Rollback())
			}
			if buf, err = e.AppendCanonical(buf[:0]); err != nil {
				return nil, errors.Join(err, tx.Rollback())
			}
			hashes, err := tree.Append(buf)
			if err != nil {
				return nil, errors.Join(err, tx.Rollback())
			}
			row := make([]byte, 0, len(hashes)*tlog.HashSize)
			for _, h := range hashes {
				row = append(row, h[:]...)
			}
			if err := tx.Insert(ctx, treeRows, []any{seq, row}); err != nil {
				return nil, errors.Join(err, tx.Rollback())
			}
			if err := tx.Insert(ctx, events, []any{e.Seq, e.ID, string(e.Type), e.Actor, e.Subject, e.CorrelationID,
				e.OccurredAt, string(e.Data), e.PrevHash.String(), e.Hash.String()}); err != nil {
				return nil, errors.Join(err, tx.Rollback())
			}
			head = security.Head{Size: e.Seq, Hash: e.Hash}
			if len(roots) < len(sizes) && head.Size == sizes[len(roots)] {
				root, err := tree.Root()
				if err != nil {
					return nil, errors.Join(err, tx.Rollback())
				}
				roots = append(roots, root)
			}
		}
		if err := tx.Commit(); err != nil {
			return nil, err
		}
	}
	return roots, nil
}

// logEventInput is the validation recorded as event seq: one of 500
// evidence packages, its artifact and digest, and the outcome of each
// gate.
func logEventInput(seq int64) security.EventInput {
	evidence := fmt.Sprintf("00000000-0000-4000-8000-%012x", seq%500)
	type check struct {
		Gate   string `json:"gate"`
		Passed bool   `json:"passed"`
	}
	data, _ := json.Marshal(struct {
		EvidenceID     string  `json:"evidence_id"`
		Artifact       string  `json:"artifact"`
		ArtifactSHA256 string  `json:"artifact_sha256"`
		Checks         []check `json:"checks"`
	}{evidence, fmt.Sprintf("acme-agent-7.%d.%d.msi", seq%50, seq%7), fmt.Sprintf("%064x", uint64(seq)*0x9e3779b97f4a7c15),
		[]check{{"EVIDENCE_INTEGRITY", true}, {"ARTIFACT_DIGEST", true}, {"SBOM_DIGEST", true}, {"SIGNATURE", true},
			{"BLAST_RADIUS_CLASS", true}}})
	return security.EventInput{Type: security.EventValidationPassed, Actor: "intune-connector",
		Subject: "evidence:" + evidence, CorrelationID: fmt.Sprintf("chg-%d", seq), Data: data}
}

// logEventID is event seq's id: a version 4 UUID holding seq.
func logEventID(seq int64) (id uuid.UUID) {
	binary.BigEndian.PutUint64(id[8:], uint64(seq))
	id[6], id[8] = 0x40, 0x80
	return id
}
