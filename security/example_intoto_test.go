package security_test

import (
	"fmt"
	"time"

	"github.com/buildworksai/trustgate/security"
	"github.com/google/uuid"
)

func ExampleParseEvidenceDigest() {
	hex := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	a, _ := security.ParseEvidenceDigest("sha256", hex)
	b, _ := security.ParseEvidenceDigest("sha256", "sha256:"+hex)
	fmt.Println(a == b, b)

	_, err := security.ParseEvidenceDigest("artifacts[0].sha256", "sha512:ee26b0dd4af7e749aa1a8ee3c10ae9923f618980772e473f8819a5d4940e0db2")
	fmt.Println(err)
	// Output:
	// true 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
	// security: artifacts[0].sha256: the digest algorithm is "sha512": only sha256 is supported
}

// A SLSA provenance statement, as a build system wrote it, wrapped with
// the blast radius class trustgate needs: its subjects are the package's
// artifacts.
func ExampleNewEvidence_inTotoStatement() {
	provenance := `{
	  "_type": "https://in-toto.io/Statement/v1",
	  "subject": [
	    {"name": "zoom-6.1.msi", "digest": {"sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}}
	  ],
	  "predicateType": "https://slsa.dev/provenance/v1",
	  "predicate": {"buildDefinition": {"buildType": "https://actions.github.io/buildtypes/workflow/v1"}}
	}`
	data := `{"in_toto_statement": ` + provenance + `, "blast_radius_class": "PRODUCTIVITY_TOOLS"}`
	ev, err := security.NewEvidence(uuid.New(), "build-42", []byte(data), time.Now())
	if err != nil {
		fmt.Println(err)
		return
	}
	m, _ := ev.Manifest()
	class, _ := m.Class()
	fmt.Println(m.Artifacts[0].Name, m.Artifacts[0].SHA256)
	fmt.Println(class, m.PredicateType)

	// The same statement with no sha256 in a subject's digest set.
	_, err = security.NewEvidence(uuid.New(), "build-43", []byte(`{"_type":"https://in-toto.io/Statement/v1",
	  "subject":[{"name":"zoom-6.1.msi","digest":{"sha512":"ee26"}}],"predicateType":"https://slsa.dev/provenance/v1"}`), time.Now())
	fmt.Println(err)
	// Output:
	// zoom-6.1.msi 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
	// PRODUCTIVITY_TOOLS https://slsa.dev/provenance/v1
	// security: subject[0].digest: has no sha256 digest (it has "sha512"): only sha256 is supported
}
