package attest

import (
	"crypto"
	"crypto/rand"

	"github.com/buildworksai/trustgate/security/dsse"
)

// Service is trustgate's signing identity: the service key, through a
// crypto.Signer (a KMS, an HSM, an agent or a key in memory), and the
// keyring that trusts it. It is safe for concurrent use if the
// crypto.Signer is.
type Service struct {
	signer *dsse.Signer
	keys   *Keyring
}

// NewService returns the service that signs with s and verifies with keys.
// s must be the private half of keys' service key: an error with code
// trustgate.Invalid naming "service" otherwise.
func NewService(s crypto.Signer, keys *Keyring) (*Service, error) {
	if keys == nil {
		return nil, fieldErr("keys", "a keyring is required")
	}
	if s == nil {
		return nil, fieldErr("service", "a service signer is required")
	}
	signer, err := dsse.NewSigner(s)
	if err != nil {
		return nil, fieldErr("service", err.Error())
	}
	if signer.KeyID() != keys.ServiceKeyID() {
		return nil, fieldErr("service", "the signer's key "+signer.KeyID()+" is not the keyring's service key "+keys.ServiceKeyID())
	}
	return &Service{signer: signer, keys: keys}, nil
}

// Keys returns the keyring.
func (s *Service) Keys() *Keyring { return s.keys }

// Seal signs payload, an in-toto statement, with the service key.
func (s *Service) Seal(payload []byte) (dsse.Envelope, error) {
	return dsse.Seal(PayloadType, payload, s.signer)
}

// Countersign adds the service key's signature to env (a member's signed
// statement), returning the new envelope; env is not modified.
func (s *Service) Countersign(env dsse.Envelope) (dsse.Envelope, error) {
	sig, err := s.signer.Sign(rand.Reader, env.PayloadType, env.Payload)
	if err != nil {
		return dsse.Envelope{}, err
	}
	out := env
	out.Signatures = append(append([]dsse.Signature(nil), env.Signatures...), sig)
	return out, nil
}
