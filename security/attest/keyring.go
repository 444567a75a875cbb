package attest

import (
	"crypto"
	"maps"
	"slices"

	"github.com/buildworksai/trustgate/security/dsse"
)

// Role says in what capacity a key signs.
type Role string

// The roles of keys.
const (
	// RoleService is trustgate's own key: it signs decisions, exceptions,
	// evidence hashes and seed and regression transitions, and in
	// [ServiceAttested] mode countersigns the approvals of authenticated
	// members.
	RoleService Role = "service"
	// RoleMember is a CAB member's key: it signs that member's approvals.
	RoleMember Role = "member"
	// RoleProducer is an evidence producer's key: it signs evidence
	// packages, so that the evidence generator is not the artifact packager.
	RoleProducer Role = "producer"
)

// Mode is how CAB approvals are signed.
type Mode string

// The approval modes.
const (
	// MemberSigned: an approval counts only when the member signed it with
	// a key of their own; trustgate never holds a member's private key. The
	// strongest mode: whoever holds the service key still cannot approve.
	MemberSigned Mode = "member-signed"
	// ServiceAttested: the service key countersigns the approval of a
	// member the caller authenticated (a member's own signature counts
	// too). It defeats an attacker who can write the database but holds no
	// key; it trusts the caller's authentication and the service key.
	ServiceAttested Mode = "service-attested"
)

// DefaultModelQuorum is the number of distinct CAB members, other than its
// creator, whose approval a risk model needs; no keyring asks for fewer.
const DefaultModelQuorum = 2

// Config is what a [Keyring] is built from: configuration held outside the
// database (a file, a secret store, the program itself), which nothing that
// can write the database can change.
type Config struct {
	// Service is the public half of the service key trustgate signs with.
	// Required.
	Service crypto.PublicKey
	// Members is the CAB: each member's name and public keys. A member
	// without keys can approve in [ServiceAttested] mode only. Names are
	// normalised ([NormalizeName]); two spellings of one name are an error.
	Members map[string][]crypto.PublicKey
	// Producers names the trusted evidence producers and their keys. When
	// there are any, evidence must carry a producer's signature.
	Producers map[string][]crypto.PublicKey
	// Mode is how approvals are signed; empty means [ServiceAttested].
	Mode Mode
	// ModelQuorum is how many distinct members other than the creator must
	// approve a risk model; 0 means [DefaultModelQuorum], and fewer than it
	// is an error.
	ModelQuorum int
}

// key is one public key of the keyring and whose it is.
type key struct {
	role Role
	name string
	pub  crypto.PublicKey
}

// Keyring holds the public keys trustgate trusts, and for each whose it is.
// It is immutable and safe for concurrent use.
type Keyring struct {
	serviceID   string
	keys        map[string]key // by key id
	members     map[string]bool
	producers   bool
	mode        Mode
	modelQuorum int
}

// NewKeyring checks c and returns the keyring: a service key, every key
// supported by [dsse.KeyID] (Ed25519, ECDSA P-256), no key held by two
// principals, member and producer names valid ([CheckName]) and distinct
// once normalised, a known mode and a model quorum of at least
// [DefaultModelQuorum]. Errors have code trustgate.Invalid and name the
// field ("service", "members[alice]", "mode", …).
func NewKeyring(c Config) (*Keyring, error) {
	k := &Keyring{keys: map[string]key{}, members: map[string]bool{}, mode: c.Mode, modelQuorum: c.ModelQuorum}
	if k.mode == "" {
		k.mode = ServiceAttested
	}
	if k.mode != MemberSigned && k.mode != ServiceAttested {
		return nil, fieldErr("mode", "must be "+string(MemberSigned)+" or "+string(ServiceAttested))
	}
	if k.modelQuorum == 0 {
		k.modelQuorum = DefaultModelQuorum
	}
	if k.modelQuorum < DefaultModelQuorum {
		return nil, fieldErr("model_quorum", "must be at least 2: one member alone never approves a risk model")
	}
	if c.Service == nil {
		return nil, fieldErr("service", "the service public key is required")
	}
	id, err := k.add("service", key{role: RoleService, pub: c.Service})
	if err != nil {
		return nil, err
	}
	k.serviceID = id
	for _, group := range []struct {
		field string
		role  Role
		keys  map[string][]crypto.PublicKey
	}{{"members", RoleMember, c.Members}, {"producers", RoleProducer, c.Producers}} {
		seen := map[string]bool{}
		for _, raw := range slices.Sorted(maps.Keys(group.keys)) {
			field := group.field + "[" + raw + "]"
			name, err := CheckName(field, raw)
			if err != nil {
				return nil, err
			}
			if seen[name] {
				return nil, fieldErr(field, "names the same person as another entry once normalised ("+name+")")
			}
			seen[name] = true
			for _, pub := range group.keys[raw] {
				if _, err := k.add(field, key{role: group.role, name: name, pub: pub}); err != nil {
					return nil, err
				}
			}
			if group.role == RoleMember {
				k.members[name] = true
			}
		}
		if group.role == RoleProducer {
			k.producers = len(seen) > 0
		}
	}
	return k, nil
}

