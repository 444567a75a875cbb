package memstore

import (
	"testing"
	"time"

	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T, now func() time.Time) store.Store {
			return New(Options{Now: now})
		},
		Tamper: newTamperer,
	})
}
