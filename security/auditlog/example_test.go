package auditlog_test

import (
	"crypto/ed25519"
	"fmt"

	"github.com/buildworksai/trustgate/security/auditlog"
	"golang.org/x/mod/sumdb/tlog"
)

// Build a log of three events, sign its checkpoint, prove that the second
// event is in it, and verify the proof with nothing but the proof text and
// the log's verifier key. Ed25519 signatures are deterministic, so with a
// fixed seed the output is too.
func Example() {
	seed := make([]byte, ed25519.SeedSize) // in real use: a KMS, an HSM, or a key from a secret store
	for i := range seed {
		seed[i] = byte(i)
	}
	signer, err := auditlog.NewSigner("example.com/audit", ed25519.NewKeyFromSeed(seed))
	if err != nil {
		fmt.Println(err)
		return
	}

	// The log: each append returns the hashes a store keeps.
	var tree auditlog.Tree
	var stored hashes
	events := [][]byte{[]byte("deploy api v1"), []byte("approve api v2"), []byte("deploy api v2")}
	for _, e := range events {
		hs, err := tree.Append(e)
		if err != nil {
			fmt.Println(err)
			return
		}
		stored = append(stored, hs...)
	}
	root, err := tree.Root()
	if err != nil {
		fmt.Println(err)
		return
	}
	checkpoint, err := auditlog.Sign(auditlog.Checkpoint{Origin: "example.com/audit", Size: tree.Size(), Hash: root}, signer)
	if err != nil {
		fmt.Println(err)
		return
	}

	// The proof of event 1, as text.
	path, err := auditlog.ProveInclusion(stored, tree.Size(), 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	text := auditlog.InclusionProof{Index: 1, Hashes: path, Checkpoint: checkpoint, Extra: events[1]}.Marshal()
	fmt.Printf("%s", text)

	// The verifier has the text and the verifier key, nothing else.
	fmt.Println("verifier key:", signer.VerifierKey())
	log, err := auditlog.NewVerifier(signer.VerifierKey())
	if err != nil {
		fmt.Println(err)
		return
	}
	proof, err := auditlog.ParseInclusionProof(text)
	if err != nil {
		fmt.Println(err)
		return
	}
	v, leaf, err := auditlog.VerifyInclusion(proof, auditlog.Trust{Origin: "example.com/audit", Log: log})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("verified: leaf %d of %d in %s is %q\n", proof.Index, v.Size, v.Origin, leaf)

	// Output:
	// c2sp.org/tlog-proof@v1
	// extra YXBwcm92ZSBhcGkgdjI=
	// index 1
	// byAZVGbvsMI6lNS7kiwMnB9HBOKnqsj9o5MJgBx6wG8=
	// Vk/H2XF0W8O/DRB9VaPjm7hkm26ddrOWIL427kLAwXA=
	//
	// example.com/audit
	// 3
	// QBSyKehG4Mi0dw+zqDHeuPW6+gMvu/xwSB/KXf6vQd4=
	//
	// — example.com/audit Kbh7/JhFUT6ThQ2kUztiYwMLnmbinHElCZ6fPlt52GUeJCOC4wlThYLjvjbOjHbrALIQ3rxeqRwh9fKtVYmpIuqnKwI=
	// verifier key: example.com/audit+29b87bfc+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4
	// verified: leaf 1 of 3 in example.com/audit is "approve api v2"
}

// hashes is a tlog.HashReader over the stored hashes, by index: what a
// store's table of hashes is.
type hashes []tlog.Hash

func (h hashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(h)) {
			return nil, fmt.Errorf("hash %d not stored", x)
		}
		out[i] = h[x]
	}
	return out, nil
}
