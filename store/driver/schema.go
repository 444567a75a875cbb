package driver

import "fmt"

// Type is the type of a column's values.
type Type uint8

// The column types and the Go type of their values.
const (
	// Text is a string, compared byte by byte.
	Text Type = iota + 1
	// Int is an int64.
	Int
	// Bool is a bool; false sorts before true.
	Bool
	// Bytes is a []byte, kept byte for byte. Never compared.
	Bytes
	// Decimal is a decimal.Decimal, kept exactly (never through a float).
	// Never compared.
	Decimal
	// Time is a time.Time in UTC, kept at the driver's precision and
	// compared as an instant.
	Time
	// UUID is a uuid.UUID, compared as its 16 bytes (which is also the
	// order of its canonical text).
	UUID
)

// String returns the type's name.
func (t Type) String() string {
	switch t {
	case Text:
		return "text"
	case Int:
		return "int"
	case Bool:
		return "bool"
	case Bytes:
		return "bytes"
	case Decimal:
		return "decimal"
	case Time:
		return "time"
	case UUID:
		return "uuid"
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// Column is one column of a table.
type Column struct {
	Name string
	Type Type
	// Null says the column may hold NULL (nil). The store never orders by
	// such a column.
	Null bool
}

// Table describes one table of the store: its columns, in the order of
// every row's values, its primary key and its other unique keys. The store
// defines the tables (store.Tables lists them) and passes the same *Table
// on every call; a driver may keep what it derives from one, keyed by the
// table's name.
type Table struct {
	Name    string
	Columns []Column
	// Key names the primary key's columns, in order. Rows sort by it.
	Key []string
	// Unique lists the other unique keys, each a list of column names.
	Unique [][]string
	// Append marks a log the store only appends to, under keys it allocates
	// itself inside the serialised write transaction (the audit log). An
	// Insert there that finds its key taken means the database was edited
	// under the store, which treats it as a failure of the database, so a
	// driver may report it as it reports any failed statement, without the
	// care a conflict otherwise needs (a SQL driver can use a plain INSERT).
	Append bool
}

// Column returns the position of the named column in t.Columns, or -1.
func (t *Table) Column(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}
