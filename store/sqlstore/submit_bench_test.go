package sqlstore_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/buildworksai/trustgate/store/sqlstore/sqlite"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// The submission benchmarks measure one whole cab.Workflow Submit on a
// seeded SQL store: the active model read, scoring of seven factor values,
// the evidence read and integrity check, the decision, and the commit of the
// request with its cab.submitted audit event. Each submission has a
// correlation id of its own, so every iteration writes. "Parallel" runs
// eight goroutines at once (GOMAXPROCS 2 × parallelism 4).
//
//	go test -run '^$' -bench Submit -benchmem ./store/sqlstore
//
// The PostgreSQL variants run when TRUSTGATE_TEST_POSTGRES_DSN is set.

func benchmarkSubmit(b *testing.B, s store.Store) {
	ctx := context.Background()
	if err := store.Seed(ctx, s, time.Now()); err != nil {
		b.Fatal(err)
	}
	ev, err := security.NewEvidence(uuid.New(), "build-7.2.1", benchEvidenceData(), time.Now())
	if err != nil {
		b.Fatal(err)
	}
	if ev, err = s.CreateEvidence(ctx, ev, "release-pipeline"); err != nil {
		b.Fatal(err)
	}
	w, err := cab.NewWorkflow(s, cab.Options{})
	if err != nil {
		b.Fatal(err)
	}
	factors := map[riskmodel.Factor]decimal.Decimal{}
	for i, f := range slices.Sorted(maps.Keys(riskmodel.DefaultWeights())) {
		factors[f] = decimal.NewFromInt(int64(10 + 7*i))
	}
	var n atomic.Int64
	submit := func() error {
		_, err := w.Submit(ctx, cab.Submission{
			EvidenceID: ev.ID, DeploymentIntentID: uuid.New(), CorrelationID: fmt.Sprintf("chg-%d", n.Add(1)),
			Application: "Acme Agent 7.2.1", Factors: factors, Class: blastradius.ProductivityTools,
			Submitter: "release-pipeline",
		})
		return err
	}
	b.Run("Serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := submit(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := submit(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkSubmitSQLite submits on a SQLite file opened as installations
// open it (sqlite.Open).
func BenchmarkSubmitSQLite(b *testing.B) {
	db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "trustgate.db"), sqlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	benchmarkSubmit(b, db)
}

// BenchmarkSubmitPostgres submits on a fresh schema of the PostgreSQL
// server in TRUSTGATE_TEST_POSTGRES_DSN.
func BenchmarkSubmitPostgres(b *testing.B) {
	if os.Getenv(postgresEnv) == "" {
		b.Skip(postgresEnv + " not set: skipping PostgreSQL (source .ci/postgres.sh to start a server)")
	}
	s, err := sqlstore.New(openPostgres(b, freshSchema(b)), sqlstore.PostgreSQL, sqlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Migrate(b.Context()); err != nil {
		b.Fatal(err)
	}
	benchmarkSubmit(b, s)
}
