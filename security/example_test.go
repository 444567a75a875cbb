package security_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store"
	"github.com/buildworksai/trustgate/store/memstore"
	"github.com/google/uuid"
)

func ExampleValidator_ValidateDeployment() {
	ctx := context.Background()
	s, _ := store.New(memstore.New(memstore.Options{}), store.Options{})
	artifact := []byte("the installer's bytes")

	// The packaging pipeline uploads evidence naming the artifact's digest.
	data := fmt.Sprintf(`{"artifacts":[{"name":"zoom.msi","sha256":%q}],"blast_radius_class":"PRODUCTIVITY_TOOLS"}`, hexSum(artifact))
	ev, _ := security.NewEvidence(uuid.New(), "build-42", []byte(data), time.Now())
	ev, _ = s.CreateEvidence(ctx, ev, "pipeline")

	// The connector validates the bytes it is about to push.
	v, _ := security.NewValidator(s, security.Options{Policy: security.Policy{SBOMOptional: true}})
	rep, err := v.ValidateDeployment(ctx, security.Request{EvidenceID: ev.ID, Artifact: bytes.NewReader(artifact), Actor: "connector"})
	fmt.Println("passed:", rep.Passed(), err)

	// The same call with swapped bytes is blocked, with a reason code.
	_, err = v.ValidateDeployment(ctx, security.Request{EvidenceID: ev.ID, Artifact: bytes.NewReader([]byte("other bytes")), Actor: "connector"})
	var blocked *security.ValidationError
	if errors.As(err, &blocked) {
		fmt.Println("blocked:", blocked.Code)
	}
	// Output:
	// passed: true <nil>
	// blocked: ARTIFACT_HASH_MISMATCH
}
