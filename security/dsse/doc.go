// Package dsse implements DSSE, the Dead Simple Signing Envelope, protocol
// v1 (https://github.com/secure-systems-lab/dsse): how trustgate signs its
// statements (CAB approvals, evidence, risk model sign-offs) so that anyone
// holding the public key can check them, with this package or any other
// DSSE implementation.
//
// # Envelope
//
// An [Envelope] carries a payload (the serialized body, any bytes), a
// payload type saying how to interpret it ("application/vnd.in-toto+json")
// and one or more signatures, each with an optional key id:
//
//	{"payloadType": "application/vnd.in-toto+json",
//	 "payload": "eyJfdHlwZSI6...",
//	 "signatures": [{"keyid": "5c1e...", "sig": "MEUCIQ..."}]}
//
// [Seal] makes one, [Verify] checks it against a public key, [Parse] reads
// the JSON form and [Envelope.Marshal] writes it.
//
// # Pre-authentication encoding
//
// What is signed is not the payload but its pre-authentication encoding,
// [PAE]:
//
//	"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
//
// with the lengths in ASCII decimal. Signing the PAE instead of the raw
// payload does three things. The payload type is signed too, so a
// signature over a statement of one kind can never be replayed as a
// payload of another kind that happens to share its bytes (an approval
// passed off as evidence). The encoding is unambiguous, because each part
// is prefixed by its length: no two (type, body) pairs have the same PAE,
// which a plain concatenation would not guarantee. And the verifier checks
// the signature over exactly the bytes it received, before it parses the
// payload at all: no canonicalization of JSON (or anything else) stands
// between the signature and the bytes, and the payload's parser never sees
// unsigned input. The "DSSEv1" prefix separates these signatures from
// signatures the same key makes for any other purpose.
//
// # Keys and key ids
//
// Two kinds of key are supported: Ed25519 (ed25519.PublicKey), which signs
// the PAE itself, and ECDSA on NIST P-256 (*ecdsa.PublicKey), which signs
// SHA-256(PAE) and gives ASN.1 DER signatures. Anything else, RSA and the
// other curves included, is an error wrapping [ErrUnsupportedKey]: two
// well-understood algorithms that every KMS and HSM offers are enough, and
// each one more is one more way to get verification wrong. A [Signer]
// wraps any crypto.Signer with such a key: a cloud KMS, an HSM, an agent or
// a key in memory. It checks each signature it makes against its public
// key before returning it.
//
// The key id of a public key ([KeyID]) is the lower-case hex SHA-256 of
// its PKIX SubjectPublicKeyInfo DER encoding (what
// x509.MarshalPKIXPublicKey produces): derived from the key alone, the
// same whichever tool computes it (openssl pkey -pubout -outform DER |
// sha256sum), and naming the algorithm along with the key bits. In DSSE
// the key id is an unauthenticated hint: [Verify] uses it only to skip
// signatures that name another key, and tries those with an empty key id.
// Security never rests on it.
//
// # Strict parsing
//
// [Parse] is stricter than the DSSE envelope specification's parsing rules,
// deliberately: it accepts only standard, padded base64 (not the URL-safe
// alphabet the specification also allows), and rejects unknown members
// (which the specification says to ignore), duplicate members, null
// values, invalid UTF-8 and trailing data, and enforces size limits
// ([MaxPayload], [MaxSignatures]). Envelopes trustgate stores are ones it
// made, so nothing valid is lost, and what is accepted has a single
// meaning. An absent keyid is accepted and read as empty, as the
// specification requires. Every error names the JSON path at fault, in
// the Field of a *trustgate.Error wrapping [ErrMalformed].
package dsse
