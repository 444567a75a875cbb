package dsse

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"reflect"
	"strconv"
	"unicode/utf8"

	"github.com/buildworksai/trustgate"
)

// Limits of an envelope. [Parse] rejects envelopes beyond them and [Seal]
// and [Signer.Sign] refuse to make one.
const (
	// MaxPayload is the largest payload, in bytes once decoded.
	MaxPayload = 1 << 20
	// MaxSignatures is the most signatures an envelope may carry.
	MaxSignatures = 16
)

// Limits of the envelope's strings, in bytes (decoded, for sig).
const (
	maxPayloadType = 256
	maxKeyID       = 256
	maxSig         = 1024
)

// Envelope is a DSSE envelope: a payload, the type that says how to read
// it, and signatures over both. Its JSON form is
//
//	{"payloadType": string, "payload": base64, "signatures": [{"keyid": string, "sig": base64}]}
//
// with standard, padded base64 (RFC 4648 §4). Read it with [Parse], which
// is strict, and write it with [Envelope.Marshal].
type Envelope struct {
	// PayloadType says how to interpret Payload, for example
	// "application/vnd.in-toto+json". It is signed.
	PayloadType string `json:"payloadType"`
	// Payload is the signed message, the serialized body.
	Payload []byte `json:"payload"` // []byte marshals as standard base64, as DSSE specifies
	// Signatures are the signatures over PAE(PayloadType, Payload).
	Signatures []Signature `json:"signatures"`
}

// Signature is one signature of an envelope.
type Signature struct {
	// KeyID is an unauthenticated hint naming the key that made Sig:
	// [KeyID] of its public key for signatures made here, possibly empty
	// for others. It only narrows the keys [Verify] tries; it is not
	// signed and never decides anything.
	KeyID string `json:"keyid"`
	// Sig is the signature: 64 bytes for Ed25519, ASN.1 DER for ECDSA.
	Sig []byte `json:"sig"`
}

// PAE is the pre-authentication encoding "DSSEv1" SP LEN(type) SP type SP
// LEN(body) SP body (lengths ASCII decimal): the bytes that are signed.
func PAE(payloadType string, payload []byte) []byte {
	b := make([]byte, 0, len("DSSEv1   ")+2*20+len(payloadType)+len(payload))
	b = append(b, "DSSEv1 "...)
	b = strconv.AppendInt(b, int64(len(payloadType)), 10)
	b = append(b, ' ')
	b = append(b, payloadType...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(len(payload)), 10)
	b = append(b, ' ')
	return append(b, payload...)
}

// alg is a supported signature algorithm.
type alg int

const (
	algEd25519 alg = iota + 1 // Ed25519 over the PAE (pure Ed25519, RFC 8032)
	algP256                   // ECDSA P-256 over SHA-256(PAE), ASN.1 DER
)

// The DER encodings of the SubjectPublicKeyInfo (RFC 5280) of an Ed25519
// key (RFC 8410) and of an ECDSA P-256 key (RFC 5480) up to the key bytes:
// 32 bytes of Ed25519 key, 65 bytes of uncompressed P-256 point.
const (
	spkiEd25519 = "\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00"
	spkiP256    = "\x30\x59\x30\x13\x06\x07\x2a\x86\x48\xce\x3d\x02\x01" +
		"\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07\x03\x42\x00"
)

// key is a checked public key: its algorithm, the key, and the SHA-256 of
// its SubjectPublicKeyInfo.
type key struct {
	alg     alg
	ed25519 ed25519.PublicKey
	ecdsa   *ecdsa.PublicKey
	id      [sha256.Size]byte
}

