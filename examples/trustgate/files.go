package main

import (
	"crypto"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/buildworksai/trustgate/examples/internal/keyring"
	"github.com/buildworksai/trustgate/examples/internal/pemkey"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/auditlog"
	"golang.org/x/mod/sumdb/note"
)

// maxFile bounds the files trustgate reads: keys, keyrings, checkpoints,
// proofs.
const maxFile = 4 << 20

// readFile reads the file a flag names; a file that cannot be read is a
// failure to run.
func readFile(flagName, path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, cannotRun(fmt.Errorf("-%s: %w", flagName, err))
	}
	defer func() { _ = f.Close() }()
	b, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return nil, cannotRun(fmt.Errorf("-%s %s: %w", flagName, path, err))
	}
	if len(b) > maxFile {
		return nil, cannotRun(fmt.Errorf("-%s %s: larger than %d bytes", flagName, path, maxFile))
	}
	return b, nil
}

// loadServicePub reads -service-pub: the service's public key, PEM.
func loadServicePub(path string) (crypto.PublicKey, error) {
	b, err := readFile("service-pub", path)
	if err != nil {
		return nil, err
	}
	k, err := pemkey.ParsePublicKey(b)
	if err != nil {
		return nil, cannotRun(fmt.Errorf("-service-pub %s: %w (make it with: openssl pkey -in service.pem -pubout)", path, err))
	}
	return k, nil
}

// loadServiceKey reads -service-key: the service's private key, PEM
// PKCS #8.
func loadServiceKey(path string) (crypto.Signer, error) {
	if _, err := readFile("service-key", path); err != nil {
		return nil, err
	}
	k, err := pemkey.LoadPrivateKey(path)
	if err != nil {
		return nil, cannotRun(fmt.Errorf("-service-key: %w", err))
	}
	return k, nil
}

// loadKeyring reads -keyring over the service's public key.
func loadKeyring(path string, service crypto.PublicKey) (*attest.Keyring, error) {
	if _, err := readFile("keyring", path); err != nil {
		return nil, err
	}
	k, err := keyring.Load(path, service)
	if err != nil {
		return nil, cannotRun(fmt.Errorf("-keyring %s: %w", path, err))
	}
	return k, nil
}

// loadTrust reads -verifier, the log's verifier key, into the trust that
// opens its checkpoints: the key's name is the log's origin.
func loadTrust(path string) (auditlog.Trust, error) {
	b, err := readFile("verifier", path)
	if err != nil {
		return auditlog.Trust{}, err
	}
	v, err := auditlog.NewVerifier(string(b))
	if err != nil {
		return auditlog.Trust{}, cannotRun(fmt.Errorf("-verifier %s: %w", path, err))
	}
	return trustOf(v), nil
}

func trustOf(v note.Verifier) auditlog.Trust { return auditlog.Trust{Origin: v.Name(), Log: v} }

// serviceTrust is the trust of a log named origin that signs with the
// service key pub.
func serviceTrust(origin string, pub crypto.PublicKey) (auditlog.Trust, string, error) {
	vkey, err := auditlog.VerifierKey(origin, pub)
	if err != nil {
		return auditlog.Trust{}, "", err
	}
	v, err := auditlog.NewVerifier(vkey)
	if err != nil {
		return auditlog.Trust{}, "", err
	}
	return trustOf(v), vkey, nil
}

// writeOutput writes b to path whole or not at all: into a temporary file
// beside it, renamed over it once written.
func writeOutput(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return cannotRun(fmt.Errorf("-o: %w", err))
	}
	tmp := f.Name()
	if _, err := f.Write(b); err != nil {
		_ = f.Close()
		_ = os.Remove(tmp)
		return cannotRun(fmt.Errorf("-o %s: %w", path, err))
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(tmp)
		return cannotRun(fmt.Errorf("-o %s: %w", path, err))
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		_ = os.Remove(tmp)
		return cannotRun(fmt.Errorf("-o %s: %w", path, err))
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return cannotRun(fmt.Errorf("-o %s: %w", path, err))
	}
	return nil
}

// writeJSON writes v as the one JSON document of -json.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// checkpointInfo describes a checkpoint in the output.
type checkpointInfo struct {
	Source string `json:"source"`         // "file", "database" or "signed"
	Path   string `json:"path,omitempty"` // the file, for "file"
	Origin string `json:"origin"`
	Size   int64  `json:"size"`
	Root   string `json:"root"`
}

func describeCheckpoint(source, path string, c auditlog.Checkpoint) *checkpointInfo {
	return &checkpointInfo{Source: source, Path: path, Origin: c.Origin, Size: c.Size, Root: c.Hash.String()}
}
