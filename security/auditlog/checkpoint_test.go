package auditlog_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"reflect"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate/security/auditlog"
	"golang.org/x/mod/sumdb/tlog"
)

var (
	testHash    = tlog.Hash(sha256.Sum256([]byte("root")))
	testHash64  = base64.StdEncoding.EncodeToString(testHash[:])
	emptyRoot64 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" // SHA-256 of nothing: RFC 6962's empty tree
)

func TestCheckpointBodyIsTheC2SPText(t *testing.T) {
	c := auditlog.Checkpoint{Origin: "example.com/behind-the-sofa", Size: 20852163, Hash: testHash, Extensions: []string{"ext one", "ext two"}}
	want := "example.com/behind-the-sofa\n20852163\n" + testHash64 + "\next one\next two\n"
	if got := string(c.Body()); got != want {
		t.Errorf("Body() = %q, want %q", got, want)
	}
	// The C2SP example, verbatim.
	spec := "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
	got, err := auditlog.ParseCheckpoint([]byte(spec))
	if err != nil {
		t.Fatalf("ParseCheckpoint(spec example): %v", err)
	}
	if got.Origin != "example.com/behind-the-sofa" || got.Size != 20852163 || got.Extensions != nil {
		t.Errorf("ParseCheckpoint(spec example) = %+v", got)
	}
	if string(got.Body()) != spec {
		t.Errorf("Body() of the spec example = %q", got.Body())
	}
}

func TestCheckpointRoundTrips(t *testing.T) {
	exts := make([]string, auditlog.MaxExtensions)
	for i := range exts {
		exts[i] = strings.Repeat("x", i+1)
	}
	emptyRoot, err := tlog.TreeHash(0, hashSlice(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []auditlog.Checkpoint{
		{Origin: testOrigin, Size: 0, Hash: emptyRoot},
		{Origin: testOrigin, Size: 1, Hash: testHash},
		{Origin: testOrigin, Size: 1<<63 - 1, Hash: testHash},
		{Origin: "ünïcode.example/lög", Size: 10, Hash: testHash},
		{Origin: testOrigin, Size: 3, Hash: testHash, Extensions: []string{"one extension"}},
		{Origin: testOrigin, Size: 3, Hash: testHash, Extensions: exts},
	} {
		got, err := auditlog.ParseCheckpoint(c.Body())
		if err != nil {
			t.Errorf("ParseCheckpoint(%q): %v", c.Body(), err)
			continue
		}
		if !reflect.DeepEqual(got, c) {
			t.Errorf("ParseCheckpoint(Body()) = %+v, want %+v", got, c)
		}
	}
	if got := string((auditlog.Checkpoint{Origin: "o", Hash: emptyRoot}).Body()); got != "o\n0\n"+emptyRoot64+"\n" {
		t.Errorf("the empty tree's checkpoint is %q, want the RFC 6962 empty root %s", got, emptyRoot64)
	}
}

func TestParseCheckpointRejects(t *testing.T) {
	h := testHash64
	nonCanonical := h[:42] + string(h[42]+1) + "=" // the unused low bits of the last character set
	if _, err := base64.StdEncoding.DecodeString(nonCanonical); err != nil {
		t.Fatalf("the non-canonical hash should decode leniently: %v", err)
	}
	hash31 := base64.StdEncoding.EncodeToString(testHash[:31])
	hash33 := base64.StdEncoding.EncodeToString(append(testHash[:], 0))
	tooMany := "o\n1\n" + h + "\n" + strings.Repeat("ext\n", auditlog.MaxExtensions+1)
	for _, tc := range []struct {
		name string
		body string
		line int
	}{
		{"empty", "", 0},
		{"no final newline", "o\n1\n" + h, 0},
		{"only a newline", "\n", 2},
		{"two lines", "o\n1\n", 3},
		{"blank line after the hash", "o\n1\n" + h + "\n\n", 4},
		{"blank line between extensions", "o\n1\n" + h + "\na\n\nb\n", 5},
		{"blank line before the size", "o\n\n1\n" + h + "\n", 2},
		{"empty origin", "\n1\n" + h + "\n", 1},
		{"origin with a tab", "o\tp\n1\n" + h + "\n", 1},
		{"origin with a carriage return", "o\r\n1\n" + h + "\n", 1},
		{"origin with DEL", "o\x7f\n1\n" + h + "\n", 1},
		{"origin not UTF-8", "o\xff\n1\n" + h + "\n", 1},
		{"extension not UTF-8", "o\n1\n" + h + "\n\xc3\n", 4},
		{"empty size", "o\n\n" + h + "\n", 2},
		{"leading zero", "o\n01\n" + h + "\n", 2},
		{"zero with a leading zero", "o\n00\n" + h + "\n", 2},
		{"negative size", "o\n-1\n" + h + "\n", 2},
		{"plus sign", "o\n+1\n" + h + "\n", 2},
		{"hex size", "o\n0x10\n" + h + "\n", 2},
		{"exponent", "o\n1e3\n" + h + "\n", 2},
		{"decimal point", "o\n1.0\n" + h + "\n", 2},
		{"space before the size", "o\n 1\n" + h + "\n", 2},
		{"space after the size", "o\n1 \n" + h + "\n", 2},
		{"Arabic-Indic digit", "o\n\u0661\n" + h + "\n", 2},
		{"size beyond int64", "o\n9223372036854775808\n" + h + "\n", 2},
		{"hash not base64", "o\n1\n!!!!\n", 3},
		{"hash empty", "o\n1\n\n", 3},
		{"hash in URL base64", "o\n1\n" + strings.NewReplacer("+", "-", "/", "_").Replace(base64.StdEncoding.EncodeToString([]byte(strings.Repeat("\xfb\xff", 16)))) + "\n", 3},
		{"hash without padding", "o\n1\n" + strings.TrimRight(h, "=") + "\n", 3},
		{"hash not canonical", "o\n1\n" + nonCanonical + "\n", 3},
		{"hash of 31 bytes", "o\n1\n" + hash31 + "\n", 3},
		{"hash of 33 bytes", "o\n1\n" + hash33 + "\n", 3},
		{"hash in hex", "o\n1\n" + strings.Repeat("ab", 32) + "\n", 3},
		{"hash with a trailing space", "o\n1\n" + h + " \n", 3},
		{"too many extensions", tooMany, 4 + auditlog.MaxExtensions},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := auditlog.ParseCheckpoint([]byte(tc.body))
			if err == nil {
				t.Fatalf("ParseCheckpoint(%q) = %+v, want an error", tc.body, c)
			}
			wantFormatError(t, err, "checkpoint", tc.line)
		})
	}
}

