package blastradius

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/buildworksai/trustgate"
)

// ErrInvalidRule is wrapped by every [*RuleError]: a rule that
// [NewClassifier] refuses.
var ErrInvalidRule = errors.New("blastradius: invalid rule")

// RuleError reports why [NewClassifier] refused a rule. It wraps
// [ErrInvalidRule] and comes wrapped, as Err, in a *trustgate.Error with
// code [trustgate.Invalid] whose Field is "rules[<Index>].<Field>" (or
// "rules[<Index>]" for the rule as a whole), so errors.Is(err,
// ErrInvalidRule), errors.As(err, new(*RuleError)) and trustgate.AsError
// all work.
type RuleError struct {
	Index int    // position of the rule in the rule set
	Name  string // the rule's name, possibly empty
	// Field is the offending field of the rule in snake case, such as
	// "keywords[2]" or "max_target_users"; empty when the rule as a whole
	// is at fault.
	Field  string
	Reason string // what is wrong with it
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("blastradius: %s (rule %q): %s", e.path(), e.Name, e.Reason)
}

// path is the field's path in the rule set: "rules[2].keywords[0]".
func (e *RuleError) path() string {
	p := "rules[" + strconv.Itoa(e.Index) + "]"
	if e.Field != "" {
		p += "." + e.Field
	}
	return p
}

// Unwrap returns [ErrInvalidRule].
func (e *RuleError) Unwrap() error { return ErrInvalidRule }

// Rule is one classification rule, as data. A rule matches an [Input] when
// every condition it sets holds; unset (zero) conditions are ignored, and a
// rule must set at least one. The first matching rule of a [Classifier]
// decides the class.
type Rule struct {
	// Name identifies the rule in a [Result], such as "cmdb-tier". Required
	// and unique within a rule set.
	Name string
	// Class is the class the rule assigns.
	Class Class
	// Reason tells a CAB member why matching inputs get Class. It is
	// appended to the evidence in [Result.Reason]; optional.
	Reason string

	// Keywords: at least one must occur, as whole words and ignoring case,
	// in the application name or (unless NameOnly) the publisher. A
	// keyword of several words matches those words in a row.
	Keywords []string
	// NameOnly restricts Keywords to the application name.
	NameOnly bool
	// RequireElevated: the package needs admin or system privilege.
	RequireElevated bool
	// RequireUserPrivilege: the package needs no more than user privilege.
	RequireUserPrivilege bool
	// MinCriticality: the effective business criticality (see
	// [Input.EffectiveCriticality]) is at least this. Unknown sets no
	// condition.
	MinCriticality Criticality
	// MaxServiceTier: a CMDB record gives a known service tier with a
	// number at most this one's (Tier1 matches Tier0 and Tier1).
	// TierUnknown sets no condition.
	MaxServiceTier Tier
	// MinImpactScope: the CMDB impact scope is at least this. Unknown sets
	// no condition.
	MinImpactScope Scope
	// MaxTargetUsers: fewer than this many target users. 0 sets no
	// condition.
	MaxTargetUsers int
}

// LargeDeploymentUsers is the target user count from which a deployment is
// large: the default non-critical rule needs fewer target users, and the
// target-users floor (see [FloorTargetUsers]) applies from this count up.
const LargeDeploymentUsers = 1000

