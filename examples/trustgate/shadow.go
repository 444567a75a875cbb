package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/store"
)

const shadowAbout = `
Replays the CAB submissions of [-from, -to) through a candidate risk model
(-model, a JSON file: a risk model version in the library's JSON form,
riskmodel.Version's, of which only the numbers are needed: version,
mode, effective_at, review_at, thresholds, weights, exception_threshold,
decimals as strings), which need not be stored,
approved or active (cab.Workflow.Shadow): each submission is rescored from
its recorded factor values under the candidate's weights and decided with
its class under the candidate's thresholds. It lists the decisions that
would change, and how the deployments the candidate would now approve
automatically fared (their incidents): the risk a CAB is asked to accept
before it approves the model. It writes nothing and needs no key.

-from and -to are RFC 3339 times or dates; -to defaults to now and -from to
four weeks before it. Exit status 0 whatever the replay finds; 3 when the
model file does not hold a valid risk model.`

// shadowDoc is the -json document of shadow.
type shadowDoc struct {
	Candidate                      string      `json:"candidate"`
	From                           time.Time   `json:"from"`
	To                             time.Time   `json:"to"`
	Requests                       int         `json:"requests"`
	Changed                        int         `json:"changed"`
	Rescored                       int         `json:"rescored"`
	NewlyAutoApproved              int         `json:"newly_auto_approved"`
	NewlyAutoApprovedWithIncidents int         `json:"newly_auto_approved_with_incidents"`
	NoLongerAutoApproved           int         `json:"no_longer_auto_approved"`
	Changes                        []changeDoc `json:"changes"`
}

type changeDoc struct {
	RequestID     string `json:"request_id"`
	CorrelationID string `json:"correlation_id"`
	Application   string `json:"application"`
	Class         string `json:"class"`
	Was           string `json:"was"`
	Would         string `json:"would"`
	Score         string `json:"score"`       // the score it was decided with
	WouldScore    string `json:"would_score"` // under the candidate
	Incidents     int    `json:"incidents"`
}

func runShadow(ctx context.Context, e *env, args []string) error {
	fs := flagSet(e, "shadow", "-db FILE|-postgres DSN -model FILE [-from TIME] [-to TIME] [-json]", shadowAbout)
	var f dbFlags
	f.register(fs)
	modelPath := fs.String("model", "", "the candidate risk model `file` (JSON)")
	fromS := fs.String("from", "", "the period's start, `time` or date (default: four weeks before -to)")
	toS := fs.String("to", "", "the period's end, excluded, `time` or date (default: now)")
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
	if *modelPath == "" {
		return usageError("-model FILE is required: the candidate risk model to replay the submissions through")
	}
	to := time.Now().UTC()
	if *toS != "" {
		if to, err = parseTime("to", *toS); err != nil {
			return err
		}
	}
	from := to.AddDate(0, 0, -28)
	if *fromS != "" {
		if from, err = parseTime("from", *fromS); err != nil {
			return err
		}
	}
	if !from.Before(to) {
		return usageError("-from %s is not before -to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	b, err := readFile("model", *modelPath)
	if err != nil {
		return err
	}
	candidate, err := parseCandidate(b)
	if err != nil {
		return cannotRun(fmt.Errorf("-model %s: %w", *modelPath, err))
	}
	s, err := f.open(ctx, false, store.Options{})
	if err != nil {
		return err
	}
	defer s.close()
	wf, err := readOnlyWorkflow(s.Store)
	if err != nil {
		return cannotRun(err)
	}
	rep, err := wf.Shadow(ctx, &candidate, from, to)
	if err != nil {
		return cannotRun(err)
	}
	doc := shadowDoc{Candidate: rep.Candidate, From: rep.From, To: rep.To, Requests: rep.Requests, Changed: rep.Changed, Rescored: rep.Rescored,
		NewlyAutoApproved: rep.NewlyAutoApproved, NewlyAutoApprovedWithIncidents: rep.NewlyAutoApprovedWithIncidents,
		NoLongerAutoApproved: rep.NoLongerAutoApproved, Changes: []changeDoc{}}
	for _, c := range rep.Changes {
		doc.Changes = append(doc.Changes, changeDoc{RequestID: c.RequestID.String(), CorrelationID: c.Request.CorrelationID,
			Application: c.Request.Application, Class: string(c.Request.Decision.Class), Was: string(c.Was), Would: string(c.Would),
			Score: c.Request.Decision.Score.String(), WouldScore: c.WouldScore.String(), Incidents: c.Incidents})
	}
	if f.json {
		return writeJSON(e.stdout, doc)
	}
	w := e.stdout
	fmt.Fprintf(w, "shadow evaluation of risk model %s, %s to %s\n", doc.Candidate, doc.From.Format(time.RFC3339), doc.To.Format(time.RFC3339))
	fmt.Fprintf(w, "%d submissions replayed (%d rescored from their factors), %d decisions would change: %d newly auto-approved (%d of them with incidents), %d no longer auto-approved\n",
		doc.Requests, doc.Rescored, doc.Changed, doc.NewlyAutoApproved, doc.NewlyAutoApprovedWithIncidents, doc.NoLongerAutoApproved)
	if len(doc.Changes) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "request\tapplication\tclass\twas\twould be\tscore\tincidents")
	for _, c := range doc.Changes {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s → %s\t%d\n", c.CorrelationID, c.Application, c.Class, c.Was, c.Would, c.Score, c.WouldScore, c.Incidents)
	}
	return tw.Flush()
}

// readOnlyWorkflow is a CAB workflow over s for Shadow, which reads and
// never signs: cab.NewWorkflow requires a service, so it gets one over a
// throwaway key that signs nothing (the store is open read-only besides).
func readOnlyWorkflow(s *store.Store) (*cab.Workflow, error) {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	keys, err := attest.NewKeyring(attest.Config{Service: pub})
	if err != nil {
		return nil, err
	}
	svc, err := attest.NewService(key, keys)
	if err != nil {
		return nil, err
	}
	return cab.NewWorkflow(s, cab.Options{Service: svc})
}

// parseCandidate reads a candidate model file in riskmodel.Version's JSON
// form: strictly (no unknown member, nothing after the object, every
// decimal a string) and validated, its errors *trustgate.Error values of
// code Invalid naming the member.
func parseCandidate(b []byte) (riskmodel.Version, error) {
	var v riskmodel.Version
	err := v.UnmarshalJSON(b)
	return v, err
}
