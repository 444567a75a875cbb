// Package stored holds the normalisation every store adapter applies to
// values on their way in, so that all adapters read back the same values:
// times in UTC with microsecond precision (what PostgreSQL keeps), and
// copies rather than shared slices and pointers.
package stored

import (
	"slices"
	"time"

	"github.com/buildworksai/trustgate/cab"
)

// Time returns t in UTC, truncated to microseconds.
func Time(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// Approvals returns a copy of a with its times normalised, and nil for none.
func Approvals(a []cab.Approval) []cab.Approval {
	if len(a) == 0 {
		return nil
	}
	a = slices.Clone(a)
	for i := range a {
		a[i].At = Time(a[i].At)
	}
	return a
}

// Rejection returns a copy of r with its time normalised.
func Rejection(r *cab.Rejection) *cab.Rejection {
	if r == nil {
		return nil
	}
	c := *r
	c.At = Time(c.At)
	return &c
}

// Exception returns a deep copy of x with its times normalised.
func Exception(x *cab.Exception) *cab.Exception {
	if x == nil {
		return nil
	}
	c := *x
	c.RequestedAt, c.ExpiresAt = Time(c.RequestedAt), Time(c.ExpiresAt)
	c.Approvals = Approvals(c.Approvals)
	return &c
}