// The C2SP checkpoint spec recommends an origin without spaces but tells
// clients not to assume one: ParseCheckpoint takes any text line, while
// the log's own key name (NewSigner, VerifierKey) must be a note name.
func TestParseCheckpointTakesAnyOriginLine(t *testing.T) {
	body := []byte("example.com/a log+with spaces\n1\n" + testHash64 + "\n")
	c, err := auditlog.ParseCheckpoint(body)
	if err != nil {
		t.Fatalf("ParseCheckpoint(%q): %v", body, err)
	}
	if c.Origin != "example.com/a log+with spaces" {
		t.Errorf("origin %q", c.Origin)
	}
	if !bytes.Equal(c.Body(), body) {
		t.Errorf("Body() = %q, want %q", c.Body(), body)
	}
}

func TestSignRejectsWhatDoesNotParse(t *testing.T) {
	s := mustSigner(t, testOrigin, edKey(1))
	for _, tc := range []struct {
		name string
		c    auditlog.Checkpoint
		line int
	}{
		{"negative size", auditlog.Checkpoint{Origin: testOrigin, Size: -1, Hash: testHash}, 2},
		{"empty origin", auditlog.Checkpoint{Size: 1, Hash: testHash}, 1},
		{"newline in the origin", auditlog.Checkpoint{Origin: "a\nb", Size: 1, Hash: testHash}, 2},
		{"empty extension", auditlog.Checkpoint{Origin: testOrigin, Size: 1, Hash: testHash, Extensions: []string{""}}, 4},
		{"newline in an extension", auditlog.Checkpoint{Origin: testOrigin, Size: 1, Hash: testHash, Extensions: []string{"a\n"}}, 5},
		{"too many extensions", auditlog.Checkpoint{Origin: testOrigin, Size: 1, Hash: testHash, Extensions: make([]string, auditlog.MaxExtensions+1)}, 4 + auditlog.MaxExtensions},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, err := auditlog.Sign(tc.c, s)
			if err == nil {
				t.Fatalf("Sign(%+v) = %q, want an error", tc.c, msg)
			}
			wantFormatError(t, err, "checkpoint", tc.line)
		})
	}
}