// checkKey checks that pub is a supported, well-formed public key. It
// never panics: nil, typed nil, wrong-length Ed25519 keys, ECDSA keys
// without a curve or coordinates and points off the curve are errors.
func checkKey(pub crypto.PublicKey) (key, error) {
	switch p := pub.(type) {
	case nil:
		return key{}, unsupported("the key is nil")
	case ed25519.PublicKey:
		if len(p) != ed25519.PublicKeySize {
			return key{}, unsupported("an Ed25519 public key is " + strconv.Itoa(ed25519.PublicKeySize) +
				" bytes, got " + strconv.Itoa(len(p)))
		}
		var spki [len(spkiEd25519) + ed25519.PublicKeySize]byte
		copy(spki[copy(spki[:], spkiEd25519):], p)
		return key{alg: algEd25519, ed25519: p, id: sha256.Sum256(spki[:])}, nil
	case *ecdsa.PublicKey:
		if p == nil {
			return key{}, unsupported("the ECDSA key is nil")
		}
		if p.Curve != elliptic.P256() {
			return key{}, unsupported("only ECDSA keys on P-256 are supported")
		}
		//lint:ignore SA1019 only checked for nil, which would make Bytes panic
		if p.X == nil || p.Y == nil {
			return key{}, unsupported("the ECDSA key has no point")
		}
		point, err := p.Bytes()
		if err != nil || len(point) != 65 {
			return key{}, unsupported("the ECDSA key is not a valid P-256 point")
		}
		var spki [len(spkiP256) + 65]byte
		copy(spki[copy(spki[:], spkiP256):], point)
		return key{alg: algP256, ecdsa: p, id: sha256.Sum256(spki[:])}, nil
	}
	return key{}, unsupported("type " + reflect.TypeOf(pub).String() + " (want ed25519.PublicKey or *ecdsa.PublicKey on P-256)")
}

// verify reports whether sig is k's signature of pae.
func (k *key) verify(pae, sig []byte) bool {
	switch k.alg {
	case algEd25519:
		return len(sig) == ed25519.SignatureSize && ed25519.Verify(k.ed25519, pae, sig)
	case algP256:
		d := sha256.Sum256(pae)
		return ecdsa.VerifyASN1(k.ecdsa, d[:], sig)
	}
	return false
}

// KeyID returns the key id trustgate gives a public key: lower-case hex
// SHA-256 of its PKIX (SubjectPublicKeyInfo) DER encoding, the same as
// hashing the output of x509.MarshalPKIXPublicKey. Supported:
// ed25519.PublicKey and *ecdsa.PublicKey on P-256; anything else is an
// error wrapping [ErrUnsupportedKey].
func KeyID(pub crypto.PublicKey) (string, error) {
	k, err := checkKey(pub)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(k.id[:]), nil
}

// Signer signs envelopes with a crypto.Signer (a KMS, an HSM, an agent or
// an in-memory key). Ed25519 keys sign the PAE itself (crypto.Hash(0));
// ECDSA P-256 keys sign SHA-256(PAE) with crypto.SHA256, ASN.1 signatures.
//
// A Signer is immutable once made by [NewSigner] and is safe for
// concurrent use if its crypto.Signer is.
type Signer struct {
	signer crypto.Signer
	keyID  string
	key    key
	// check: verify each signature before returning it. Off for the
	// standard library's in-memory keys, whose signatures are correct by
	// construction (NewSigner has checked the key); on for every other
	// crypto.Signer (a KMS, an HSM, an agent), where a fault would
	// otherwise surface only when the envelope fails to verify.
	check bool
}

// NewSigner returns the Signer that signs with s. A nil s (or a typed nil),
// or one whose public key [KeyID] does not support, is an error wrapping
// [ErrUnsupportedKey]; so is an in-memory ed25519.PrivateKey of the wrong
// length or whose public half does not match its seed.
func NewSigner(s crypto.Signer) (*Signer, error) {
	if isNil(s) {
		return nil, unsupported("the signer is nil")
	}
	// In-memory Ed25519 keys panic in Public and Sign when malformed.
	check := true
	switch p := s.(type) {
	case ed25519.PrivateKey:
		if err := checkEd25519Private(p); err != nil {
			return nil, err
		}
		check = false
	case *ed25519.PrivateKey:
		if err := checkEd25519Private(*p); err != nil {
			return nil, err
		}
		check = false
	}
	pub := s.Public()
	if isNil(pub) {
		return nil, unsupported("the signer has no public key")
	}
	k, err := checkKey(pub)
	if err != nil {
		return nil, err
	}
	// Own copies of the public key: the caller's may change.
	switch k.alg {
	case algEd25519:
		k.ed25519 = append(ed25519.PublicKey(nil), k.ed25519...)
	case algP256:
		point, _ := k.ecdsa.Bytes() // checked by checkKey
		if k.ecdsa, err = ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point); err != nil {
			return nil, unsupported("the ECDSA key is not a valid P-256 point")
		}
	}
	return &Signer{signer: s, keyID: hex.EncodeToString(k.id[:]), key: k, check: check}, nil
}

