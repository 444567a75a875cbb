package auditlog

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/buildworksai/trustgate"
	"golang.org/x/mod/sumdb/note"
)

// The signed-note algorithm bytes this package uses
// (c2sp.org/signed-note, c2sp.org/tlog-cosignature).
const (
	algEd25519       = 0x01
	algCosignatureV1 = 0x04
)

// Signer signs checkpoints as the log: a note.Signer over an Ed25519
// crypto.Signer, named by the log's origin.
type Signer struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
	key  crypto.Signer
	vkey string
}

// NewSigner returns the note signer of the log named origin, signing with
// s, whose public key must be Ed25519 (signed-note verifier keys have no
// other algorithm Go's note package verifies). origin must be a valid note
// name: non-empty UTF-8 without spaces or '+'.
func NewSigner(origin string, s crypto.Signer) (*Signer, error) {
	if err := checkName(origin); err != nil {
		return nil, err
	}
	if s == nil {
		return nil, keyErr("a signer is required")
	}
	pub, ok := s.Public().(ed25519.PublicKey)
	if !ok || len(pub) != ed25519.PublicKeySize {
		return nil, keyErr("a log key must be Ed25519, not %T", s.Public())
	}
	vkey, err := note.NewEd25519VerifierKey(origin, pub)
	if err != nil {
		return nil, keyErr("%v", err)
	}
	return &Signer{name: origin, hash: keyHash(origin, algEd25519, pub), pub: pub, key: s, vkey: vkey}, nil
}

// Name returns the key's name: the log's origin.
func (s *Signer) Name() string { return s.name }

// KeyHash returns the signed-note key hash.
func (s *Signer) KeyHash() uint32 { return s.hash }

// Sign signs msg with the Ed25519 key.
func (s *Signer) Sign(msg []byte) ([]byte, error) {
	sig, err := s.key.Sign(rand.Reader, msg, crypto.Hash(0))
	if err != nil {
		return nil, fmt.Errorf("auditlog: signing checkpoint: %w", err)
	}
	if !ed25519.Verify(s.pub, msg, sig) {
		return nil, keyErr("the signer's signature does not verify with its own public key")
	}
	return sig, nil
}

// VerifierKey returns the log's verifier key, <origin>+<hash>+<key>, which
// note.NewVerifier (and [NewVerifier]) accept.
func (s *Signer) VerifierKey() string { return s.vkey }

// Verifier returns the note verifier of the log's key.
func (s *Signer) Verifier() note.Verifier {
	v, _ := note.NewVerifier(s.vkey) // s.vkey was built by note itself
	return v
}

// VerifierKey returns the verifier key of the log named origin with the
// Ed25519 public key pub.
func VerifierKey(origin string, pub crypto.PublicKey) (string, error) {
	if err := checkName(origin); err != nil {
		return "", err
	}
	k, ok := pub.(ed25519.PublicKey)
	if !ok || len(k) != ed25519.PublicKeySize {
		return "", keyErr("a log key must be Ed25519, not %T", pub)
	}
	return note.NewEd25519VerifierKey(origin, k)
}

// NewVerifier parses a log's verifier key (<name>+<hash>+<key>). A key
// that does not parse is a [*FormatError].
func NewVerifier(vkey string) (note.Verifier, error) {
	v, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return nil, malformed("verifier key", 0, "%v", err)
	}
	return v, nil
}

// Cosigner signs checkpoints as a witness does: a c2sp.org/tlog-cosignature
// v1 note signature, over "cosignature/v1", the signing time and the
// checkpoint body. trustgate does not witness its own log; the type exists
// so that tests, and operators running a witness in Go, can cosign.
type Cosigner struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
	key  crypto.Signer
	now  func() time.Time
}

// NewCosigner returns a witness signer named name, signing with the
// Ed25519 key s at the times now gives (time.Now when nil).
func NewCosigner(name string, s crypto.Signer, now func() time.Time) (*Cosigner, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	if s == nil {
		return nil, keyErr("a signer is required")
	}
	pub, ok := s.Public().(ed25519.PublicKey)
	if !ok || len(pub) != ed25519.PublicKeySize {
		return nil, keyErr("a witness key must be Ed25519, not %T", s.Public())
	}
	if now == nil {
		now = time.Now
	}
	return &Cosigner{name: name, hash: keyHash(name, algCosignatureV1, pub), pub: pub, key: s, now: now}, nil
}

