package sqlstore

import (
	"context"
	"sync"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
)

// The Store's methods: writes each in their own short transaction, reads on
// the read pool. The operations themselves are conn's methods, shared with
// txn.

// CreateRiskModel implements [store.RiskModels].
func (s *Store) CreateRiskModel(ctx context.Context, v riskmodel.Version, actor string) error {
	return s.write(ctx, func(c conn) error { return c.createRiskModel(ctx, v, actor) })
}

// RiskModel implements [store.RiskModels].
func (s *Store) RiskModel(ctx context.Context, version string) (v riskmodel.Version, err error) {
	err = s.read(func(c conn) error { v, err = c.riskModel(ctx, version); return err })
	return v, err
}

// ListRiskModels implements [store.RiskModels].
func (s *Store) ListRiskModels(ctx context.Context) (vs []riskmodel.Version, err error) {
	err = s.read(func(c conn) error { vs, err = c.listRiskModels(ctx); return err })
	return vs, err
}

// ActiveRiskModel implements [store.RiskModels].
func (s *Store) ActiveRiskModel(ctx context.Context) (v riskmodel.Version, err error) {
	err = s.read(func(c conn) error { v, err = c.activeRiskModel(ctx); return err })
	return v, err
}

// ApproveRiskModel implements [store.RiskModels].
func (s *Store) ApproveRiskModel(ctx context.Context, version, approver string) error {
	return s.write(ctx, func(c conn) error { return c.approveRiskModel(ctx, version, approver) })
}

// ActivateRiskModel implements [store.RiskModels].
func (s *Store) ActivateRiskModel(ctx context.Context, version, actor string) error {
	return s.write(ctx, func(c conn) error { return c.activateRiskModel(ctx, version, actor) })
}

// CreateClassDefinition implements [store.Classes].
func (s *Store) CreateClassDefinition(ctx context.Context, d blastradius.Definition) error {
	return s.write(ctx, func(c conn) error { return c.createClassDefinition(ctx, d) })
}

// ClassDefinition implements [store.Classes].
func (s *Store) ClassDefinition(ctx context.Context, class blastradius.Class) (d blastradius.Definition, err error) {
	err = s.read(func(c conn) error { d, err = c.classDefinition(ctx, class); return err })
	return d, err
}

// ListClassDefinitions implements [store.Classes].
func (s *Store) ListClassDefinitions(ctx context.Context) (ds []blastradius.Definition, err error) {
	err = s.read(func(c conn) error { ds, err = c.listClassDefinitions(ctx); return err })
	return ds, err
}

// MaturityState implements [store.Maturity].
func (s *Store) MaturityState(ctx context.Context) (st maturity.State, err error) {
	err = s.read(func(c conn) error { st, err = c.maturityState(ctx); return err })
	return st, err
}

// InitMaturityState implements [store.Maturity].
func (s *Store) InitMaturityState(ctx context.Context, st maturity.State) error {
	return s.write(ctx, func(c conn) error { return c.initMaturityState(ctx, st) })
}

// AppendAudit implements [store.Audit]. The head is read inside the
// serialised write transaction, so concurrent appends never fork the chain.
func (s *Store) AppendAudit(ctx context.Context, in security.EventInput) (e security.Event, err error) {
	err = s.write(ctx, func(c conn) error { e, err = c.appendAudit(ctx, in); return err })
	return e, err
}

// ListAuditEvents implements [store.Audit] and [security.EventReader].
func (s *Store) ListAuditEvents(ctx context.Context, after int64, limit int) (es []security.Event, err error) {
	err = s.read(func(c conn) error { es, err = c.listAuditEvents(ctx, after, limit); return err })
	return es, err
}

// AuditHead implements [store.Audit].
func (s *Store) AuditHead(ctx context.Context) (h security.Head, err error) {
	err = s.read(func(c conn) error { h, err = c.auditHead(ctx); return err })
	return h, err
}

// SaveCheckpoint implements [store.Audit].
func (s *Store) SaveCheckpoint(ctx context.Context, cp security.Checkpoint) error {
	return s.write(ctx, func(c conn) error { return c.saveCheckpoint(ctx, cp) })
}

// LatestCheckpoint implements [store.Audit].
func (s *Store) LatestCheckpoint(ctx context.Context) (cp security.Checkpoint, err error) {
	err = s.read(func(c conn) error { cp, err = c.latestCheckpoint(ctx); return err })
	return cp, err
}

// CreateEvidence implements [store.Evidence].
func (s *Store) CreateEvidence(ctx context.Context, e security.Evidence, actor string) (out security.Evidence, err error) {
	err = s.write(ctx, func(c conn) error { out, err = c.createEvidence(ctx, e, actor); return err })
	return out, err
}

// EvidenceByID implements [store.Evidence].
func (s *Store) EvidenceByID(ctx context.Context, id uuid.UUID) (e security.Evidence, err error) {
	err = s.read(func(c conn) error { e, err = c.evidenceByID(ctx, id); return err })
	return e, err
}

