package cab_test

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/internal/testkeys"
	"github.com/buildworksai/trustgate/security/attest"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
	"github.com/stretchr/testify/require"
)

// The approvals an attacker may put on a request's record, whatever the
// rules would have let through: by members, non-members and the
// submitter, under any spelling, with valid, borrowed, forged, replayed
// or missing signatures.

// pool is who an approval on the record may name. The CAB is alice, bob,
// carol, dave and sam; sam submitted the request; mallory is no member.
var pool = []string{"alice", "bob", "carol", "dave", "Alice ", "BOB", "sam", "SAM ", "mallory"}

// How an approval's envelope is made.
const (
	envService   = iota // the statement, signed by the service key
	envOwn              // the statement, signed by the named person's own key
	envBorrowed         // the statement, signed by another member's key
	envForged           // signed by the named person's key, then edited
	envReplayed         // the named person's approval of another request
	envOtherDigt        // the statement about another artifact, own key
	envUnsigned         // the statement, no signature
	envRelabel          // another member's own approval, relabelled
	envKinds
)

// ownKey is the key a person named who holds: a member's development key,
// or an outsider's.
func ownKey(who string) ed25519.PrivateKey {
	if attest.NormalizeName(who) == "mallory" {
		return testkeys.Key("mallory")
	}
	return testkeys.MemberKey(who)
}

// otherThan returns a member who is not who.
func otherThan(who string) string {
	if attest.NormalizeName(who) == "dave" {
		return "carol"
	}
	return "dave"
}

type propCase struct {
	svc      *attest.Service
	r        cab.Request
	envelope [][]cab.Approval // by pool index, by envelope kind
}

func newPropCase(t testing.TB, mode attest.Mode, class blastradius.Class) propCase {
	svc := service(t, mode, "alice", "bob", "carol", "dave", "sam")
	r := newRequest(t, svc, "60", class)
	require.Equal(t, cab.ManualReview, r.Decision.Outcome)
	other := newRequest(t, svc, "60", class)
	c := propCase{svc: svc, r: r, envelope: make([][]cab.Approval, len(pool))}
	for i, who := range pool {
		c.envelope[i] = make([]cab.Approval, envKinds)
		for k := range envKinds {
			var a cab.Approval
			switch k {
			case envService:
				payload, err := r.ApprovalPayload(cab.KindApproval, who, "")
				require.NoError(t, err)
				a = cab.Approval{By: who, Envelope: sealService(t, svc, payload)}
			case envOwn:
				a = signedBy(t, &r, cab.KindApproval, who, "", ownKey(who))
			case envBorrowed:
				a = signedBy(t, &r, cab.KindApproval, who, "", testkeys.MemberKey(otherThan(who)))
			case envForged:
				a = signedBy(t, &r, cab.KindApproval, who, "", ownKey(who))
				a.Envelope = forge(a.Envelope)
				a.Comment = "ok"
			case envReplayed:
				a = signedBy(t, &other, cab.KindApproval, who, "", ownKey(who))
			case envOtherDigt:
				a = cab.Approval{By: who, Envelope: seal(t, ownKey(who), statementAbout(t, &r, cab.KindApproval, who, "evil build"))}
			case envUnsigned:
				payload, err := r.ApprovalPayload(cab.KindApproval, who, "")
				require.NoError(t, err)
				a = cab.Approval{By: who, Envelope: dsse.Envelope{PayloadType: attest.PayloadType, Payload: payload}}
			case envRelabel:
				m := otherThan(who)
				a = signedBy(t, &r, cab.KindApproval, m, "", testkeys.MemberKey(m))
				a.By = who
			}
			c.envelope[i][k] = a
		}
	}
	return c
}

// valid reports whether an approval naming pool[i] with an envelope of
// kind k is a valid approval by a member, as the model of the rules sees
// it.
func valid(keys *attest.Keyring, i, k int) bool {
	return keys.IsMember(pool[i]) && (k == envOwn || k == envService && keys.Mode() == attest.ServiceAttested)
}

func TestAuthorizeGrantsExactlyWhenDistinctValidApprovalsReachTheQuorum(t *testing.T) {
	cases := map[string]propCase{}
	for _, mode := range []attest.Mode{attest.ServiceAttested, attest.MemberSigned} {
		for _, class := range blastradius.Classes() {
			cases[string(mode)+"/"+string(class)] = newPropCase(t, mode, class)
		}
	}
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 1000
	properties := gopter.NewProperties(params)
	type pick struct{ who, kind int }
	var granted, refused int
	genPick := gopter.CombineGens(gen.IntRange(0, len(pool)-1), gen.IntRange(0, envKinds-1)).
		Map(func(v []any) pick { return pick{v[0].(int), v[1].(int)} })
	genMode := gen.OneConstOf(attest.ServiceAttested, attest.MemberSigned)
	genClass := gen.OneConstOf(blastradius.CriticalInfrastructure, blastradius.BusinessCritical,
		blastradius.ProductivityTools, blastradius.NonCritical)
	genStatus := gen.OneConstOf(cab.StatusPendingReview, cab.StatusApproved, cab.StatusAutoApproved, cab.StatusExceptionApproved)

	properties.Property("Authorize grants iff distinct valid member approvals other than the submitter reach the class quorum", prop.ForAll(
		func(mode attest.Mode, class blastradius.Class, status cab.Status, picks []pick) string {
			c := cases[string(mode)+"/"+string(class)]
			keys := c.svc.Keys()
			r := c.r.Clone()
			r.Status = status // a cache the attacker may set to anything
			distinct := map[string]bool{}
			for _, p := range picks {
				r.Approvals = append(r.Approvals, c.envelope[p.who][p.kind])
				if by := attest.NormalizeName(pool[p.who]); valid(keys, p.who, p.kind) && by != r.Submitter {
					distinct[by] = true
				}
			}
			q := class.Quorum()
			auth, err := cab.Authorize(r, keys, r.ArtifactDigest, epoch)
			if err == nil {
				granted++
			} else {
				refused++
			}
			switch {
			case len(distinct) >= q && err != nil:
				return fmt.Sprintf("refused with %d distinct valid approvals of %d: %v", len(distinct), q, err)
			case len(distinct) >= q && auth.Approvals != len(distinct):
				return fmt.Sprintf("counted %d, want %d", auth.Approvals, len(distinct))
			case len(distinct) < q && err == nil:
				return fmt.Sprintf("granted with %d distinct valid approvals of %d (counted %d)", len(distinct), q, auth.Approvals)
			case len(distinct) < q && !errors.Is(err, cab.ErrNotAuthorized):
				return fmt.Sprintf("refused for another reason: %v", err)
			case len(distinct) < q && !strings.Contains(err.Error(), fmt.Sprintf("%d of %d verified approvals", len(distinct), q)):
				return fmt.Sprintf("miscounted: %v, want %d", err, len(distinct))
			}
			return ""
		},
		genMode, genClass, genStatus, gen.IntRange(0, 10).FlatMap(func(n any) gopter.Gen { return gen.SliceOfN(n.(int), genPick) },
			reflect.TypeOf([]pick{})),
	))
	properties.TestingRun(t)
	// Both sides of the iff were exercised.
	require.Greater(t, granted, 100)
	require.Greater(t, refused, 100)
}
