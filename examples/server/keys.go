package main

import (
	"crypto"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/buildworksai/trustgate/examples/internal/keyring"
	"github.com/buildworksai/trustgate/examples/internal/pemkey"
	"github.com/buildworksai/trustgate/security/attest"
)

// Keys are configuration held outside the database: the service key
// (-service-key, a PEM PKCS #8 private key used through crypto.Signer) and
// the keyring (-keyring, a JSON file of the CAB members' and trusted
// evidence producers' public keys). Whoever can write the database can
// change neither.

// The keyring file's form, and its parser, are package keyring's
// (examples/internal/keyring).

// cabNames returns the names of the principals who sit on the CAB (role
// cab or admin), in order.
func cabNames(ps []principal) []string {
	var out []string
	for i := range ps {
		if ps[i].has(roleCAB) {
			out = append(out, ps[i].Name)
		}
	}
	return out
}

// checkCABMembers refuses principals who may act as the CAB (role cab or
// admin) but are not members of the keyring: their approvals would count
// for nothing, so the configuration is wrong, and the server says so
// before it starts.
func checkCABMembers(ps []principal, keys *attest.Keyring) error {
	var missing []string
	for _, name := range cabNames(ps) {
		if !keys.IsMember(name) {
			missing = append(missing, fmt.Sprintf("%q", name))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("principals %s have role cab or admin but are not members of the keyring (members: %s): "+
			"add them to the keyring's \"members\" or take away their role", strings.Join(missing, ", "), strings.Join(keys.Members(), ", "))
	}
	return nil
}

// keySetup is the service and what was made for development.
type keySetup struct {
	service *attest.Service
	public  crypto.PublicKey // the service key's, which also signs the log's checkpoints
	devDir  string           // where development keys are, when -dev-tokens made them
	devKeys []string         // their files, relative to devDir
}

// setupKeys loads (or, with -dev-tokens, makes) the service key and the
// keyring, and checks that every CAB principal is a keyring member.
//
// Without -keyring the keyring is service-attested and its members are
// the CAB principals: with -dev-tokens each with a development key, else
// without keys of their own (they approve through the service key's
// countersignature of their authenticated approval, which is what
// service-attested mode is).
func setupKeys(cfg config, ps []principal) (keySetup, error) {
	var out keySetup
	var dev *devKeyDir
	if cfg.devTokens {
		d, err := openDevKeyDir(cfg.devKeys)
		if err != nil {
			return out, err
		}
		dev, out.devDir = d, d.dir
	}
	var signer crypto.Signer
	var err error
	switch {
	case cfg.serviceKey != "":
		if signer, err = pemkey.LoadPrivateKey(cfg.serviceKey); err != nil {
			return out, fmt.Errorf("-service-key: %w", err)
		}
	case dev != nil:
		if signer, err = dev.key("service.pem"); err != nil {
			return out, err
		}
	default:
		return out, errors.New("a service key is required: give -service-key FILE (a PEM PKCS #8 Ed25519 or ECDSA P-256 private key), " +
			"or -dev-tokens for development keys")
	}

	derived := attest.Config{Service: signer.Public(), Members: map[string][]crypto.PublicKey{}, Mode: attest.ServiceAttested}
	for _, name := range cabNames(ps) {
		derived.Members[name] = nil
		if dev != nil {
			k, err := dev.key(url.PathEscape(name) + ".pem")
			if err != nil {
				return out, err
			}
			derived.Members[name] = []crypto.PublicKey{k.Public()}
		}
	}
	if dev != nil {
		if err := dev.writeKeyring(derived); err != nil {
			return out, err
		}
		out.devKeys = dev.files
	}

	kc := derived
	if cfg.keyring != "" {
		b, err := os.ReadFile(cfg.keyring)
		if err != nil {
			return out, fmt.Errorf("-keyring: %w", err)
		}
		if kc, err = keyring.Parse(b, signer.Public()); err != nil {
			return out, fmt.Errorf("-keyring %s: %w", cfg.keyring, err)
		}
	}
	keys, err := attest.NewKeyring(kc)
	if err != nil {
		return out, fmt.Errorf("keyring: %w", err)
	}
	if err := checkCABMembers(ps, keys); err != nil {
		return out, err
	}
	out.public = signer.Public()
	if out.service, err = attest.NewService(signer, keys); err != nil {
		return out, fmt.Errorf("-service-key: %w", err)
	}
	return out, nil
}

// devKeyDir is the directory of development keys: each is made the first
// time it is asked for and read back after, so a server restarted with the
// same -dev-keys directory signs and verifies with the same keys as before
// (a database signed by other keys no longer verifies).
type devKeyDir struct {
	dir   string
	files []string
}

func openDevKeyDir(dir string) (*devKeyDir, error) {
	if dir == "" {
		d, err := os.MkdirTemp("", "trustgate-dev-keys-")
		if err != nil {
			return nil, err
		}
		return &devKeyDir{dir: d}, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("-dev-keys: %w", err)
	}
	return &devKeyDir{dir: dir}, nil
}

// key returns the Ed25519 key in the file name, made if there is none.
func (d *devKeyDir) key(name string) (crypto.Signer, error) {
	path := filepath.Join(d.dir, name)
	if !slices.Contains(d.files, name) {
		d.files = append(d.files, name)
	}
	k, err := pemkey.LoadPrivateKey(path)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return k, err
	}
	nk, err := pemkey.GenerateEd25519()
	if err != nil {
		return nil, err
	}
	if err := pemkey.WritePrivateKey(path, nk); err != nil {
		return nil, err
	}
	return nk, nil
}

// writeKeyring writes c as keyring.json unless the file exists: a
// template for -keyring (change its mode to member-signed, and pass it).
func (d *devKeyDir) writeKeyring(c attest.Config) error {
	b, err := keyring.Marshal(c)
	if err != nil {
		return err
	}
	path := filepath.Join(d.dir, "keyring.json")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		d.files = append(d.files, "keyring.json")
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		_ = f.Close()
		return err
	}
	d.files = append(d.files, "keyring.json")
	return f.Close()
}
