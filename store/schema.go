package store

import "github.com/buildworksai/trustgate/store/driver"

// tables is the store's schema: every table it keeps rows in. Each record
// file defines its own tables next to its encoding.
type tables struct {
	models, thresholds, weights *driver.Table
	classes                     *driver.Table
	maturity                    *driver.Table
	events, checkpoints         *driver.Table
	tree, notes                 *driver.Table
	evidence                    *driver.Table
	deployments, incidents      *driver.Table
	evaluations, criteria       *driver.Table
	requests                    *driver.Table
	days, auto                  *driver.Table // the calibration buckets
}

func newTables() *tables {
	t := &tables{
		classes:     classTable(),
		maturity:    maturityTable(),
		events:      eventTable(),
		checkpoints: checkpointTable(),
		tree:        treeTable(),
		notes:       noteTable(),
		evidence:    evidenceTable(),
		deployments: deploymentTable(),
		incidents:   incidentTable(),
		requests:    requestTable(),
		days:        calibrationDayTable(),
		auto:        calibrationAutoTable(),
	}
	t.models, t.thresholds, t.weights = modelTables()
	t.evaluations, t.criteria = evaluationTables()
	return t
}

// all lists the tables in the order a database would create them (a table
// after those it refers to).
func (t *tables) all() []*driver.Table {
	return []*driver.Table{t.models, t.thresholds, t.weights, t.classes, t.maturity, t.events, t.checkpoints,
		t.tree, t.notes, t.evidence, t.deployments, t.incidents, t.evaluations, t.criteria, t.requests, t.days, t.auto}
}

// Tables returns the definitions of every table the store keeps rows in:
// what a driver must be able to store. A SQL driver's migrations create
// them (the sqlstore package's tests check that its schema matches); an
// in-memory or key-value driver can build its tables from them.
func Tables() []*driver.Table { return newTables().all() }
