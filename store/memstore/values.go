package memstore

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/buildworksai/trustgate/store/driver"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// compareValues orders two non-NULL values of one column type as the
// driver contract says: strings by bytes, numbers and times by value,
// false before true, uuids by their bytes.
func compareValues(a, b any) int {
	switch x := a.(type) {
	case string:
		return strings.Compare(x, b.(string))
	case int64:
		return cmp.Compare(x, b.(int64))
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case time.Time:
		return x.Compare(b.(time.Time))
	case uuid.UUID:
		y := b.(uuid.UUID)
		return bytes.Compare(x[:], y[:])
	}
	return 0 // unreachable for checked values: Bytes and Decimal are never compared
}

// compareKeys compares two key tuples on their first min(len(a), len(b))
// values, so that a prefix of a key finds every key that starts with it.
func compareKeys(a, b []any) int {
	for i := range min(len(a), len(b)) {
		if c := compareValues(a[i], b[i]); c != 0 {
			return c
		}
	}
	return 0
}

// checkValue reports whether v may be stored in (or compared with) column
// c: nil only where NULL is allowed, otherwise the Go type of c's type.
func checkValue(c *driver.Column, v any) error {
	if v == nil {
		if c.Null {
			return nil
		}
		return fmt.Errorf("memstore: column %s is NOT NULL", c.Name)
	}
	ok := false
	switch c.Type {
	case driver.Text:
		_, ok = v.(string)
	case driver.Int:
		_, ok = v.(int64)
	case driver.Bool:
		_, ok = v.(bool)
	case driver.Bytes:
		_, ok = v.([]byte)
	case driver.Decimal:
		_, ok = v.(decimal.Decimal)
	case driver.Time:
		_, ok = v.(time.Time)
	case driver.UUID:
		_, ok = v.(uuid.UUID)
	}
	if !ok {
		return fmt.Errorf("memstore: column %s holds %s values, not %T", c.Name, c.Type, v)
	}
	return nil
}

// copyRow returns a copy of row that shares no byte slice with it; times
// come out in UTC.
func copyRow(row []any) []any {
	out := slices.Clone(row)
	for i, v := range out {
		switch x := v.(type) {
		case []byte:
			out[i] = bytes.Clone(x)
		case time.Time:
			out[i] = x.UTC()
		}
	}
	return out
}
