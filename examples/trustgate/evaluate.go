package main

import (
	"context"
	"fmt"
	"time"

	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/store"
)

const evaluateAbout = `
Runs a trust maturity evaluation now (maturity.Engine, with the service key
-service-key and the -keyring): it judges the installation over the
evaluation period (four weeks) on counts of the deployment and incident
records, stores the evaluation and prints every criterion. A ready
progression waits for the CAB's signed approvals (trustgate sign, then the
server's approve endpoint); a regression, the current level's own limits
breached, is applied at once, as the engine always does.

With -dry-run it judges the same way (maturity.Evaluate over the store's
RecountIncidents, with the inputs the engine gathers) and stores nothing:
no key is needed, the database is opened read-only, and -now sets the end
of the period (an RFC 3339 time or a date; default: the clock).

Exit status 0 whatever the evaluation finds; -json gives
{"evaluation": …, "stored": …, "applied": …}, the evaluation in the
library's JSON form (maturity.Evaluation's: "kind", "level", "target",
"ready", "reason", "criteria", …, decimals as strings; a dry run's id is
the nil UUID).`

// evaluationDoc is the -json document of evaluate: the evaluation in
// maturity.Evaluation's JSON form, and what became of it.
type evaluationDoc struct {
	// Evaluation's id is the nil UUID and its created_at the zero time
	// for a dry run, which stores nothing.
	Evaluation maturity.Evaluation `json:"evaluation"`
	Stored     bool                `json:"stored"`
	Applied    bool                `json:"applied"` // a regression the engine applied
}

func runEvaluate(ctx context.Context, e *env, args []string) error {
	fs := flagSet(e, "evaluate", "-db FILE|-postgres DSN (-service-key FILE -keyring FILE | -dry-run [-now TIME]) [-json]", evaluateAbout)
	var f dbFlags
	f.register(fs)
	keyPath := fs.String("service-key", "", "the service's private key `file` (PEM PKCS #8), which signs what a regression makes")
	keyringPath := fs.String("keyring", "", "the keyring `file`")
	dry := fs.Bool("dry-run", false, "evaluate without storing anything; no key needed")
	nowS := fs.String("now", "", "with -dry-run: the end of the period, `time` or date (default: the clock)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(fs, pos); err != nil {
		return err
	}
	if err := f.check(fs); err != nil {
		return err
	}
	switch {
	case *dry && (*keyPath != "" || *keyringPath != ""):
		return usageError("-dry-run stores nothing and signs nothing: it takes no -service-key or -keyring")
	case !*dry && (*keyPath == "" || *keyringPath == ""):
		return usageError("give -service-key FILE and -keyring FILE to evaluate and store, or -dry-run")
	case !*dry && *nowS != "":
		return usageError("-now is for -dry-run: a stored evaluation is made at the clock's time")
	}
	now := time.Now().UTC()
	if *nowS != "" {
		if now, err = parseTime("now", *nowS); err != nil {
			return err
		}
	}
	var ev maturity.Evaluation
	if *dry {
		s, err := f.open(ctx, false, store.Options{})
		if err != nil {
			return err
		}
		defer s.close()
		if ev, err = dryRun(ctx, s, now); err != nil {
			return cannotRun(err)
		}
	} else {
		key, err := loadServiceKey(*keyPath)
		if err != nil {
			return err
		}
		keys, err := loadKeyring(*keyringPath, key.Public())
		if err != nil {
			return err
		}
		svc, err := attest.NewService(key, keys)
		if err != nil {
			return cannotRun(fmt.Errorf("-service-key: %w", err))
		}
		s, err := f.open(ctx, true, store.Options{Service: svc})
		if err != nil {
			return err
		}
		defer s.close()
		engine, err := maturity.NewEngine(s, maturity.Options{Service: svc})
		if err != nil {
			return cannotRun(err)
		}
		if ev, err = engine.Evaluate(ctx); err != nil {
			return cannotRun(err)
		}
	}
	doc := evaluationDoc{Evaluation: ev, Stored: !*dry, Applied: ev.Decision.Approved && ev.Kind == maturity.Regression}
	if f.json {
		return writeJSON(e.stdout, doc)
	}
	w := e.stdout
	what := "stored as evaluation " + ev.ID.String()
	if *dry {
		what = "dry run, nothing stored"
	}
	fmt.Fprintf(w, "maturity evaluation (%s): %s, level %d → %d, ready %t\n  %s\n", what, ev.Kind, ev.Level, ev.Target, ev.Ready, ev.Reason)
	fmt.Fprintf(w, "period %s to %s: %d deployments, %d incidents (P1 %d, P2 %d), incident rate %s\n",
		ev.PeriodFrom.UTC().Format(time.RFC3339), ev.PeriodTo.UTC().Format(time.RFC3339), ev.Deployments, ev.Incidents, ev.P1, ev.P2, ev.IncidentRate)
	for _, c := range ev.Criteria {
		fmt.Fprintf(w, "  %s\n", c)
	}
	if doc.Applied {
		fmt.Fprintf(w, "regression applied: the installation is at level %d\n", ev.Target)
	}
	return nil
}

// dryRun judges the installation at now as maturity.Engine.Evaluate does,
// on the inputs maturity.ReadInputs gathers as the engine does, and
// stores nothing.
func dryRun(ctx context.Context, s *db, now time.Time) (maturity.Evaluation, error) {
	var policy maturity.Policy
	in, err := maturity.ReadInputs(ctx, s, policy, now)
	if err != nil {
		return maturity.Evaluation{}, err
	}
	return maturity.Evaluate(maturity.Levels(), policy, in), nil
}
