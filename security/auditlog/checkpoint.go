package auditlog

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// MaxNoteSize bounds a checkpoint note, signatures included, and
// MaxExtensions its extension lines: checkpoints come from outside and are
// parsed before anything is verified.
const (
	MaxNoteSize   = 64 << 10
	MaxExtensions = 16
)

// Checkpoint is the c2sp.org/tlog-checkpoint body: the log's origin, the
// number of leaves, and the RFC 6962 root hash of the tree of that many
// leaves, with optional extension lines.
type Checkpoint struct {
	Origin     string
	Size       int64
	Hash       tlog.Hash
	Extensions []string // each one line, without its newline
}

// Body returns the checkpoint's text: origin, decimal size, base64 hash and
// the extension lines, each ending in a newline.
func (c Checkpoint) Body() []byte {
	var b bytes.Buffer
	b.WriteString(c.Origin)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatInt(c.Size, 10))
	b.WriteByte('\n')
	b.WriteString(base64.StdEncoding.EncodeToString(c.Hash[:]))
	b.WriteByte('\n')
	for _, e := range c.Extensions {
		b.WriteString(e)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// ParseCheckpoint parses a checkpoint body strictly: an origin line (valid
// UTF-8, no control characters), a decimal size without leading zeros, the
// canonical base64 of a 32-byte hash, and at most [MaxExtensions]
// non-empty extension lines, every line ending in a newline. Anything else
// is a [*FormatError].
func ParseCheckpoint(body []byte) (Checkpoint, error) {
	const what = "checkpoint"
	if len(body) == 0 || body[len(body)-1] != '\n' {
		return Checkpoint{}, malformed(what, 0, "the body must end with a newline")
	}
	lines := strings.Split(string(body[:len(body)-1]), "\n")
	if len(lines) < 3 {
		return Checkpoint{}, malformed(what, len(lines)+1, "an origin, a size and a root hash are required")
	}
	if len(lines)-3 > MaxExtensions {
		return Checkpoint{}, malformed(what, 4+MaxExtensions, "more than %d extension lines", MaxExtensions)
	}
	for i, l := range lines {
		if !utf8.ValidString(l) || strings.ContainsFunc(l, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return Checkpoint{}, malformed(what, i+1, "not valid UTF-8 text without control characters")
		}
	}
	c := Checkpoint{Origin: lines[0]}
	if c.Origin == "" {
		return Checkpoint{}, malformed(what, 1, "the origin is empty")
	}
	size, err := parseSize(lines[1])
	if err != nil {
		return Checkpoint{}, malformed(what, 2, "size: %v", err)
	}
	c.Size = size
	if c.Hash, err = parseHash(lines[2]); err != nil {
		return Checkpoint{}, malformed(what, 3, "root hash: %v", err)
	}
	for i, e := range lines[3:] {
		if e == "" {
			return Checkpoint{}, malformed(what, 4+i, "an extension line is empty")
		}
	}
	if len(lines) > 3 {
		c.Extensions = slices.Clone(lines[3:])
	}
	return c, nil
}

// parseSize parses a decimal int64 with no sign and no leading zeros.
func parseSize(s string) (int64, error) {
	if s == "" || (len(s) > 1 && s[0] == '0') || strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
		return 0, fmt.Errorf("%q is not a decimal number without leading zeros", s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return n, nil
}

// parseHash parses the canonical standard base64 of a 32-byte hash.
func parseHash(s string) (tlog.Hash, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != tlog.HashSize || base64.StdEncoding.EncodeToString(b) != s {
		return tlog.Hash{}, fmt.Errorf("%q is not the base64 of a %d-byte hash", s, tlog.HashSize)
	}
	return tlog.Hash(b), nil
}

// Sign returns the checkpoint as a signed note, signed by each signer (the
// log's [Signer] first).
func Sign(c Checkpoint, signers ...note.Signer) ([]byte, error) {
	if c.Size < 0 {
		return nil, &FormatError{What: "checkpoint", Line: 2, Reason: "negative size"}
	}
	body := c.Body()
	if _, err := ParseCheckpoint(body); err != nil {
		return nil, err
	}
	msg, err := note.Sign(&note.Note{Text: string(body)}, signers...)
	if err != nil {
		return nil, fmt.Errorf("auditlog: signing checkpoint: %w", err)
	}
	return msg, nil
}

// Cosign adds signer's signature (a witness's [Cosigner], say) to a signed
// checkpoint note, keeping the signatures it has. The note is parsed but
// not verified: the witness verifies before it cosigns.
func Cosign(msg []byte, signer note.Signer) ([]byte, error) {
	n, err := parseNote(msg)
	if err != nil {
		return nil, err
	}
	if _, err := ParseCheckpoint([]byte(n.Text)); err != nil {
		return nil, err
	}
	out, err := note.Sign(n, signer)
	if err != nil {
		return nil, fmt.Errorf("auditlog: cosigning checkpoint: %w", err)
	}
	return out, nil
}

// parseNote splits a note into its text and signatures without verifying
// any: note.Open with no known keys reports every signature unverified.
func parseNote(msg []byte) (*note.Note, error) {
	if len(msg) > MaxNoteSize {
		return nil, malformed("note", 0, "longer than %d bytes", MaxNoteSize)
	}
	_, err := note.Open(msg, note.VerifierList())
	var unverified *note.UnverifiedNoteError
	if errors.As(err, &unverified) {
		n := unverified.Note
		n.Sigs, n.UnverifiedSigs = n.UnverifiedSigs, nil
		return n, nil
	}
	return nil, malformed("note", 0, "%v", err)
}

// Trust is what a verifier of checkpoints trusts: the log's origin and
// key, and the witnesses whose cosignatures count.
type Trust struct {
	// Origin is the log's name, the checkpoint's first line.
	Origin string
	// Log verifies the log's signature (see [NewVerifier]). Required.
	Log note.Verifier
	// Witnesses verify cosignatures (see [NewWitnessVerifier]).
	Witnesses []note.Verifier
	// WitnessQuorum is how many distinct witnesses of Witnesses must have
	// cosigned; 0 requires none.
	WitnessQuorum int
}

// Verified is a checkpoint whose log signature, origin and witness quorum
// have been checked.
type Verified struct {
	Checkpoint
	// Note is the signed note, as given.
	Note []byte
	// Witnesses names the trusted witnesses whose cosignatures verified.
	Witnesses []string
	// Unknown names the signatures by keys Trust does not hold: ignored,
	// never counted.
	Unknown []string
}

// Open verifies a signed checkpoint note against t: it must parse
// ([*FormatError] otherwise), carry a valid signature by t.Log
// ([ErrSignature]: missing, or one that does not verify, including a
// trusted witness's), be for t.Origin ([ErrOrigin]), and carry valid
// cosignatures by at least t.WitnessQuorum of t.Witnesses
// ([*WitnessError], which lists the signatures by unknown keys).
func Open(msg []byte, t Trust) (Verified, error) {
	if t.Log == nil {
		return Verified{}, keyErr("the trust policy names no log verifier")
	}
	if len(msg) > MaxNoteSize {
		return Verified{}, malformed("note", 0, "longer than %d bytes", MaxNoteSize)
	}
	if slices.Contains(t.Witnesses, nil) {
		return Verified{}, keyErr("the trust policy lists a nil witness verifier")
	}
	known := append([]note.Verifier{t.Log}, t.Witnesses...)
	n, err := note.Open(msg, note.VerifierList(known...))
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &unverified):
		return Verified{}, fmt.Errorf("%w: no signature by the log's key %s+%08x (signed by %q)", ErrSignature,
			t.Log.Name(), t.Log.KeyHash(), sigNames(unverified.Note.UnverifiedSigs))
	case errors.As(err, &invalid):
		return Verified{}, fmt.Errorf("%w: the signature by %s+%08x does not verify", ErrSignature, invalid.Name, invalid.Hash)
	case err != nil:
		return Verified{}, malformed("note", 0, "%v", err)
	}
	c, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return Verified{}, err
	}
	v := Verified{Checkpoint: c, Note: slices.Clone(msg), Unknown: sigNames(n.UnverifiedSigs)}
	logSigned := false
	for _, s := range n.Sigs {
		if s.Name == t.Log.Name() && s.Hash == t.Log.KeyHash() {
			logSigned = true
		} else {
			v.Witnesses = append(v.Witnesses, s.Name)
		}
	}
	if !logSigned {
		return Verified{}, fmt.Errorf("%w: no signature by the log's key %s+%08x (signed by %q)", ErrSignature,
			t.Log.Name(), t.Log.KeyHash(), append(sigNames(n.Sigs), v.Unknown...))
	}
	if c.Origin != t.Origin {
		return Verified{}, fmt.Errorf("%w: checkpoint origin %q, want %q", ErrOrigin, c.Origin, t.Origin)
	}
	slices.Sort(v.Witnesses)
	v.Witnesses = slices.Compact(v.Witnesses)
	if len(v.Witnesses) < t.WitnessQuorum {
		return Verified{}, &WitnessError{Required: t.WitnessQuorum, Verified: v.Witnesses, Unknown: v.Unknown}
	}
	return v, nil
}

func sigNames(sigs []note.Signature) []string {
	out := make([]string, 0, len(sigs))
	for _, s := range sigs {
		out = append(out, s.Name)
	}
	return out
}

// ParseNote parses a signed checkpoint note without verifying any
// signature: its checkpoint and the number of signature lines. A store,
// which holds no keys, uses it to check that a checkpoint is of its own
// tree before keeping it; only [Open] says who signed.
func ParseNote(msg []byte) (Checkpoint, int, error) {
	n, err := parseNote(msg)
	if err != nil {
		return Checkpoint{}, 0, err
	}
	c, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return Checkpoint{}, 0, err
	}
	return c, len(n.Sigs), nil
}
