// Package keyring reads and writes the keyring file of the example
// programs: the JSON form of an attest.Config without its service key,
// configuration held outside the database that whoever can write the
// database cannot change. The reference server reads it with -keyring, and
// the trustgate command with -keyring, to verify what was signed:
//
//	{"mode": "member-signed", "model_quorum": 2,
//	 "members":   {"alice": ["-----BEGIN PUBLIC KEY-----\n…"]},
//	 "producers": {"packaging-pipeline": ["-----BEGIN PUBLIC KEY-----\n…"]}}
//
// mode is "service-attested" (the default) or "member-signed";
// model_quorum defaults to 2 and is never less (attest.NewKeyring checks
// both). Each key is a PEM "PUBLIC KEY" block (package pemkey): Ed25519 or
// ECDSA P-256. The service's public key is not in the file: it is the
// service key's, given beside it.
//
// [Parse] is strict: an unknown member of the object, trailing data after
// it, or a key that does not parse is a *trustgate.Error of code
// trustgate.Invalid naming the field ("members[alice][0]").
package keyring

import (
	"bytes"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/examples/internal/pemkey"
	"github.com/buildworksai/trustgate/security/attest"
)

// MaxSize bounds the keyring files [Load] reads.
const MaxSize = 1 << 20

// File is the JSON form of a keyring file.
type File struct {
	Mode        attest.Mode         `json:"mode,omitempty"`
	ModelQuorum int                 `json:"model_quorum,omitempty"`
	Members     map[string][]string `json:"members"`
	Producers   map[string][]string `json:"producers,omitempty"`
}

// Parse reads a keyring file's content into the keyring configuration
// over the service's public key. It does not check the configuration as
// a whole (two members sharing a key, a quorum of one): attest.NewKeyring
// does.
func Parse(b []byte, service crypto.PublicKey) (attest.Config, error) {
	var f File
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return attest.Config{}, invalid("", "not a keyring file", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return attest.Config{}, invalid("", "trailing data after the keyring object", nil)
	}
	c := attest.Config{Service: service, Mode: f.Mode, ModelQuorum: f.ModelQuorum}
	var err error
	if c.Members, err = ParseKeys("members", f.Members); err != nil {
		return c, err
	}
	if c.Producers, err = ParseKeys("producers", f.Producers); err != nil {
		return c, err
	}
	return c, nil
}

// ParseKeys parses the PEM public keys of each principal of one group of
// the file ("members" or "producers", which the error's field names).
func ParseKeys(field string, in map[string][]string) (map[string][]crypto.PublicKey, error) {
	out := make(map[string][]crypto.PublicKey, len(in))
	for name, pems := range in {
		keys := make([]crypto.PublicKey, 0, len(pems))
		for i, p := range pems {
			k, err := pemkey.ParsePublicKey([]byte(p))
			if err != nil {
				return nil, invalid(fmt.Sprintf("%s[%s][%d]", field, name, i), "not a public key", err)
			}
			keys = append(keys, k)
		}
		out[name] = keys
	}
	return out, nil
}

// Marshal writes c (without its service key) in the keyring file's form,
// indented: its mode, model quorum, members and producers.
func Marshal(c attest.Config) ([]byte, error) {
	f := File{Mode: c.Mode, ModelQuorum: c.ModelQuorum, Members: map[string][]string{}}
	var err error
	if f.Members, err = marshalKeys(c.Members); err != nil {
		return nil, err
	}
	if len(c.Producers) > 0 {
		if f.Producers, err = marshalKeys(c.Producers); err != nil {
			return nil, err
		}
	}
	return json.MarshalIndent(f, "", "  ")
}

func marshalKeys(in map[string][]crypto.PublicKey) (map[string][]string, error) {
	out := make(map[string][]string, len(in))
	for name, keys := range in {
		out[name] = []string{}
		for _, k := range keys {
			p, err := pemkey.MarshalPublicKey(k)
			if err != nil {
				return nil, err
			}
			out[name] = append(out[name], string(p))
		}
	}
	return out, nil
}

// Load reads the keyring file at path and returns the keyring over the
// service's public key: [Parse], then attest.NewKeyring. A file larger
// than [MaxSize] is refused.
func Load(path string, service crypto.PublicKey) (*attest.Keyring, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxSize {
		return nil, invalid("", fmt.Sprintf("%s is larger than %d bytes", path, MaxSize), nil)
	}
	c, err := Parse(b, service)
	if err != nil {
		return nil, err
	}
	return attest.NewKeyring(c)
}

func invalid(field, reason string, cause error) error {
	msg := "keyring: "
	if field != "" {
		msg += field + ": "
	}
	msg += reason
	if cause != nil {
		msg += ": " + cause.Error()
	}
	return &trustgate.Error{Code: trustgate.Invalid, Field: field, Message: msg, Err: cause}
}
