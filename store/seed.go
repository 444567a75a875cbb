package store

import (
	"context"
	"errors"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security/attest"
)

// Seed loads the seed data into s, idempotently and in one transaction:
// the four blast radius class definitions, risk model 1.1 (approved, its
// level 0 thresholds attested by svc's ladder statement, and activated if no
// version is active yet), and trust maturity level 0 as the current level. What exists is left alone, so running Seed on every start
// is safe, also from several processes at once: a model the CAB has since
// activated stays active. now is the seed model's effective date.
//
// When Seed writes anything it appends one store.seeded audit event listing
// what it created.
func Seed(ctx context.Context, s *Store, svc *attest.Service, now time.Time) error {
	if svc == nil {
		return invalid("service", "store: seeding signs the seed model: a service is required (attest.NewService)")
	}
	return s.WithTx(ctx, func(ctx context.Context, tx *Tx) error {
		var created []string
		for _, d := range blastradius.Definitions() {
			_, err := tx.ClassDefinition(ctx, d.Class)
			switch {
			case errors.Is(err, ErrNotFound):
				if err := tx.CreateClassDefinition(ctx, d); err != nil {
					return err
				}
				created = append(created, "class:"+string(d.Class))
			case err != nil:
				return err
			}
		}

		_, err := tx.RiskModel(ctx, riskmodel.SeedVersion)
		switch {
		case errors.Is(err, ErrNotFound):
			v := riskmodel.Seed(now)
			v.Active = false
			v.CreatedBy = attest.NormalizeName(SeedActor)
			payload, err := v.LadderPayload(int(maturity.Baseline), "seed: greenfield baseline")
			if err != nil {
				return err
			}
			env, err := svc.Seal(payload)
			if err != nil {
				return err
			}
			v.Signoffs = []riskmodel.Signoff{{By: riskmodel.LadderSigner, At: v.CreatedAt, Envelope: env}}
			if err := tx.CreateRiskModel(ctx, v, SeedActor); err != nil {
				return err
			}
			created = append(created, "riskmodel:"+v.Version)
		case err != nil:
			return err
		}
		active, err := tx.ActiveRiskModel(ctx)
		switch {
		case errors.Is(err, ErrNotFound):
			if err := tx.ActivateRiskModel(ctx, riskmodel.SeedVersion, SeedActor); err != nil {
				return err
			}
			if active, err = tx.ActiveRiskModel(ctx); err != nil {
				return err
			}
		case err != nil:
			return err
		}

		_, err = tx.MaturityState(ctx)
		switch {
		case errors.Is(err, ErrNotFound):
			st := maturity.State{Level: maturity.Baseline, Since: now.UTC(), ModelVersion: active.Version, Reason: "seed: greenfield baseline"}
			h, err := active.ContentHash()
			if err != nil {
				return err
			}
			if err := st.Sign(svc, h); err != nil {
				return err
			}
			if err := tx.InitMaturityState(ctx, st); err != nil {
				return err
			}
			created = append(created, "maturity:level-0")
		case err != nil:
			return err
		}

		if len(created) == 0 {
			return nil
		}
		_, err = tx.AppendAudit(ctx, seeded(created))
		return err
	})
}
