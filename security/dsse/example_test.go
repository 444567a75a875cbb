package dsse_test

import (
	"crypto/ed25519"
	"fmt"

	"github.com/buildworksai/trustgate/security/dsse"
)

// Seal a statement with an Ed25519 key, send its JSON form, and verify
// what arrives. Ed25519 signatures are deterministic, so with a fixed seed
// the envelope is too.
func Example() {
	seed := make([]byte, ed25519.SeedSize) // in real use: a KMS, an HSM, or a key from a secret store
	for i := range seed {
		seed[i] = byte(i)
	}
	key := ed25519.NewKeyFromSeed(seed)

	signer, err := dsse.NewSigner(key)
	if err != nil {
		fmt.Println(err)
		return
	}
	env, err := dsse.Seal("http://example.com/HelloWorld", []byte("hello world"), signer)
	if err != nil {
		fmt.Println(err)
		return
	}
	wire, err := env.Marshal()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("signed: %s\n", dsse.PAE(env.PayloadType, env.Payload))
	fmt.Printf("envelope: %s\n", wire)

	// The receiver parses the envelope and checks it against the key it
	// trusts.
	got, err := dsse.Parse(wire)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("keyid:", got.Signatures[0].KeyID)
	fmt.Println("verify:", dsse.Verify(&got, key.Public()))

	got.Payload = []byte("hello world!")
	fmt.Println("tampered:", dsse.Verify(&got, key.Public()) != nil)
	// Output:
	// signed: DSSEv1 29 http://example.com/HelloWorld 11 hello world
	// envelope: {"payloadType":"http://example.com/HelloWorld","payload":"aGVsbG8gd29ybGQ=","signatures":[{"keyid":"a050837d85070582ccf7394b0988847cc312cb88259b894899f6f239cf1791a5","sig":"FDBuhhGZHrQaLnHA+xYDozNBKtORTT3EFhGJXczChh8PCqB471sDESzy2zguMGQOk8D+Ij2hb/eoUkqxc/qgCg=="}]}
	// keyid: a050837d85070582ccf7394b0988847cc312cb88259b894899f6f239cf1791a5
	// verify: <nil>
	// tampered: true
}