// checkEd25519Private checks an in-memory Ed25519 private key: 64 bytes,
// the seed then the public key it derives.
func checkEd25519Private(p ed25519.PrivateKey) error {
	if len(p) != ed25519.PrivateKeySize {
		return unsupported("an Ed25519 private key is " + strconv.Itoa(ed25519.PrivateKeySize) +
			" bytes, got " + strconv.Itoa(len(p)))
	}
	derived := ed25519.NewKeyFromSeed(p.Seed())
	if !derived.Equal(p) {
		return unsupported("the Ed25519 private key's public half does not match its seed")
	}
	return nil
}

// isNil reports whether v is nil or an interface holding a nil pointer,
// slice, map, channel or function.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Chan, reflect.Func, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// KeyID returns the key id of s's public key (see [KeyID]), "" for a nil
// Signer.
func (s *Signer) KeyID() string {
	if s == nil {
		return ""
	}
	return s.keyID
}

// Public returns s's public key: an ed25519.PublicKey or an
// *ecdsa.PublicKey on P-256, nil for a nil Signer. The ECDSA key is shared
// with s and must not be modified.
func (s *Signer) Public() crypto.PublicKey {
	if s == nil {
		return nil
	}
	switch s.key.alg {
	case algEd25519:
		return append(ed25519.PublicKey(nil), s.key.ed25519...)
	case algP256:
		return s.key.ecdsa
	}
	return nil
}

// Sign returns s's signature of payload as payloadType, with s's key id.
// rand may be nil (crypto/rand.Reader is used).
//
// A payloadType that is empty, longer than 256 bytes or not valid UTF-8,
// or a payload over [MaxPayload] bytes, is an error wrapping
// [ErrMalformed]: [Parse] would reject the envelope. An error from the
// crypto.Signer comes back with reason SIGNING_FAILED, code
// trustgate.Internal (trustgate.Canceled for a context's error) and the
// signer's error as Err. A signature by any crypto.Signer other than the
// standard library's in-memory Ed25519 key (whose signatures are correct
// by construction) is checked with s's public key before it is returned,
// so a faulty KMS, HSM or agent (one that returns another key's signature,
// or garbage) is an error with reason SIGNING_FAILED wrapping
// [ErrSignature], not an envelope that never verifies. A nil or
// zero Signer is an error wrapping [ErrUnsupportedKey].
func (s *Signer) Sign(rand io.Reader, payloadType string, payload []byte) (Signature, error) {
	if s == nil || s.signer == nil {
		return Signature{}, unsupported("the signer is nil or not made by NewSigner")
	}
	if err := checkContent(payloadType, payload); err != nil {
		return Signature{}, err
	}
	if rand == nil {
		rand = crand.Reader
	}
	pae := PAE(payloadType, payload)
	var (
		sig []byte
		err error
	)
	switch s.key.alg {
	case algEd25519:
		sig, err = s.signer.Sign(rand, pae, crypto.Hash(0))
	case algP256:
		d := sha256.Sum256(pae)
		sig, err = s.signer.Sign(rand, d[:], crypto.SHA256)
	default:
		return Signature{}, unsupported("the signer is not made by NewSigner")
	}
	if err != nil {
		code := trustgate.Internal
		if trustgate.ErrorCode(err) == trustgate.Canceled {
			code = trustgate.Canceled
		}
		return Signature{}, &trustgate.Error{Code: code, Reason: signingFailed,
			Message: "dsse: signing with key " + s.keyID + ": " + err.Error(), Err: err}
	}
	if s.check && !s.key.verify(pae, sig) {
		return Signature{}, &trustgate.Error{Code: trustgate.Internal, Reason: signingFailed,
			Message: "dsse: the signature made with key " + s.keyID + " does not verify with its public key", Err: ErrSignature}
	}
	return Signature{KeyID: s.keyID, Sig: sig}, nil
}

