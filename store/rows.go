package store

import (
	"fmt"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store/driver"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Each record type turns into the rows of its table and back in one file
// (riskmodels.go, requests.go, …): encode builds the values in the order of
// the table's columns, decode reads them back in the same order with a
// rowReader, next to the column list, so the three cannot drift apart
// unseen (and the conformance suite round-trips every field).

// rowReader reads a row's values in column order, converting each to the
// type the column promises. The first value of the wrong type is kept as
// err and makes the rest read as zero: the driver broke its contract, or the
// database was edited under it.
type rowReader struct {
	t     *driver.Table
	names []string // the columns read, when the query named them
	row   []any
	i     int
	err   error
}

// newReader reads a row of every column of t.
func newReader(t *driver.Table, row []any) *rowReader {
	r := &rowReader{t: t, row: row}
	if len(row) != len(t.Columns) {
		r.err = fmt.Errorf("%d values for %d columns", len(row), len(t.Columns))
	}
	return r
}

// newProjected reads a row of the named columns of t.
func newProjected(t *driver.Table, names []string, row []any) *rowReader {
	r := &rowReader{t: t, names: names, row: row}
	if len(row) != len(names) {
		r.err = fmt.Errorf("%d values for %d columns", len(row), len(names))
	}
	return r
}

// column is the name of the column just read.
func (r *rowReader) column() string {
	if r.names != nil {
		return r.names[r.i-1]
	}
	return r.t.Columns[r.i-1].Name
}

// next returns the next value, or nil after an error.
func (r *rowReader) next() any {
	if r.err != nil || r.i >= len(r.row) {
		return nil
	}
	v := r.row[r.i]
	r.i++
	return v
}

// fail records that the last value read is not of type want.
func (r *rowReader) fail(v any, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("column %s holds %T, not %s", r.column(), v, want)
	}
}

// done returns the reader's error, if any, as a failure of the database.
func (r *rowReader) done() error {
	if r.err == nil {
		return nil
	}
	return rowErr(r.t, r.err)
}

// rowErr reports a stored row of t that cannot be read: the driver broke
// its contract, or the database was edited under it.
func rowErr(t *driver.Table, err error) error {
	return &trustgate.Error{Code: trustgate.Internal, Message: "store: a row of " + t.Name + " cannot be read: " + err.Error()}
}

func (r *rowReader) text() string {
	v := r.next()
	if v == nil {
		return "" // NULL, or after an error
	}
	s, ok := v.(string)
	if !ok {
		r.fail(v, "text")
	}
	return s
}

func (r *rowReader) int() int64 {
	v := r.next()
	n, ok := v.(int64)
	if !ok && v != nil {
		r.fail(v, "an int")
	}
	return n
}

func (r *rowReader) bool() bool {
	v := r.next()
	b, ok := v.(bool)
	if !ok && v != nil {
		r.fail(v, "a bool")
	}
	return b
}

// nullBool reads a nullable bool: NULL is nil.
func (r *rowReader) nullBool() *bool {
	v := r.next()
	if v == nil {
		return nil
	}
	b, ok := v.(bool)
	if !ok {
		r.fail(v, "a bool")
		return nil
	}
	return &b
}

func (r *rowReader) bytes() []byte {
	v := r.next()
	b, ok := v.([]byte)
	if !ok && v != nil {
		r.fail(v, "bytes")
	}
	return b
}

func (r *rowReader) decimal() decimal.Decimal {
	v := r.next()
	d, ok := v.(decimal.Decimal)
	if !ok && v != nil {
		r.fail(v, "a decimal")
	}
	return d
}

// time reads a time, in UTC; NULL is the zero time.
func (r *rowReader) time() time.Time {
	v := r.next()
	t, ok := v.(time.Time)
	if !ok && v != nil {
		r.fail(v, "a time")
	}
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// uuid reads a uuid; NULL is uuid.Nil.
func (r *rowReader) uuid() uuid.UUID {
	v := r.next()
	id, ok := v.(uuid.UUID)
	if !ok && v != nil {
		r.fail(v, "a uuid")
	}
	return id
}

// digest reads a SHA-256 digest stored as 64 hex digits.
func (r *rowReader) digest() security.Digest {
	s := r.text()
	if r.err != nil {
		return security.Digest{}
	}
	d, err := security.ParseDigest(r.column(), s)
	if err != nil && r.err == nil {
		r.err = err
	}
	return d
}

// The values of nullable columns: the zero value is NULL.

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func nullID(id uuid.UUID) any {
	if id == uuid.Nil {
		return nil
	}
	return id
}

func nullBool(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

// col is shorthand for a column of a table definition.
func col(name string, t driver.Type) driver.Column { return driver.Column{Name: name, Type: t} }

// nullCol is shorthand for a nullable column.
func nullCol(name string, t driver.Type) driver.Column {
	return driver.Column{Name: name, Type: t, Null: true}
}
