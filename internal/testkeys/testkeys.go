// Package testkeys makes the keys trustgate's tests and examples sign with:
// Ed25519 keys derived from a name, so that a test's signatures are the
// same on every run. They are for tests and development only: anyone who
// reads this file can derive them.
package testkeys

import (
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"

	"github.com/buildworksai/trustgate/security/attest"
)

// Key returns the development key derived from name.
func Key(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("trustgate development key: " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

// Public returns the public half of Key(name).
func Public(name string) crypto.PublicKey { return Key(name).Public() }

// ServiceName names the development service key.
const ServiceName = "service"

// Config returns a keyring configuration in mode with the development
// service key and, for each member, the member's development key.
func Config(mode attest.Mode, members ...string) attest.Config {
	c := attest.Config{Service: Public(ServiceName), Members: map[string][]crypto.PublicKey{}, Mode: mode}
	for _, m := range members {
		c.Members[m] = []crypto.PublicKey{Public("member:" + attest.NormalizeName(m))}
	}
	return c
}

// MemberKey returns the development key of member (normalised).
func MemberKey(member string) ed25519.PrivateKey {
	return Key("member:" + attest.NormalizeName(member))
}

// Service returns the development service over the keyring c describes.
func Service(c attest.Config) (*attest.Service, error) {
	keys, err := attest.NewKeyring(c)
	if err != nil {
		return nil, err
	}
	return attest.NewService(Key(ServiceName), keys)
}
