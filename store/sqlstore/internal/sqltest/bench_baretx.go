package sqltest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/google/uuid"
)

// benchBareTx is the reference BenchSubmit measures a submission against,
// in the same run and on the same database: one database/sql transaction
// that writes the rows a submission writes (its cab_requests row, its
// audit_tree row and its audit_events row), with values computed before
// the clock starts, through statements prepared once (SQLite; pgx caches
// PostgreSQL's itself), and nothing else: no read, no audit head, no
// hashing, no signature. The rows are copies of the last submission's with
// new keys (request id and correlation id, event sequence number and id)
// and a chain that follows the log's head, as the tables' triggers demand;
// a mutex held from BEGIN to COMMIT keeps the sequence numbers in commit
// order, as the store's serialised writers do.
type benchBareTx struct {
	db      *sql.DB
	dialect sqlstore.Dialect
	tables  [3]bareTable // cab_requests, audit_tree, audit_events, in the order Submit writes them
	mu      sync.Mutex
	seq     int64
	prev    string
}

// bareTable is one table's insert: its statement, a row to copy and where
// in it the keys go.
type bareTable struct {
	query string
	stmt  *sql.Stmt
	row   []any
	cols  map[string]int
}

// newBenchBareTx reads the last submission's rows from db and prepares
// their inserts.
func newBenchBareTx(ctx context.Context, db *sql.DB, dialect sqlstore.Dialect) (*benchBareTx, error) {
	bt := &benchBareTx{db: db, dialect: dialect}
	for i, q := range []string{
		`SELECT * FROM cab_requests ORDER BY created_at DESC, id DESC LIMIT 1`,
		`SELECT * FROM audit_tree ORDER BY seq DESC LIMIT 1`,
		`SELECT * FROM audit_events ORDER BY seq DESC LIMIT 1`,
	} {
		t, err := lastRow(ctx, db, q, dialect)
		if err != nil {
			return nil, err
		}
		bt.tables[i] = t
	}
	events := &bt.tables[2]
	bt.seq = asInt64(events.row[events.cols["seq"]])
	bt.prev = fmt.Sprint(events.row[events.cols["hash"]])
	if dialect == sqlstore.SQLite {
		for i := range bt.tables {
			s, err := db.PrepareContext(ctx, bt.tables[i].query)
			if err != nil {
				return nil, err
			}
			bt.tables[i].stmt = s
		}
	}
	return bt, nil
}

// lastRow reads the one row q selects, and builds the insert of a row of
// its table.
func lastRow(ctx context.Context, db *sql.DB, q string, dialect sqlstore.Dialect) (bareTable, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return bareTable{}, err
	}
	defer func() { _ = rows.Close() }()
	names, err := rows.Columns()
	if err != nil {
		return bareTable{}, err
	}
	if !rows.Next() {
		return bareTable{}, fmt.Errorf("bare transaction: no row for %s", q)
	}
	row := make([]any, len(names))
	dest := make([]any, len(names))
	for i := range row {
		dest[i] = &row[i]
	}
	if err := rows.Scan(dest...); err != nil {
		return bareTable{}, err
	}
	t := bareTable{row: row, cols: map[string]int{}}
	marks := make([]string, len(names))
	for i, n := range names {
		t.cols[n] = i
		marks[i] = "?"
		if dialect == sqlstore.PostgreSQL {
			marks[i] = fmt.Sprintf("$%d", i+1)
		}
	}
	table := strings.Fields(q)[3]
	t.query = "INSERT INTO " + table + " (" + strings.Join(names, ", ") + ") VALUES (" + strings.Join(marks, ", ") + ")"
	return t, rows.Err()
}

func asInt64(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int32:
		return int64(n)
	}
	return 0
}

// rows returns the three rows of the next transaction, given its sequence
// number and the previous event's hash, and the new event's hash.
func (bt *benchBareTx) rows(seq int64, prev string) ([3][]any, string) {
	var out [3][]any
	for i := range bt.tables {
		out[i] = append([]any(nil), bt.tables[i].row...)
	}
	hash := fmt.Sprintf("%064x", seq)
	req, tree, ev := bt.tables[0].cols, bt.tables[1].cols, bt.tables[2].cols
	// Version 7 ids, as the workflow and the store make them.
	out[0][req["id"]], out[0][req["correlation_id"]] = newV7().String(), fmt.Sprintf("bare-%d", seq)
	out[1][tree["seq"]] = seq
	out[2][ev["seq"]], out[2][ev["id"]], out[2][ev["prev_hash"]], out[2][ev["hash"]] = seq, newV7().String(), prev, hash
	return out, hash
}

func newV7() uuid.UUID {
	if id, err := uuid.NewV7(); err == nil {
		return id
	}
	return uuid.New()
}

// run writes one transaction; its rows are computed before it begins.
func (bt *benchBareTx) run(ctx context.Context) error {
	bt.mu.Lock()
	defer bt.mu.Unlock()
	rows, hash := bt.rows(bt.seq+1, bt.prev)
	tx, err := bt.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for i := range bt.tables {
		t := &bt.tables[i]
		if t.stmt != nil {
			s := tx.StmtContext(ctx, t.stmt)
			_, err = s.ExecContext(ctx, rows[i]...)
			_ = s.Close()
		} else {
			_, err = tx.ExecContext(ctx, t.query, rows[i]...)
		}
		if err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("bare transaction: %s: %w", t.query[:strings.IndexByte(t.query, '(')], err)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	bt.seq, bt.prev = bt.seq+1, hash
	return nil
}

// close closes the prepared statements.
func (bt *benchBareTx) close() {
	for _, t := range bt.tables {
		if t.stmt != nil {
			_ = t.stmt.Close()
		}
	}
}

// benchBare runs the bare transaction Serial and Parallel, as BenchSubmit
// runs Submit.
func benchBare(b *testing.B, db *sql.DB, dialect sqlstore.Dialect) {
	ctx := context.Background()
	bt, err := newBenchBareTx(ctx, db, dialect)
	if err != nil {
		b.Fatal(err)
	}
	defer bt.close()
	b.Run("Serial", func(b *testing.B) {
		b.ReportAllocs()
		defer cpuPerOp(b)()
		for b.Loop() {
			if err := bt.run(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(4)
		defer cpuPerOp(b)()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := bt.run(ctx); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
