package memstore

import (
	"cmp"
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/store/driver"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// The query planner takes shortcuts: key lookups, walks from a bound that
// stop early, cursors that seek. Each must select exactly what the plain
// definition of a query does: filter every row, sort, skip to after the
// cursor, cut at the limit. This checks it on random tables and queries.

func refTable() *driver.Table {
	return &driver.Table{
		Name: "t",
		Columns: []driver.Column{
			{Name: "a", Type: driver.Int}, {Name: "b", Type: driver.Text},
			{Name: "at", Type: driver.Time}, {Name: "id", Type: driver.UUID},
			{Name: "n", Type: driver.Int, Null: true}, {Name: "u", Type: driver.Text},
		},
		Key:    []string{"a", "b"},
		Unique: [][]string{{"u"}},
	}
}

// refQuery is the definition of q over rows.
func refQuery(t *driver.Table, rows [][]any, q *driver.Query) [][]any {
	var out [][]any
	for _, r := range rows {
		ok := true
		for _, c := range q.Where {
			cd := cond{col: t.Column(c.Column), op: c.Op, val: c.Value}
			if !cd.holds(r) {
				ok = false
			}
		}
		if ok {
			out = append(out, r)
		}
	}
	order := make([]int, len(q.Order))
	for i, o := range q.Order {
		order[i] = t.Column(o.Column)
	}
	desc := len(q.Order) > 0 && q.Order[0].Desc
	// Ties on the order columns fall back to the primary key, ascending:
	// the order this driver gives them (the contract leaves it open).
	key := []int{t.Column("a"), t.Column("b")}
	slices.SortStableFunc(out, func(x, y []any) int {
		c := compareKeys(project(x, order), project(y, order))
		if desc {
			c = -c
		}
		return cmp.Or(c, compareKeys(project(x, key), project(y, key)))
	})
	if q.After != nil {
		var kept [][]any
		for _, r := range out {
			c := compareKeys(project(r, order), q.After)
			if (!desc && c > 0) || (desc && c < 0) {
				kept = append(kept, r)
			}
		}
		out = kept
	}
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	if q.Columns != nil {
		cols := make([]int, len(q.Columns))
		for i, c := range q.Columns {
			cols[i] = t.Column(c)
		}
		for i, r := range out {
			out[i] = project(r, cols)
		}
	}
	return out
}

func TestQueriesSelectWhatTheirDefinitionSelects(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0x7467))
	tb := refTable()
	base := time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)
	letters := []string{"p", "q", "r", "s"}
	for round := range 40 {
		d := New(Options{})
		ctx := context.Background()
		tx, err := d.Begin(ctx, driver.TxOptions{Write: true})
		require.NoError(t, err)
		var rows [][]any
		seen := map[[2]any]bool{}
		for i := range rng.IntN(1500) {
			a, b := int64(rng.IntN(60)), letters[rng.IntN(len(letters))]
			if seen[[2]any{a, b}] {
				continue
			}
			seen[[2]any{a, b}] = true
			var n any
			if rng.IntN(3) > 0 {
				n = int64(rng.IntN(5))
			}
			row := []any{a, b, base.Add(time.Duration(rng.IntN(50)) * time.Minute), uuid.UUID{byte(rng.IntN(4)), 15: byte(i)}, n,
				string(rune('A'+i%26)) + string(rune('a'+i/26%26)) + string(rune('0'+i/676))}
			require.NoError(t, tx.Insert(ctx, tb, row))
			rows = append(rows, row)
		}
		require.NoError(t, tx.Commit())
		value := func(col string) any {
			switch col {
			case "a":
				return int64(rng.IntN(62) - 1)
			case "b":
				return letters[rng.IntN(len(letters))]
			case "at":
				return base.Add(time.Duration(rng.IntN(52)-1) * time.Minute)
			case "id":
				return uuid.UUID{byte(rng.IntN(4)), 15: byte(rng.IntN(256))}
			case "n":
				return int64(rng.IntN(6))
			}
			if len(rows) > 0 && rng.IntN(2) == 0 {
				return rows[rng.IntN(len(rows))][5]
			}
			return "zz"
		}
		cols := []string{"a", "b", "at", "id", "n", "u"}
		orders := [][]string{nil, {"a", "b"}, {"at", "id"}, {"b"}, {"n", "a", "b"}, {"u"}, {"a"}}
		for range 150 {
			q := &driver.Query{Table: tb, Limit: rng.IntN(4) * rng.IntN(30)}
			for range rng.IntN(4) {
				col := cols[rng.IntN(len(cols))]
				op := driver.Op(1 + rng.IntN(8))
				c := driver.Cond{Column: col, Op: op}
				switch op {
				case driver.In:
					vs := []any{}
					for range rng.IntN(4) {
						vs = append(vs, value(col))
					}
					c.Value = vs
				case driver.IsNull, driver.NotNull:
				default:
					c.Value = value(col)
				}
				q.Where = append(q.Where, c)
			}
			desc := rng.IntN(2) == 0
			for _, col := range orders[rng.IntN(len(orders))] {
				if col == "n" { // the store never orders by a nullable column
					continue
				}
				q.Order = append(q.Order, driver.Order{Column: col, Desc: desc})
			}
			if len(q.Order) > 0 && rng.IntN(2) == 0 {
				q.After = make([]any, len(q.Order))
				for i, o := range q.Order {
					q.After[i] = value(o.Column)
				}
			}
			if rng.IntN(3) == 0 {
				for range 1 + rng.IntN(4) {
					q.Columns = append(q.Columns, cols[rng.IntN(len(cols))])
				}
			}
			want := refQuery(tb, rows, q)
			rtx, err := d.Begin(ctx, driver.TxOptions{})
			require.NoError(t, err)
			var got [][]any
			require.NoError(t, rtx.Query(ctx, q, func(r []any) error { got = append(got, r); return nil }))
			require.NoError(t, rtx.Commit())
			require.Equal(t, len(want), len(got), "round %d: %+v", round, q)
			for i := range want {
				require.Equal(t, want[i], got[i], "round %d row %d: %+v", round, i, q)
			}
		}
	}
}