// DefaultRules returns the default rule set, in priority order. Each call
// returns a fresh copy that the caller may change and pass to
// [NewClassifier]. The package documentation tabulates it.
func DefaultRules() []Rule {
	return []Rule{
		{
			Name:           "cmdb-tier",
			Class:          CriticalInfrastructure,
			Reason:         "the CMDB puts the service in Tier0 or Tier1",
			MaxServiceTier: Tier1,
		},
		{
			Name:   "critical-keyword-elevated",
			Class:  CriticalInfrastructure,
			Reason: "security, identity, network and operating system software running with elevated rights can take the fleet or its defences down",
			Keywords: []string{
				"security", "antivirus", "anti-virus", "EDR", "VPN", "PKI", "certificate",
				"AD", "Active Directory", "identity", "authentication", "firewall",
				"OS", "operating system update", "Windows Update",
			},
			RequireElevated: true,
		},
		{
			Name:     "business-keyword",
			Class:    BusinessCritical,
			Reason:   "the business runs on it: a failure stops revenue or reporting",
			Keywords: []string{"ERP", "SAP", "CRM", "Salesforce", "financial", "trading", "payroll", "banking"},
		},
		{
			Name:           "business-criticality-high",
			Class:          BusinessCritical,
			Reason:         "the business rates it HIGH criticality",
			MinCriticality: CriticalityHigh,
		},
		{
			Name:     "productivity-keyword",
			Class:    ProductivityTools,
			Reason:   "everyday office and collaboration software: a failure hurts productivity but is contained",
			Keywords: []string{"Office", "Slack", "Zoom", "Teams", "Chrome", "browser", "mail", "email"},
		},
		{
			Name:                 "non-critical-keyword",
			Class:                NonCritical,
			Reason:               "an optional utility used by few people without elevated rights",
			Keywords:             []string{"utility", "utilities", "calculator", "wallpaper", "PDF reader", "screen recorder"},
			NameOnly:             true,
			RequireUserPrivilege: true,
			MaxTargetUsers:       LargeDeploymentUsers,
		},
	}
}

// compiledRule is a validated copy of a Rule with its keywords tokenised.
type compiledRule struct {
	Rule
	phrases [][]string // phrases[i] holds the words of Keywords[i]
}

// compileRules validates rules and returns deep copies with tokenised
// keywords.
func compileRules(rules []Rule) ([]compiledRule, error) {
	out := make([]compiledRule, len(rules))
	seen := make(map[string]int, len(rules))
	for i, r := range rules {
		fail := func(field, reason string) error {
			re := &RuleError{Index: i, Name: r.Name, Field: field, Reason: reason}
			return &trustgate.Error{Code: trustgate.Invalid, Field: re.path(), Message: re.Error(), Err: re}
		}
		if r.Name == "" {
			return nil, fail("name", "must not be empty")
		}
		if j, dup := seen[r.Name]; dup {
			return nil, fail("name", "duplicates the name of rule "+strconv.Itoa(j))
		}
		seen[r.Name] = i
		if !r.Class.Valid() {
			return nil, fail("class", (&ClassError{Value: string(r.Class)}).reason())
		}
		if !r.MinCriticality.Valid() {
			return nil, fail("min_criticality", "unknown criticality "+strconv.Quote(string(r.MinCriticality)))
		}
		if !r.MaxServiceTier.Valid() {
			return nil, fail("max_service_tier", "tier "+r.MaxServiceTier.String()+" out of range")
		}
		if !r.MinImpactScope.Valid() {
			return nil, fail("min_impact_scope", "unknown scope "+strconv.Quote(string(r.MinImpactScope)))
		}
		if r.MaxTargetUsers < 0 {
			return nil, fail("max_target_users", "must not be negative")
		}
		if r.RequireElevated && r.RequireUserPrivilege {
			return nil, fail("require_user_privilege", "contradicts require_elevated: the rule could never match")
		}
		if r.NameOnly && len(r.Keywords) == 0 {
			return nil, fail("name_only", "set without keywords")
		}
		if len(r.Keywords) == 0 && !r.RequireElevated && !r.RequireUserPrivilege &&
			r.MinCriticality == CriticalityUnknown && r.MaxServiceTier == TierUnknown &&
			r.MinImpactScope == ScopeUnknown && r.MaxTargetUsers == 0 {
			return nil, fail("", "sets no condition; use Options.Default for a catch-all class")
		}
		c := compiledRule{Rule: r, phrases: make([][]string, len(r.Keywords))}
		c.Keywords = append([]string(nil), r.Keywords...)
		for k, kw := range r.Keywords {
			words := splitWords(kw)
			if len(words) == 0 {
				return nil, fail("keywords["+strconv.Itoa(k)+"]", "keyword "+strconv.Quote(kw)+" has no letters or digits")
			}
			c.phrases[k] = words
		}
		out[i] = c
	}
	return out, nil
}
