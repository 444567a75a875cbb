package memstore

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/store/driver"
	"github.com/buildworksai/trustgate/store/storetest"
	"github.com/google/uuid"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New:    func(t *testing.T) driver.Driver { return New(Options{}) },
		Tamper: newTamperer,
	})
}

// TestConformanceAtMillisecondPrecision runs the suite again on a driver
// that declares millisecond precision, as a database that keeps
// milliseconds would. The store rounds every time to the precision its
// driver declares, in one place (store/time.go), and the suite expects
// every time at the precision the store reports: this run is what keeps
// both honest about precisions other than PostgreSQL's microseconds.
func TestConformanceAtMillisecondPrecision(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New:    func(t *testing.T) driver.Driver { return New(Options{TimePrecision: time.Millisecond}) },
		Tamper: newTamperer,
	})
}

// newTamperer returns a tamperer for d, which New returned.
func newTamperer(t *testing.T, d driver.Driver) storetest.Tamperer {
	t.Helper()
	md, ok := d.(*Driver)
	if !ok {
		t.Fatalf("memstore: cannot tamper with a %T", d)
	}
	return &tamperer{d: md}
}

// tamperer edits the committed snapshot directly, as someone with access
// to the process's memory would: it rebuilds a table from its rows with
// some changed, dropped or exchanged.
type tamperer struct{ d *Driver }

// rebuild replaces table name's rows with what edit makes of them, in key
// order.
func (tp *tamperer) rebuild(name string, edit func(rows [][]any) ([][]any, error)) error {
	tp.d.writer <- struct{}{}
	defer func() { <-tp.d.writer }()
	snap := tp.d.db.Load()
	old, ok := snap.tables[name]
	if !ok {
		return fmt.Errorf("tamper: no table %s", name)
	}
	var rows [][]any
	old.rows.ascend(pos{}, func(en *entry) bool { rows = append(rows, copyRow(en.val)); return true })
	rows, err := edit(rows)
	if err != nil {
		return err
	}
	tb, err := newTable(old.def)
	if err != nil {
		return err
	}
	for _, row := range rows {
		key := project(row, tb.keyCols)
		tb.rows = tb.rows.set(key, row)
		for i, cols := range tb.uniques {
			tb.unique[i] = tb.unique[i].set(project(row, cols), key)
		}
	}
	tables := map[string]*table{}
	for n, t := range snap.tables {
		tables[n] = t
	}
	tables[name] = tb
	tp.d.db.Store(&snapshot{tables: tables})
	return nil
}

// seqRow finds the event row with sequence number seq.
func seqRow(rows [][]any, seq int64) (int, error) {
	for i, r := range rows {
		if r[0].(int64) == seq {
			return i, nil
		}
	}
	return 0, fmt.Errorf("tamper: no event %d", seq)
}

func (tp *tamperer) EditAuditEvent(_ context.Context, seq int64) error {
	return tp.rebuild("audit_events", func(rows [][]any) ([][]any, error) {
		i, err := seqRow(rows, seq)
		if err == nil {
			rows[i][3] = rows[i][3].(string) + "x" // the actor
		}
		return rows, err
	})
}

func (tp *tamperer) DeleteAuditEvent(_ context.Context, seq int64) error {
	return tp.rebuild("audit_events", func(rows [][]any) ([][]any, error) {
		i, err := seqRow(rows, seq)
		if err != nil {
			return nil, err
		}
		return append(rows[:i], rows[i+1:]...), nil
	})
}

func (tp *tamperer) SwapAuditEvents(_ context.Context, a, b int64) error {
	return tp.rebuild("audit_events", func(rows [][]any) ([][]any, error) {
		i, err := seqRow(rows, a)
		if err != nil {
			return nil, err
		}
		j, err := seqRow(rows, b)
		if err != nil {
			return nil, err
		}
		for c := 1; c < len(rows[i]); c++ { // everything but the sequence number
			rows[i][c], rows[j][c] = rows[j][c], rows[i][c]
		}
		return rows, nil
	})
}

func (tp *tamperer) TruncateAudit(_ context.Context, from int64) error {
	return tp.rebuild("audit_events", func(rows [][]any) ([][]any, error) {
		var kept [][]any
		for _, r := range rows {
			if r[0].(int64) < from {
				kept = append(kept, r)
			}
		}
		return kept, nil
	})
}

func (tp *tamperer) EditEvidence(_ context.Context, id uuid.UUID) error {
	return tp.rebuild("evidence_packages", func(rows [][]any) ([][]any, error) {
		for _, r := range rows {
			if r[0].(uuid.UUID) != id {
				continue
			}
			data := r[2].([]byte)
			i := bytes.IndexAny(data, "0123456789")
			if i < 0 {
				return nil, fmt.Errorf("tamper: evidence %s has no digit to change", id)
			}
			data[i] = '0' + (data[i]-'0'+1)%10
			return rows, nil
		}
		return nil, fmt.Errorf("tamper: no evidence %s", id)
	})
}

func (tp *tamperer) DeleteEvidence(_ context.Context, id uuid.UUID) error {
	return tp.rebuild("evidence_packages", func(rows [][]any) ([][]any, error) {
		for i, r := range rows {
			if r[0].(uuid.UUID) == id {
				return append(rows[:i], rows[i+1:]...), nil
			}
		}
		return nil, fmt.Errorf("tamper: no evidence %s", id)
	})
}