// Name returns the witness's name.
func (c *Cosigner) Name() string { return c.name }

// KeyHash returns the key hash of the cosignature key.
func (c *Cosigner) KeyHash() uint32 { return c.hash }

// Sign returns timestamp ‖ Ed25519 signature over the cosigned message.
func (c *Cosigner) Sign(msg []byte) ([]byte, error) {
	t := uint64(max(c.now().Unix(), 0))
	sig, err := c.key.Sign(rand.Reader, cosignedMessage(t, msg), crypto.Hash(0))
	if err != nil {
		return nil, fmt.Errorf("auditlog: cosigning checkpoint: %w", err)
	}
	return append(binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(sig)), t), sig...), nil
}

// VerifierKey returns the witness's cosignature verifier key
// (<name>+<hash>+<base64(0x04 ‖ key)>), which [NewWitnessVerifier] accepts.
func (c *Cosigner) VerifierKey() string {
	return fmt.Sprintf("%s+%08x+%s", c.name, c.hash, base64.StdEncoding.EncodeToString(append([]byte{algCosignatureV1}, c.pub...)))
}

// cosignedMessage is what a tlog-cosignature v1 signs.
func cosignedMessage(t uint64, body []byte) []byte {
	return append([]byte("cosignature/v1\ntime "+strconv.FormatUint(t, 10)+"\n"), body...)
}

// witnessVerifier verifies tlog-cosignature v1 signatures.
type witnessVerifier struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
}

// NewWitnessVerifier parses a witness's verifier key: the cosignature v1
// form (algorithm 0x04), or a plain Ed25519 note key (0x01), taken as the
// same key used for cosignatures (as transparency-dev's witnesses publish
// them). The hash in the key must match.
func NewWitnessVerifier(vkey string) (note.Verifier, error) {
	name, rest, _ := strings.Cut(strings.TrimSpace(vkey), "+")
	hash16, key64, _ := strings.Cut(rest, "+")
	if err := checkName(name); err != nil {
		return nil, malformed("verifier key", 0, "name: %v", err)
	}
	h, err := strconv.ParseUint(hash16, 16, 32)
	if err != nil || len(hash16) != 8 {
		return nil, malformed("verifier key", 0, "key hash %q is not 8 hex digits", hash16)
	}
	key, err := base64.StdEncoding.DecodeString(key64)
	if err != nil || len(key) != 1+ed25519.PublicKeySize {
		return nil, malformed("verifier key", 0, "key is not base64 of an algorithm byte and a 32-byte Ed25519 key")
	}
	alg, pub := key[0], ed25519.PublicKey(key[1:])
	if alg != algEd25519 && alg != algCosignatureV1 {
		return nil, malformed("verifier key", 0, "algorithm %#02x is not Ed25519 (0x01) or cosignature/v1 (0x04)", alg)
	}
	if uint32(h) != keyHash(name, alg, pub) {
		return nil, malformed("verifier key", 0, "key hash %s does not match the key", hash16)
	}
	return &witnessVerifier{name: name, hash: keyHash(name, algCosignatureV1, pub), pub: pub}, nil
}

func (v *witnessVerifier) Name() string    { return v.name }
func (v *witnessVerifier) KeyHash() uint32 { return v.hash }
func (v *witnessVerifier) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig)
	if t > math.MaxInt64 { // tlog-cosignature: the timestamp MUST NOT exceed 2⁶³-1
		return false
	}
	return ed25519.Verify(v.pub, cosignedMessage(t, msg), sig[8:])
}

// keyHash is the signed-note key hash: the first four bytes of
// SHA-256(name ‖ "\n" ‖ alg ‖ key).
func keyHash(name string, alg byte, pub []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', alg})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// checkName checks a note key name: non-empty UTF-8, no spaces, no '+'.
func checkName(name string) error {
	if name == "" || !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsSpace) >= 0 || strings.Contains(name, "+") {
		return &trustgate.Error{Code: trustgate.Invalid, Field: "origin", Err: ErrMalformed,
			Message: fmt.Sprintf("auditlog: %q is not a note key name: it must be non-empty UTF-8 without spaces or '+'", name)}
	}
	return nil
}
