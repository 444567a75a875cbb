package driver

import "fmt"

// Query selects rows of one table: those that satisfy every condition of
// Where, in the order of Order, after the position After, at most Limit of
// them. It is all a driver has to answer; the store builds every read from
// it.
type Query struct {
	Table *Table
	// Columns names the columns each row holds, in order; nil means every
	// column of Table, in Table's order.
	Columns []string
	// Where holds conditions that must all hold. None selects every row.
	Where []Cond
	// Order sorts the rows by these columns, the first first. All entries
	// have the same direction. Rows that tie on every Order column come in
	// any order; the store always ends Order with a unique column when the
	// order matters.
	Order []Order
	// After, when set, has one value per Order column and keeps only the
	// rows strictly after that position in Order's order (keyset
	// pagination: "(created_at, id) > (t, id)" when ascending, "<" when
	// descending).
	After []any
	// Limit is the most rows to return; 0 means no limit.
	Limit int
}

// Order is one sort key of a [Query].
type Order struct {
	Column string
	Desc   bool
}

// Op is the comparison of a [Cond].
type Op uint8

// The comparisons. A comparison never holds for NULL, as in SQL: IsNull
// and NotNull are how NULL is selected.
const (
	// Eq: column = Value.
	Eq Op = iota + 1
	// Lt: column < Value.
	Lt
	// Le: column <= Value.
	Le
	// Gt: column > Value.
	Gt
	// Ge: column >= Value.
	Ge
	// In: column is one of Value, a []any; an empty list matches nothing.
	In
	// IsNull: column is NULL; Value is unused.
	IsNull
	// NotNull: column is not NULL; Value is unused.
	NotNull
)

// String returns the operator as SQL writes it.
func (o Op) String() string {
	switch o {
	case Eq:
		return "="
	case Lt:
		return "<"
	case Le:
		return "<="
	case Gt:
		return ">"
	case Ge:
		return ">="
	case In:
		return "IN"
	case IsNull:
		return "IS NULL"
	case NotNull:
		return "IS NOT NULL"
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// Cond is one condition of a [Query]: Column Op Value. Value has the Go
// type of the column's [Type] (a []any of them for In). Columns of type
// Bytes and Decimal are never compared.
type Cond struct {
	Column string
	Op     Op
	Value  any
}

// Where is shorthand for a [Cond].
func Where(column string, op Op, value any) Cond { return Cond{Column: column, Op: op, Value: value} }
