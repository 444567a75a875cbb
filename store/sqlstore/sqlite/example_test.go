package sqlite_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/sqlstore"
	"github.com/buildworksai/trustgate/store/sqlstore/sqlite"
)

func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "trustgate")
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = os.RemoveAll(dir) }()

	db, err := sqlite.Open(ctx, filepath.Join(dir, "trustgate.db"), sqlstore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	s, err := store.New(db, store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = s.Close() }() // closes db's pools

	// The service key that signs the seed; an installation holds it
	// outside the database.
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		log.Fatal(err)
	}
	keys, err := attest.NewKeyring(attest.Config{Service: pub})
	if err != nil {
		log.Fatal(err)
	}
	svc, err := attest.NewService(priv, keys)
	if err != nil {
		log.Fatal(err)
	}
	if err := store.Seed(ctx, s, svc, time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)); err != nil {
		log.Fatal(err)
	}
	v, err := s.ActiveRiskModel(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("active model:", v.Version, v.Mode)
	head, err := security.VerifyChain(ctx, s, security.VerifyOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("audit events:", head.Size)
	// Output:
	// active model: 1.1 GREENFIELD_CONSERVATIVE
	// audit events: 3
}
