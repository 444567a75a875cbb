package memstore_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/memstore"
)

func ExampleNew() {
	ctx := context.Background()
	now := time.Date(2026, 2, 10, 9, 0, 0, 0, time.UTC)
	s, err := store.New(memstore.New(memstore.Options{}), store.Options{Now: func() time.Time { return now }})
	if err != nil {
		fmt.Println("store:", err)
		return
	}
	// The service key signs what trustgate decides; here a key made for
	// the example, in an installation one held outside the database (a
	// KMS, an HSM, a file only the service reads).
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		fmt.Println("key:", err)
		return
	}
	keys, err := attest.NewKeyring(attest.Config{Service: pub})
	if err != nil {
		fmt.Println("keyring:", err)
		return
	}
	svc, err := attest.NewService(priv, keys)
	if err != nil {
		fmt.Println("service:", err)
		return
	}
	if err := store.Seed(ctx, s, svc, now); err != nil {
		fmt.Println("seed:", err)
		return
	}
	active, err := s.ActiveRiskModel(ctx)
	if err != nil {
		fmt.Println("active model:", err)
		return
	}
	head, err := s.AuditHead(ctx)
	if err != nil {
		fmt.Println("audit head:", err)
		return
	}
	fmt.Println("active risk model:", active.Version)
	fmt.Println("audit events:", head.Size)
	// Output:
	// active risk model: 1.1
	// audit events: 3
}