// checkContent checks what Sign and Seal are asked to sign against the
// rules of Parse.
func checkContent(payloadType string, payload []byte) error {
	switch {
	case payloadType == "":
		return malformed("envelope.payloadType", "required, a non-empty string")
	case len(payloadType) > maxPayloadType:
		return malformed("envelope.payloadType", "longer than "+strconv.Itoa(maxPayloadType)+" bytes")
	case !utf8.ValidString(payloadType):
		return malformed("envelope.payloadType", "not valid UTF-8")
	case len(payload) > MaxPayload:
		return malformed("envelope.payload", "larger than "+strconv.Itoa(MaxPayload)+" bytes")
	}
	return nil
}

// Seal returns an envelope of payload signed by every signer, in order. At
// least one signer and at most [MaxSignatures]: otherwise an error wrapping
// [ErrMalformed] for the field "envelope.signatures". A nil signer is an
// error wrapping [ErrUnsupportedKey]; see [Signer.Sign] for the others. The
// envelope holds its own copy of payload.
func Seal(payloadType string, payload []byte, signers ...*Signer) (Envelope, error) {
	switch {
	case len(signers) == 0:
		return Envelope{}, malformed("envelope.signatures", "at least one signer is required")
	case len(signers) > MaxSignatures:
		return Envelope{}, malformed("envelope.signatures", "more than "+strconv.Itoa(MaxSignatures)+" signers")
	}
	for i, s := range signers {
		if s == nil {
			return Envelope{}, unsupported("signer " + strconv.Itoa(i) + " is nil")
		}
	}
	env := Envelope{
		PayloadType: payloadType,
		Payload:     append(make([]byte, 0, len(payload)), payload...),
		Signatures:  make([]Signature, 0, len(signers)),
	}
	for _, s := range signers {
		sig, err := s.Sign(nil, payloadType, payload)
		if err != nil {
			return Envelope{}, err
		}
		env.Signatures = append(env.Signatures, sig)
	}
	return env, nil
}

// VerifySignature reports whether sig is a valid signature of env's
// payload (PAE over env.PayloadType, env.Payload) by pub: nil, or an error
// wrapping [ErrSignature] (a nil env included). It ignores sig.KeyID (the
// caller chose pub). A pub that [KeyID] does not support is an error
// wrapping [ErrUnsupportedKey], and verifies nothing.
func VerifySignature(pub crypto.PublicKey, env *Envelope, sig Signature) error {
	k, err := checkKey(pub)
	if err != nil {
		return err
	}
	if env == nil {
		return badSignature("no envelope")
	}
	if !k.verify(PAE(env.PayloadType, env.Payload), sig.Sig) {
		return badSignature("the signature does not verify with key " + hex.EncodeToString(k.id[:]))
	}
	return nil
}

// Verify returns nil if some signature of env whose keyid is KeyID(pub) —
// or whose keyid is empty — verifies with pub; otherwise an error wrapping
// [ErrSignature] (or [ErrUnsupportedKey] for a pub that [KeyID] does not
// support). Signatures with another key id are skipped without being
// checked.
func Verify(env *Envelope, pub crypto.PublicKey) error {
	k, err := checkKey(pub)
	if err != nil {
		return err
	}
	if env == nil {
		return badSignature("no envelope")
	}
	var id [2 * sha256.Size]byte
	hex.Encode(id[:], k.id[:])
	var pae []byte
	tried := 0
	for _, sig := range env.Signatures {
		if sig.KeyID != "" && sig.KeyID != string(id[:]) {
			continue
		}
		if pae == nil {
			pae = PAE(env.PayloadType, env.Payload)
		}
		tried++
		if k.verify(pae, sig.Sig) {
			return nil
		}
	}
	if tried == 0 {
		return badSignature("no signature by key " + string(id[:]))
	}
	return badSignature("no signature by key " + string(id[:]) + " verifies")
}

// Clone returns a deep copy of e: its payload and every signature's bytes
// are its own, so changing one never changes the other.
func (e Envelope) Clone() Envelope {
	out := Envelope{PayloadType: e.PayloadType, Payload: bytes.Clone(e.Payload)}
	if e.Signatures != nil {
		out.Signatures = make([]Signature, len(e.Signatures))
		for i, s := range e.Signatures {
			out.Signatures[i] = Signature{KeyID: s.KeyID, Sig: bytes.Clone(s.Sig)}
		}
	}
	return out
}