// EvidenceByCorrelationID implements [store.Evidence].
func (s *Store) EvidenceByCorrelationID(ctx context.Context, correlationID string) (e security.Evidence, err error) {
	err = s.read(func(c conn) error { e, err = c.evidenceByCorrelationID(ctx, correlationID); return err })
	return e, err
}

// txn is the [store.Tx] that WithTx hands to its function. Its methods run
// on the transaction one at a time and return [store.ErrTxDone] once WithTx
// has finished with it.
type txn struct {
	c    conn
	mu   sync.Mutex
	done bool
}

var _ store.Tx = (*txn)(nil)

// do runs fn on the transaction unless it has finished.
func (t *txn) do(fn func(c conn) error) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return store.ErrTxDone
	}
	return fn(t.c)
}

// finish marks the transaction finished, waiting for a method in progress.
func (t *txn) finish() {
	t.mu.Lock()
	t.done = true
	t.mu.Unlock()
}

func (t *txn) CreateRiskModel(ctx context.Context, v riskmodel.Version, actor string) error {
	return t.do(func(c conn) error { return c.createRiskModel(ctx, v, actor) })
}

func (t *txn) RiskModel(ctx context.Context, version string) (v riskmodel.Version, err error) {
	err = t.do(func(c conn) error { v, err = c.riskModel(ctx, version); return err })
	return v, err
}

func (t *txn) ListRiskModels(ctx context.Context) (vs []riskmodel.Version, err error) {
	err = t.do(func(c conn) error { vs, err = c.listRiskModels(ctx); return err })
	return vs, err
}

func (t *txn) ActiveRiskModel(ctx context.Context) (v riskmodel.Version, err error) {
	err = t.do(func(c conn) error { v, err = c.activeRiskModel(ctx); return err })
	return v, err
}

func (t *txn) ApproveRiskModel(ctx context.Context, version, approver string) error {
	return t.do(func(c conn) error { return c.approveRiskModel(ctx, version, approver) })
}

func (t *txn) ActivateRiskModel(ctx context.Context, version, actor string) error {
	return t.do(func(c conn) error { return c.activateRiskModel(ctx, version, actor) })
}

func (t *txn) CreateClassDefinition(ctx context.Context, d blastradius.Definition) error {
	return t.do(func(c conn) error { return c.createClassDefinition(ctx, d) })
}

func (t *txn) ClassDefinition(ctx context.Context, class blastradius.Class) (d blastradius.Definition, err error) {
	err = t.do(func(c conn) error { d, err = c.classDefinition(ctx, class); return err })
	return d, err
}

func (t *txn) ListClassDefinitions(ctx context.Context) (ds []blastradius.Definition, err error) {
	err = t.do(func(c conn) error { ds, err = c.listClassDefinitions(ctx); return err })
	return ds, err
}

func (t *txn) MaturityState(ctx context.Context) (st maturity.State, err error) {
	err = t.do(func(c conn) error { st, err = c.maturityState(ctx); return err })
	return st, err
}

func (t *txn) InitMaturityState(ctx context.Context, st maturity.State) error {
	return t.do(func(c conn) error { return c.initMaturityState(ctx, st) })
}

func (t *txn) AppendAudit(ctx context.Context, in security.EventInput) (e security.Event, err error) {
	err = t.do(func(c conn) error { e, err = c.appendAudit(ctx, in); return err })
	return e, err
}

func (t *txn) ListAuditEvents(ctx context.Context, after int64, limit int) (es []security.Event, err error) {
	err = t.do(func(c conn) error { es, err = c.listAuditEvents(ctx, after, limit); return err })
	return es, err
}

func (t *txn) AuditHead(ctx context.Context) (h security.Head, err error) {
	err = t.do(func(c conn) error { h, err = c.auditHead(ctx); return err })
	return h, err
}

func (t *txn) SaveCheckpoint(ctx context.Context, cp security.Checkpoint) error {
	return t.do(func(c conn) error { return c.saveCheckpoint(ctx, cp) })
}

func (t *txn) LatestCheckpoint(ctx context.Context) (cp security.Checkpoint, err error) {
	err = t.do(func(c conn) error { cp, err = c.latestCheckpoint(ctx); return err })
	return cp, err
}

func (t *txn) CreateEvidence(ctx context.Context, e security.Evidence, actor string) (out security.Evidence, err error) {
	err = t.do(func(c conn) error { out, err = c.createEvidence(ctx, e, actor); return err })
	return out, err
}

func (t *txn) EvidenceByID(ctx context.Context, id uuid.UUID) (e security.Evidence, err error) {
	err = t.do(func(c conn) error { e, err = c.evidenceByID(ctx, id); return err })
	return e, err
}

func (t *txn) EvidenceByCorrelationID(ctx context.Context, correlationID string) (e security.Evidence, err error) {
	err = t.do(func(c conn) error { e, err = c.evidenceByCorrelationID(ctx, correlationID); return err })
	return e, err
}
