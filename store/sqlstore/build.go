package sqlstore

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/buildworksai/trustgate/store/driver"
)

// The SQL the driver runs, built from the store's table definitions and
// queries: one code base for both dialects, which differ here only in their
// placeholders (? or $n). Column and table names come from the store's
// definitions, never from input, and every value is a bound argument.

// sqlBuilder writes a statement and numbers its placeholders.
type sqlBuilder struct {
	strings.Builder
	d    Dialect
	args []any
	n    int
}

// param writes a placeholder for the next argument.
func (b *sqlBuilder) param() {
	b.n++
	if b.d == PostgreSQL {
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(b.n))
		return
	}
	b.WriteByte('?')
}

// bind writes a placeholder and keeps its argument.
func (b *sqlBuilder) bind(v any) {
	b.param()
	b.args = append(b.args, v)
}

// columnList writes the names, comma-separated.
func (b *sqlBuilder) columnList(names []string) {
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(n)
	}
}

func columnNames(t *driver.Table) []string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return names
}

// insertSQL returns the INSERT of a whole row of t, which inserts nothing
// on a duplicate key; on an append-only table a duplicate fails the
// statement instead (the store treats it as the database's failure, and
// PostgreSQL's speculative insertion costs a few percent of a validation).
func (d *Driver) insertSQL(t *driver.Table) string {
	key := "insert " + t.Name
	if s, ok := d.texts.Load(key); ok {
		return s.(string)
	}
	b := &sqlBuilder{d: d.dialect}
	b.WriteString("INSERT INTO ")
	b.WriteString(t.Name)
	b.WriteString(" (")
	b.columnList(columnNames(t))
	b.WriteString(") VALUES (")
	for i := range t.Columns {
		if i > 0 {
			b.WriteString(", ")
		}
		b.param()
	}
	b.WriteByte(')')
	if !t.Append {
		b.WriteString(" ON CONFLICT DO NOTHING")
	}
	s := b.String()
	d.texts.Store(key, s)
	return s
}

// updateSQL returns the UPDATE of columns of one row of t by primary key;
// its arguments are the columns' values, then the key's.
func (d *Driver) updateSQL(t *driver.Table, columns []string) (string, error) {
	b := &sqlBuilder{d: d.dialect}
	b.WriteString("UPDATE ")
	b.WriteString(t.Name)
	b.WriteString(" SET ")
	for i, name := range columns {
		if t.Column(name) < 0 {
			return "", fmt.Errorf("sqlstore: update %s: no column %s", t.Name, name)
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(name)
		b.WriteString(" = ")
		b.param()
	}
	b.WriteString(" WHERE ")
	for i, name := range t.Key {
		if t.Column(name) < 0 {
			return "", fmt.Errorf("sqlstore: table %s has no key column %s", t.Name, name)
		}
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(name)
		b.WriteString(" = ")
		b.param()
	}
	return b.String(), nil
}

// selectSQL returns the SELECT of q and its arguments.
//
// Literals: a query's limit and its boolean comparisons are written into
// the statement, never bound. SQLite plans with the values of some bound
// parameters (a LIMIT's; a comparison that decides whether a partial index
// such as the one-active index applies) and so marks a prepared statement
// expired whenever such a parameter is bound again, re-preparing it on
// every execution. Both are values of the store's, never of its callers.
func (d *Driver) selectSQL(q *driver.Query) (string, []any, error) {
	t := q.Table
	b := &sqlBuilder{d: d.dialect}
	b.WriteString("SELECT ")
	cols := q.Columns
	if cols == nil {
		cols = columnNames(t)
	}
	for _, name := range cols {
		if t.Column(name) < 0 {
			return "", nil, fmt.Errorf("sqlstore: query %s: no column %s", t.Name, name)
		}
	}
	b.columnList(cols)
	b.WriteString(" FROM ")
	b.WriteString(t.Name)
	known := func(name string) error {
		if t.Column(name) < 0 {
			return fmt.Errorf("sqlstore: query %s: no column %s", t.Name, name)
		}
		return nil
	}
	where := 0
	and := func() {
		if where++; where == 1 {
			b.WriteString(" WHERE ")
		} else {
			b.WriteString(" AND ")
		}
	}
	for _, c := range q.Where {
		if err := known(c.Column); err != nil {
			return "", nil, err
		}
		and()
		switch c.Op {
		case driver.IsNull, driver.NotNull:
			b.WriteString(c.Column)
			b.WriteByte(' ')
			b.WriteString(c.Op.String())
		case driver.In:
			vs, ok := c.Value.([]any)
			if !ok {
				return "", nil, fmt.Errorf("sqlstore: query %s: IN on %s needs a []any", t.Name, c.Column)
			}
			if len(vs) == 0 {
				b.WriteString("FALSE")
				continue
			}
			b.WriteString(c.Column)
			b.WriteString(" IN (")
			for i, v := range vs {
				if i > 0 {
					b.WriteString(", ")
				}
				b.bind(d.arg(v))
			}
			b.WriteByte(')')
		case driver.Eq, driver.Lt, driver.Le, driver.Gt, driver.Ge:
			b.WriteString(c.Column)
			b.WriteByte(' ')
			b.WriteString(c.Op.String())
			b.WriteByte(' ')
			if v, ok := c.Value.(bool); ok {
				b.WriteString(strings.ToUpper(strconv.FormatBool(v))) // see literals, below
				continue
			}
			b.bind(d.arg(c.Value))
		default:
			return "", nil, fmt.Errorf("sqlstore: query %s: unknown operator %v", t.Name, c.Op)
		}
	}
	if q.After != nil {
		if len(q.After) != len(q.Order) || len(q.Order) == 0 {
			return "", nil, fmt.Errorf("sqlstore: query %s: the cursor has %d values for %d order columns", t.Name, len(q.After), len(q.Order))
		}
		and()
		// A row value: both dialects compare it lexicographically and seek
		// an index on the same columns with it.
		b.WriteByte('(')
		for i, o := range q.Order {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(o.Column)
		}
		if q.Order[0].Desc {
			b.WriteString(") < (")
		} else {
			b.WriteString(") > (")
		}
		for i, v := range q.After {
			if i > 0 {
				b.WriteString(", ")
			}
			b.bind(d.arg(v))
		}
		b.WriteByte(')')
	}
	for i, o := range q.Order {
		if err := known(o.Column); err != nil {
			return "", nil, err
		}
		if o.Desc != q.Order[0].Desc {
			return "", nil, fmt.Errorf("sqlstore: query %s: every order column must have the same direction", t.Name)
		}
		if i == 0 {
			b.WriteString(" ORDER BY ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(o.Column)
		if o.Desc {
			b.WriteString(" DESC")
		}
	}
	if q.Limit > 0 {
		b.WriteString(" LIMIT ")
		b.WriteString(strconv.Itoa(q.Limit)) // see literals, below
	}
	return b.String(), b.args, nil
}