func (k *Keyring) add(field string, e key) (string, error) {
	id, err := dsse.KeyID(e.pub)
	if err != nil {
		return "", fieldErr(field, "unsupported public key: "+err.Error())
	}
	if _, dup := k.keys[id]; dup {
		return "", fieldErr(field, "key "+id+" is held by two principals")
	}
	k.keys[id] = e
	return id, nil
}

// Mode returns how approvals are signed.
func (k *Keyring) Mode() Mode { return k.mode }

// ModelQuorum returns how many distinct members other than the creator
// must approve a risk model.
func (k *Keyring) ModelQuorum() int { return k.modelQuorum }

// ServiceKeyID returns the key id of the service key.
func (k *Keyring) ServiceKeyID() string { return k.serviceID }

// IsMember reports whether name, normalised, is a CAB member.
func (k *Keyring) IsMember(name string) bool { return k.members[NormalizeName(name)] }

// Members returns the members' normalised names, sorted.
func (k *Keyring) Members() []string { return slices.Sorted(maps.Keys(k.members)) }

// RequiresProducer reports whether evidence must carry a trusted
// producer's signature.
func (k *Keyring) RequiresProducer() bool { return k.producers }

// Principal is who a valid signature is by.
type Principal struct {
	Role  Role
	Name  string // the member's or producer's normalised name; empty for the service
	KeyID string
}

// Signers returns who validly signed env: one [Principal] for each
// signature whose key id names a keyring key and that verifies with it, in
// the envelope's order. Signatures by unknown keys count for nothing.
func (k *Keyring) Signers(env *dsse.Envelope) []Principal {
	if env == nil {
		return nil
	}
	var out []Principal
	for _, sig := range env.Signatures {
		e, ok := k.keys[sig.KeyID]
		if !ok || dsse.VerifySignature(e.pub, env, sig) != nil {
			continue
		}
		out = append(out, Principal{Role: e.role, Name: e.name, KeyID: sig.KeyID})
	}
	return out
}

// ServiceSigned reports whether env carries a valid signature by the
// service key.
func (k *Keyring) ServiceSigned(env *dsse.Envelope) bool {
	return k.signedBy(env, func(e key) bool { return e.role == RoleService })
}

// MemberSigned reports whether env carries a valid signature by one of
// member's own keys (member normalised).
func (k *Keyring) MemberSigned(env *dsse.Envelope, member string) bool {
	member = NormalizeName(member)
	return k.signedBy(env, func(e key) bool { return e.role == RoleMember && e.name == member })
}

// Vouches reports whether env is good evidence that member acted: a member
// of the CAB, and the envelope signed by one of the member's own keys or,
// in [ServiceAttested] mode, by the service key. The caller checks that
// the statement names member.
func (k *Keyring) Vouches(env *dsse.Envelope, member string) bool {
	if !k.IsMember(member) {
		return false
	}
	return k.MemberSigned(env, member) || k.mode == ServiceAttested && k.ServiceSigned(env)
}

// Producer returns the name of a trusted producer whose key validly signed
// env, if any.
func (k *Keyring) Producer(env *dsse.Envelope) (string, bool) {
	for _, p := range k.Signers(env) {
		if p.Role == RoleProducer {
			return p.Name, true
		}
	}
	return "", false
}

func (k *Keyring) signedBy(env *dsse.Envelope, want func(key) bool) bool {
	if env == nil {
		return false
	}
	for _, sig := range env.Signatures {
		if e, ok := k.keys[sig.KeyID]; ok && want(e) && dsse.VerifySignature(e.pub, env, sig) == nil {
			return true
		}
	}
	return false
}
