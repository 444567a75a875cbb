package sqltest

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/buildworksai/trustgate/store/driver"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/buildworksai/trustgate/store/storetest"
	"github.com/google/uuid"
)

// Tamper returns a Tamperer that edits the database behind d with raw SQL
// on a pool of its own, after dropping the triggers that keep the log and
// the evidence append-only, as an attacker with database access would.
func Tamper(t testing.TB, b Backend, d driver.Driver) storetest.Tamperer {
	db := b.Raw(t, d)
	triggers := map[string]string{ // trigger: table
		"audit_events_no_update":      "audit_events",
		"audit_events_no_delete":      "audit_events",
		"evidence_packages_no_update": "evidence_packages", // SQLite
		"evidence_packages_no_delete": "evidence_packages", // SQLite
		"evidence_packages_immutable": "evidence_packages", // PostgreSQL
	}
	for trigger, table := range triggers {
		stmt := "DROP TRIGGER IF EXISTS " + trigger
		if b.Dialect == sqlstore.PostgreSQL {
			stmt += " ON " + table
		}
		if _, err := db.ExecContext(t.Context(), stmt); err != nil {
			t.Fatalf("tamper: %s: %v", stmt, err)
		}
	}
	return &tamperer{db: db, b: b}
}

type tamperer struct {
	db *sql.DB
	b  Backend
}

// exec runs a statement that must change at least one row.
func (tp *tamperer) exec(ctx context.Context, query string, args ...any) error {
	res, err := tp.b.Exec(ctx, tp.db, query, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("tamper: %q changed no row (%v)", query, err)
	}
	return nil
}

func (tp *tamperer) EditAuditEvent(ctx context.Context, seq int64) error {
	return tp.exec(ctx, `UPDATE audit_events SET actor = actor || 'x' WHERE seq = ?`, seq)
}

func (tp *tamperer) DeleteAuditEvent(ctx context.Context, seq int64) error {
	return tp.exec(ctx, `DELETE FROM audit_events WHERE seq = ?`, seq)
}

func (tp *tamperer) TruncateAudit(ctx context.Context, from int64) error {
	return tp.exec(ctx, `DELETE FROM audit_events WHERE seq >= ?`, from)
}

// EditEvidence changes the first digit of the stored data.
func (tp *tamperer) EditEvidence(ctx context.Context, id uuid.UUID) error {
	var data []byte
	if err := tp.db.QueryRowContext(ctx, tp.b.Rebind(`SELECT data FROM evidence_packages WHERE id = ?`), id.String()).Scan(&data); err != nil {
		return err
	}
	i := bytes.IndexAny(data, "0123456789")
	if i < 0 {
		return fmt.Errorf("tamper: evidence %s has no digit to change", id)
	}
	data[i] = '0' + (data[i]-'0'+1)%10
	return tp.exec(ctx, `UPDATE evidence_packages SET data = ? WHERE id = ?`, data, id.String())
}

// DeleteEvidence removes the package's row.
func (tp *tamperer) DeleteEvidence(ctx context.Context, id uuid.UUID) error {
	return tp.exec(ctx, `DELETE FROM evidence_packages WHERE id = ?`, id.String())
}

// SwapAuditEvents exchanges every column but seq of events a and b: a
// becomes a placeholder first, so that the unique id never repeats.
func (tp *tamperer) SwapAuditEvents(ctx context.Context, a, b int64) error {
	const cols = `id, type, actor, subject, correlation_id, occurred_at, data, prev_hash, hash`
	type row struct {
		id, typ, actor, subject, corr, data, prev, hash string
		at                                              any
	}
	read := func(seq int64) (row, error) {
		var r row
		err := tp.db.QueryRowContext(ctx, tp.b.Rebind(`SELECT `+cols+` FROM audit_events WHERE seq = ?`), seq).
			Scan(&r.id, &r.typ, &r.actor, &r.subject, &r.corr, &r.at, &r.data, &r.prev, &r.hash)
		return r, err
	}
	ra, err := read(a)
	if err != nil {
		return err
	}
	rb, err := read(b)
	if err != nil {
		return err
	}
	write := func(seq int64, r row) error {
		return tp.exec(ctx, `UPDATE audit_events SET id = ?, type = ?, actor = ?, subject = ?, correlation_id = ?,
			occurred_at = ?, data = ?, prev_hash = ?, hash = ? WHERE seq = ?`,
			r.id, r.typ, r.actor, r.subject, r.corr, r.at, r.data, r.prev, r.hash, seq)
	}
	placeholder := rb
	placeholder.id = "00000000-0000-0000-0000-000000000000"
	if err := write(b, placeholder); err != nil {
		return err
	}
	if err := write(a, rb); err != nil {
		return err
	}
	return write(b, ra)
}
