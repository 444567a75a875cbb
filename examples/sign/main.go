// Command sign is what a CAB member runs in a terminal to sign an approval
// with their own key, so that the server never holds it: in member-signed
// mode (the keyring's "mode": "member-signed") the reference server counts
// only approvals that come as DSSE envelopes signed by the member.
//
// Once, make a key and give the public half to whoever keeps the keyring:
//
//	go run ./examples/sign -keygen alice.pem > alice.pub.pem
//
// -keygen writes a new Ed25519 private key as PEM PKCS #8 (mode 0600; an
// existing file is never overwritten) and prints its public key, PEM
// SubjectPublicKeyInfo, the form the keyring file lists:
//
//	{"mode": "member-signed", "members": {"alice": ["-----BEGIN PUBLIC KEY-----\n…"]}}
//
// An openssl key works as well (openssl genpkey -algorithm ed25519), and so
// does an ECDSA P-256 key.
//
// Then, for each approval: fetch the canonical statement the server wants
// signed, sign it, and post the envelope:
//
//	curl -sH "Authorization: Bearer $TOKEN" \
//	  "$TG/api/v1/cab/requests/$ID/approval-statement?kind=approval&comment=tested+on+the+pilot+ring" > statement.json
//	go run ./examples/sign -key alice.pem < statement.json > envelope.json
//	curl -sH "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
//	  -d "{\"envelope\": $(cat envelope.json)}" "$TG/api/v1/cab/requests/$ID/approve"
//
// (-body writes {"envelope": …}, the approve endpoints' body, directly.)
// The same works for an exception (kind=exception_approval, posted to
// …/exception/approve), a risk model version
// (/api/v1/risk-models/{version}/approval-statement and …/approve) and a
// maturity progression (/api/v1/maturity/evaluations/{id}/approval-statement
// and …/approve).
//
// sign reads the statement from stdin and refuses anything but a canonical
// (RFC 8785) in-toto Statement v1 with a trustgate predicate type: a
// member's key signs trustgate's statements and nothing else. It shows
// what it signs on stderr (read it: the request, the member, the comment),
// signs the exact bytes as a DSSE envelope of payload type
// application/vnd.in-toto+json through crypto.Signer, and writes the
// envelope's JSON to stdout.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/buildworksai/trustgate/examples/internal/pemkey"
	stmt "github.com/buildworksai/trustgate/examples/internal/statement"
	"github.com/buildworksai/trustgate/security/dsse"
)

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "sign:", err)
		}
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	fs.SetOutput(stderr)
	keyPath := fs.String("key", "", "private key file (PEM PKCS #8, Ed25519 or ECDSA P-256) to sign the statement on stdin with")
	keygen := fs.String("keygen", "", "write a new Ed25519 private key to this file (mode 0600) and print its public key")
	body := fs.Bool("body", false, `write {"envelope": …}, the body of the approve endpoints, instead of the bare envelope`)
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	case *keygen != "" && *keyPath != "":
		return errors.New("give -key or -keygen, not both")
	case *keygen != "":
		return generate(*keygen, stdout, stderr)
	case *keyPath == "":
		return errors.New("give -key FILE to sign the statement on stdin, or -keygen FILE to make a key")
	}
	return sign(*keyPath, *body, stdin, stdout, stderr)
}

// generate writes a new Ed25519 key to path and prints its public key.
func generate(path string, stdout, stderr io.Writer) error {
	k, err := pemkey.GenerateEd25519()
	if err != nil {
		return err
	}
	pub, err := pemkey.MarshalPublicKey(k.Public())
	if err != nil {
		return err
	}
	id, err := dsse.KeyID(k.Public())
	if err != nil {
		return err
	}
	if err := pemkey.WritePrivateKey(path, k); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "wrote the private key to %s (keep it to yourself); its public key, key id %s:\n", path, id)
	_, err = stdout.Write(pub)
	return err
}

// sign signs the statement on stdin with the key at path (package
// statement checks it and shows it on stderr first).
func sign(path string, wrap bool, stdin io.Reader, stdout, stderr io.Writer) error {
	key, err := pemkey.LoadPrivateKey(path)
	if err != nil {
		return err
	}
	raw, err := io.ReadAll(io.LimitReader(stdin, dsse.MaxPayload+1))
	if err != nil {
		return err
	}
	if len(raw) > dsse.MaxPayload {
		return fmt.Errorf("the statement is larger than %d bytes", dsse.MaxPayload)
	}
	env, err := stmt.Sign(key, stmt.Trim(raw), stderr)
	if err != nil {
		return err
	}
	out, err := env.Marshal()
	if err != nil {
		return err
	}
	if wrap {
		out = stmt.Body(out)
	}
	_, err = stdout.Write(append(out, '\n'))
	return err
}
