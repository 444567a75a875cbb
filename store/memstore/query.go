package memstore

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/buildworksai/trustgate/store/driver"
)

// errStop ends a scan early; it never leaves the package.
var errStop = errors.New("memstore: stop")

// cond is a [driver.Cond] with its column resolved.
type cond struct {
	col int
	op  driver.Op
	val any
}

// holds reports whether the condition holds for row.
func (c *cond) holds(row []any) bool {
	v := row[c.col]
	switch c.op {
	case driver.IsNull:
		return v == nil
	case driver.NotNull:
		return v != nil
	}
	if v == nil {
		return false // no comparison holds for NULL
	}
	if c.op == driver.In {
		for _, x := range c.val.([]any) {
			if x != nil && compareValues(v, x) == 0 {
				return true
			}
		}
		return false
	}
	r := compareValues(v, c.val)
	switch c.op {
	case driver.Eq:
		return r == 0
	case driver.Lt:
		return r < 0
	case driver.Le:
		return r <= 0
	case driver.Gt:
		return r > 0
	case driver.Ge:
		return r >= 0
	}
	return false
}

// plan is a [driver.Query] resolved against a table.
type plan struct {
	tb    *table
	conds []cond
	order []int // column positions
	desc  bool
	after []any
	limit int
}

// resolve checks q against its table and resolves its column names.
func resolve(tb *table, q *driver.Query) (*plan, error) {
	def := q.Table
	p := &plan{tb: tb, limit: q.Limit, after: q.After}
	for _, c := range q.Where {
		i := def.Column(c.Column)
		if i < 0 {
			return nil, fmt.Errorf("memstore: query %s: no column %s", def.Name, c.Column)
		}
		col := &def.Columns[i]
		switch c.Op {
		case driver.IsNull, driver.NotNull:
		case driver.In:
			vs, ok := c.Value.([]any)
			if !ok {
				return nil, fmt.Errorf("memstore: query %s: IN on %s needs a []any", def.Name, c.Column)
			}
			for _, v := range vs {
				if err := checkComparable(col, v); err != nil {
					return nil, err
				}
			}
		case driver.Eq, driver.Lt, driver.Le, driver.Gt, driver.Ge:
			if err := checkComparable(col, c.Value); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("memstore: query %s: unknown operator %v", def.Name, c.Op)
		}
		p.conds = append(p.conds, cond{col: i, op: c.Op, val: c.Value})
	}
	for i, o := range q.Order {
		c := def.Column(o.Column)
		if c < 0 {
			return nil, fmt.Errorf("memstore: query %s: no column %s to order by", def.Name, o.Column)
		}
		if i > 0 && o.Desc != p.desc {
			return nil, fmt.Errorf("memstore: query %s: every order column must have the same direction", def.Name)
		}
		p.desc = o.Desc
		p.order = append(p.order, c)
	}
	if q.After != nil && len(q.After) != len(q.Order) {
		return nil, fmt.Errorf("memstore: query %s: the cursor has %d values for %d order columns", def.Name, len(q.After), len(q.Order))
	}
	return p, nil
}

// checkComparable reports whether v can be compared with column c.
func checkComparable(c *driver.Column, v any) error {
	if c.Type == driver.Bytes || c.Type == driver.Decimal {
		return fmt.Errorf("memstore: column %s (%s) is never compared", c.Name, c.Type)
	}
	if v == nil {
		return fmt.Errorf("memstore: column %s compared with NULL: use IsNull", c.Name)
	}
	return checkValue(c, v)
}

// matches reports whether row passes every condition and lies after the
// cursor.
func (p *plan) matches(row []any) bool {
	for i := range p.conds {
		if !p.conds[i].holds(row) {
			return false
		}
	}
	if p.after != nil {
		c := compareKeys(project(row, p.order), p.after)
		if (!p.desc && c <= 0) || (p.desc && c >= 0) {
			return false
		}
	}
	return true
}

// Query implements [driver.Tx]. Equality on the whole primary key or a
// unique key is a lookup; a query ordered by the primary key (or not at
// all) walks the rows in key order from the first key column's bound and
// stops at the limit; anything else filters every row and sorts.
func (t *tx) Query(ctx context.Context, q *driver.Query, fn func(row []any) error) error {
	if err := t.begin(ctx); err != nil {
		return err
	}
	tb := t.table(q.Table)
	if tb == nil {
		var err error
		if tb, err = newTable(q.Table); err != nil {
			return err
		}
	}
	p, err := resolve(tb, q)
	if err != nil {
		return err
	}
	out, err := outputColumns(q)
	if err != nil {
		return err
	}
	n := 0
	emit := func(row []any) error {
		if !p.matches(row) {
			return nil
		}
		if out != nil {
			row = project(row, out)
		}
		if err := fn(copyRow(row)); err != nil {
			return err
		}
		if n++; p.limit > 0 && n >= p.limit {
			return errStop
		}
		return nil
	}
	err = p.run(ctx, emit)
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}

