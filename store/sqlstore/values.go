package sqlstore

import (
	"bytes"
	"fmt"
	"time"

	"github.com/buildworksai/trustgate/store/driver"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Column values. PostgreSQL keeps the types natively (text, bigint,
// boolean, bytea, numeric, timestamptz, uuid). SQLite's STRICT tables keep
// TEXT, INTEGER and BLOB: booleans are 0 and 1, decimals their exact text,
// times UTC text in a fixed-width layout that sorts as time does, and uuids
// lower-case canonical text, which sorts as their bytes do. Nothing goes
// through a float.

// sqliteTime is the layout of SQLite's time columns.
const sqliteTime = "2006-01-02T15:04:05.000000Z"

// arg returns v, a column value, as a query argument.
func (d *Driver) arg(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case decimal.Decimal:
		return x.String()
	case uuid.UUID:
		return x.String()
	case time.Time:
		if d.dialect == SQLite {
			return x.UTC().Format(sqliteTime)
		}
		return x.UTC()
	}
	return v
}

// cell scans one column of a result into the Go type of its [driver.Type],
// whichever way the database/sql driver hands it over; NULL is nil.
type cell struct {
	typ driver.Type
	v   any
}

// Scan implements sql.Scanner.
func (c *cell) Scan(src any) error {
	if src == nil {
		c.v = nil
		return nil
	}
	var err error
	switch c.typ {
	case driver.Text:
		switch x := src.(type) {
		case string:
			c.v = x
		case []byte:
			c.v = string(x)
		default:
			err = c.wrong(src)
		}
	case driver.Int:
		switch x := src.(type) {
		case int64:
			c.v = x
		default:
			err = c.wrong(src)
		}
	case driver.Bool:
		switch x := src.(type) {
		case bool:
			c.v = x
		case int64: // SQLite
			c.v = x != 0
		default:
			err = c.wrong(src)
		}
	case driver.Bytes:
		switch x := src.(type) {
		case []byte:
			c.v = bytes.Clone(x)
		case string:
			c.v = []byte(x)
		default:
			err = c.wrong(src)
		}
	case driver.Decimal:
		var s string
		switch x := src.(type) {
		case string:
			s = x
		case []byte:
			s = string(x)
		default:
			return c.wrong(src)
		}
		var d decimal.Decimal
		if d, err = decimal.NewFromString(s); err != nil {
			return fmt.Errorf("sqlstore: stored decimal %q: %v", s, err)
		}
		c.v = d
	case driver.Time:
		switch x := src.(type) {
		case time.Time:
			c.v = x.UTC()
		case string:
			c.v, err = parseTime(x)
		case []byte:
			c.v, err = parseTime(string(x))
		default:
			err = c.wrong(src)
		}
	case driver.UUID:
		var id uuid.UUID
		switch x := src.(type) {
		case string:
			id, err = uuid.Parse(x)
		case []byte:
			if len(x) == 16 {
				id, err = uuid.FromBytes(x)
			} else {
				id, err = uuid.ParseBytes(x)
			}
		case [16]byte:
			id = x
		default:
			return c.wrong(src)
		}
		if err != nil {
			return fmt.Errorf("sqlstore: stored uuid: %v", err)
		}
		c.v = id
	default:
		err = fmt.Errorf("sqlstore: unknown column type %v", c.typ)
	}
	return err
}

func (c *cell) wrong(src any) error {
	return fmt.Errorf("sqlstore: cannot scan %T into a %s column", src, c.typ)
}

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("sqlstore: stored time %q: %v", s, err)
	}
	return t.UTC(), nil
}
