package storetest

import (
	"context"
	"testing"

	"github.com/buildworksai/trustgate/store/driver"
	"github.com/google/uuid"
)

// Harness tells the suite how to make drivers of the database under test.
type Harness struct {
	// New returns a driver on a fresh, empty database (schema in place, no
	// rows). Each subtest calls it once; release resources with t.Cleanup.
	// Drivers from separate calls must not share rows.
	New func(t *testing.T) driver.Driver

	// Tamper, when set, returns a Tamperer that edits the raw storage
	// behind d, which New returned, the way an attacker with database access
	// would. The tamper-detection tests skip when it is nil.
	Tamper func(t *testing.T, d driver.Driver) Tamperer
}

// Tamperer changes stored records behind the store's back. Test code
// implements it for each adapter (with raw SQL, or by reaching into memory);
// production code never does.
type Tamperer interface {
	// EditAuditEvent changes the stored content of event seq (for example
	// one character of its actor or data) without fixing its hash.
	EditAuditEvent(ctx context.Context, seq int64) error
	// DeleteAuditEvent removes event seq.
	DeleteAuditEvent(ctx context.Context, seq int64) error
	// SwapAuditEvents exchanges the stored content (everything but the
	// sequence number) of events a and b.
	SwapAuditEvents(ctx context.Context, a, b int64) error
	// TruncateAudit removes every event with sequence number ≥ from.
	TruncateAudit(ctx context.Context, from int64) error
	// EditEvidence changes one byte of the stored data of evidence package
	// id (for example a digit of a number in it) without fixing its content
	// hash.
	EditEvidence(ctx context.Context, id uuid.UUID) error
	// DeleteEvidence removes evidence package id.
	DeleteEvidence(ctx context.Context, id uuid.UUID) error
}