// run calls emit with the candidate rows of p, in p's order.
func (p *plan) run(ctx context.Context, emit func(row []any) error) error {
	tb := p.tb
	if key, ok := p.equalities(tb.keyCols); ok {
		if row, ok := tb.rows.get(key); ok {
			return emit(row)
		}
		return nil
	}
	for i, cols := range tb.uniques {
		if key, ok := p.equalities(cols); ok {
			pk, ok := tb.unique[i].get(key)
			if !ok {
				return nil
			}
			row, ok := tb.rows.get(pk)
			if !ok {
				return fmt.Errorf("memstore: table %s: unique key %v names a missing row", tb.def.Name, tb.def.Unique[i])
			}
			return emit(row)
		}
	}
	if len(p.order) == 0 || slices.Equal(p.order, tb.keyCols) {
		return p.walk(ctx, emit)
	}
	var rows [][]any
	tb.rows.ascend(pos{}, func(en *entry) bool {
		if p.matches(en.val) {
			rows = append(rows, en.val)
		}
		return true
	})
	slices.SortStableFunc(rows, func(a, b []any) int {
		c := compareKeys(project(a, p.order), project(b, p.order))
		if p.desc {
			return -c
		}
		return c
	})
	for _, row := range rows {
		if err := emit(row); err != nil {
			return err
		}
	}
	return nil
}

// equalities returns the values that p's Eq conditions give the columns
// cols, if they give every one of them.
func (p *plan) equalities(cols []int) ([]any, bool) {
	key := make([]any, len(cols))
	for i, c := range cols {
		found := false
		for _, cd := range p.conds {
			if cd.col == c && cd.op == driver.Eq {
				key[i], found = cd.val, true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	return key, true
}

// walk visits the rows in primary key order (reversed for a descending
// order), starting where the cursor or a bound on the first key column lets
// it and stopping where such a bound ends, checking ctx now and then.
func (p *plan) walk(ctx context.Context, emit func(row []any) error) error {
	tb := p.tb
	first := tb.keyCols[0]
	start, stop := tb.rows.end(), func([]any) bool { return false }
	if !p.desc {
		start = pos{}
	}
	if p.after != nil && len(p.order) > 0 {
		if p.desc {
			start = tb.rows.lowerBound(p.after)
		} else {
			start = tb.rows.upperBound(p.after)
		}
	}
	for _, c := range p.conds {
		if c.col != first {
			continue
		}
		bound := []any{c.val}
		switch {
		case !p.desc && (c.op == driver.Gt || c.op == driver.Ge || c.op == driver.Eq):
			s := tb.rows.lowerBound(bound)
			if c.op == driver.Gt {
				s = tb.rows.upperBound(bound)
			}
			if later(s, start) {
				start = s
			}
		case p.desc && (c.op == driver.Lt || c.op == driver.Le || c.op == driver.Eq):
			s := tb.rows.upperBound(bound)
			if c.op == driver.Lt {
				s = tb.rows.lowerBound(bound)
			}
			if later(start, s) {
				start = s
			}
		}
		switch {
		case !p.desc && (c.op == driver.Lt || c.op == driver.Le || c.op == driver.Eq):
			v, op := c.val, c.op
			prev := stop
			stop = func(row []any) bool {
				r := compareValues(row[first], v)
				return prev(row) || r > 0 || (r == 0 && op == driver.Lt)
			}
		case p.desc && (c.op == driver.Gt || c.op == driver.Ge || c.op == driver.Eq):
			v, op := c.val, c.op
			prev := stop
			stop = func(row []any) bool {
				r := compareValues(row[first], v)
				return prev(row) || r < 0 || (r == 0 && op == driver.Gt)
			}
		}
	}
	var err error
	seen := 0
	visit := func(en *entry) bool {
		if stop(en.val) {
			return false
		}
		if seen++; seen%4096 == 0 {
			if err = ctx.Err(); err != nil {
				err = fmt.Errorf("memstore: %w", err)
				return false
			}
		}
		err = emit(en.val)
		return err == nil
	}
	if p.desc {
		tb.rows.descend(start, visit)
	} else {
		tb.rows.ascend(start, visit)
	}
	return err
}

// later reports whether position a comes after b.
func later(a, b pos) bool { return a.c > b.c || (a.c == b.c && a.e > b.e) }

// outputColumns returns the positions of the columns q asks for, or nil for
// all of them.
func outputColumns(q *driver.Query) ([]int, error) {
	if q.Columns == nil {
		return nil, nil
	}
	out := make([]int, len(q.Columns))
	for i, name := range q.Columns {
		if out[i] = q.Table.Column(name); out[i] < 0 {
			return nil, fmt.Errorf("memstore: query %s: no column %s", q.Table.Name, name)
		}
	}
	return out, nil
}
