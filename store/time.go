package store

import "time"

// Times are kept at the store's precision (the driver's, one microsecond
// by default): every time written is in UTC and rounded down to it, so
// that it reads back equal, and every range bound is rounded up to it, so
// that comparing a stored time with the bound gives what comparing the
// exact time with the exact bound would. This is the one place that knows.

// norm returns t as the store keeps it: UTC, rounded down to the
// precision. The zero time stays zero.
func (c *core) norm(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(c.precision)
}

// bound returns the bound of a half-open range as the store compares it:
// stored times are multiples of the precision, so s < b (and s ≥ b) holds
// exactly when it holds against b rounded up to the precision.
func (c *core) bound(b time.Time) time.Time {
	n := c.norm(b)
	if n.Equal(b) {
		return n
	}
	return n.Add(c.precision)
}

// aligned reports whether t is a time the store can hold as it is.
func (c *core) aligned(t time.Time) bool { return c.norm(t).Equal(t) }

// clock returns the store's current time, as stored.
func (c *core) clock() time.Time { return c.norm(c.now()) }
