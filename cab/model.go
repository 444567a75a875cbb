package cab

import (
	"errors"
	"fmt"
	"strings"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/internal/num"
	"github.com/buildworksai/trustgate/maturity"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/security/attest"
)

// A model decides only once it verifies. [VerifyModel] is the one check,
// made before a model decides (Submit), before it is activated, and by the
// store's verification of every record.

// VerifyModel checks that v may decide while the installation is at level
// (of levels): its approval is its signatures — at least keys.ModelQuorum()
// distinct CAB members other than its creator signed its content hash
// ([riskmodel.Version.Approvers]), or the service key signed a ladder
// statement for it and its thresholds are exactly those of a level no
// higher than level — and none of its thresholds exceeds level's (a model
// may be stricter than the ladder, never looser; CRITICAL_INFRASTRUCTURE
// is 0 at every level). It returns v's content hash, or an error wrapping
// riskmodel.ErrUnverified (code trustgate.Tampered, reason
// MODEL_UNVERIFIED) that says why, and a [*attest.RecordError] naming the
// version ("risk_model_versions/<version>").
func VerifyModel(v *riskmodel.Version, keys *attest.Keyring, levels []maturity.Definition, level maturity.Level) (security.Digest, error) {
	unverified := func(format string, args ...any) error {
		why := fmt.Sprintf(format, args...)
		return &trustgate.Error{Code: trustgate.Tampered, Reason: riskmodel.ErrUnverified.Reason,
			Message: "cab: risk model " + v.Version + ": " + why,
			Err:     errors.Join(riskmodel.ErrUnverified, attest.Tampered("risk_model_versions/"+v.Version, "signoffs", why))}
	}
	if keys == nil {
		return security.Digest{}, inputErr("keys", "a keyring is required", nil)
	}
	h, err := v.ContentHash()
	if err != nil {
		return security.Digest{}, unverified("no content hash: %v", err)
	}
	if int(level) < 0 || int(level) >= len(levels) {
		return security.Digest{}, unverified("the maturity level in force, %d, is not on the ladder", level)
	}
	if over := exceeds(v, levels[level]); over != "" {
		return security.Digest{}, unverified("%s; the thresholds of %s are the most a model may have", over, levels[level].Name)
	}
	approvers := v.Approvers(keys)
	if len(approvers) >= keys.ModelQuorum() {
		return security.Digest(h), nil
	}
	if l, ok := v.Ladder(keys); ok && l >= 0 && l <= int(level) && l < len(levels) && equalThresholds(v, levels[l]) {
		return security.Digest(h), nil
	}
	return security.Digest{}, unverified("%d of %d distinct CAB members other than its creator %q signed its content %s (valid signers: %s)",
		len(approvers), keys.ModelQuorum(), v.CreatedBy, security.Digest(h), strings.Join(approvers, ", "))
}

// exceeds names the first class whose threshold in v is above def's, or
// returns "".
func exceeds(v *riskmodel.Version, def maturity.Definition) string {
	for _, c := range blastradius.Classes() {
		t, ok := v.Thresholds[c]
		capped, capOK := def.Thresholds[c]
		if !ok || !capOK || num.Cmp(t, capped) > 0 {
			return fmt.Sprintf("the %s threshold %s exceeds %s", c, t, capped)
		}
	}
	return ""
}

func equalThresholds(v *riskmodel.Version, def maturity.Definition) bool {
	for _, c := range blastradius.Classes() {
		if !v.Thresholds[c].Equal(def.Thresholds[c]) {
			return false
		}
	}
	return len(v.Thresholds) == len(blastradius.Classes())
}
