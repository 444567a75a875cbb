package blastradius

import (
	"fmt"
	"strconv"
	"strings"
)

// Names that appear in [Result.Rule] and [Result.Floor] besides the names of
// the rules themselves.
const (
	// DefaultRuleName is the [Result.Rule] of an input no rule matched.
	DefaultRuleName = "default"
	// FloorPrivileged raises a package that needs admin or system privilege
	// from NON_CRITICAL to PRODUCTIVITY_TOOLS.
	FloorPrivileged = "floor:privileged"
	// FloorTargetUsers raises a package for [LargeDeploymentUsers] or more
	// target users from NON_CRITICAL to PRODUCTIVITY_TOOLS.
	FloorTargetUsers = "floor:target-users"
)

// Options configures a [Classifier]. The zero value is the recommended
// configuration.
type Options struct {
	// Default is the class of an input that no rule matches. The zero value
	// means PRODUCTIVITY_TOOLS: unknown software is not trusted. Setting
	// NON_CRITICAL is allowed, but it is then the operator's decision to
	// trust unknown software; the floors still apply.
	Default Class
}

// Classifier assigns blast radius classes by a rule set. Create one with
// [NewClassifier]. A Classifier is immutable and safe for concurrent use.
// The zero Classifier, and a nil *Classifier, have no rules and the default
// class PRODUCTIVITY_TOOLS.
type Classifier struct {
	rules         []compiledRule
	def           Class // "" means ProductivityTools, not configured
	defConfigured bool
}

// NewClassifier returns a classifier that applies rules in order (the first
// match wins), then the default class, then the floors. It copies rules, so
// later changes to the slice do not affect the classifier. An invalid rule
// is an invalid-input error for the field "rules[<index>].<field>" wrapping
// a [*RuleError]; an invalid Options.Default one for the field "default"
// wrapping a [*ClassError]. A nil or empty rule set is valid: every input
// then gets the default class.
func NewClassifier(rules []Rule, opts Options) (*Classifier, error) {
	compiled, err := compileRules(rules)
	if err != nil {
		return nil, err
	}
	c := &Classifier{rules: compiled, def: ProductivityTools}
	if opts.Default != "" {
		if !opts.Default.Valid() {
			return nil, classErr("default", string(opts.Default))
		}
		c.def, c.defConfigured = opts.Default, true
	}
	return c, nil
}

// Rules returns a copy of the classifier's rules, in priority order.
func (c *Classifier) Rules() []Rule {
	if c == nil {
		return nil
	}
	out := make([]Rule, len(c.rules))
	for i, r := range c.rules {
		out[i] = r.Rule
		out[i].Keywords = append([]string(nil), r.Keywords...)
	}
	return out
}

// Default returns the class of inputs that no rule matches, before floors.
func (c *Classifier) Default() Class {
	if c == nil || c.def == "" {
		return ProductivityTools
	}
	return c.def
}

// Result is a classification and its explanation.
type Result struct {
	// Class is the blast radius class, after floors.
	Class Class
	// Rule is the name of the rule that matched, or [DefaultRuleName].
	Rule string
	// Reason explains the decision to a CAB member: the evidence that
	// matched, the rule's rationale and any floor that raised the class.
	// It is never empty.
	Reason string
	// Floor is [FloorPrivileged] or [FloorTargetUsers] if a floor raised
	// the class (the first one, when both apply; Reason names both), and
	// empty otherwise.
	Floor string
}

// Classify returns the class of in and the reason for it. An invalid input
// is the error from [Input.Validate], with a zero Result.
func (c *Classifier) Classify(in Input) (Result, error) {
	if err := in.Validate(); err != nil {
		return Result{}, err
	}
	var nameBuf, pubBuf [16]span
	name := text{s: in.AppName, words: appendWords(nameBuf[:0], in.AppName)}
	pub := text{s: in.Publisher, words: appendWords(pubBuf[:0], in.Publisher)}
	eff := in.EffectiveCriticality()

	var res Result
	matched := false
	if c != nil {
		for i := range c.rules {
			r := &c.rules[i]
			if ev, ok := r.match(in, eff, name, pub); ok {
				res = Result{Class: r.Class, Rule: r.Name, Reason: r.explain(in, eff, ev)}
				matched = true
				break
			}
		}
	}
	if !matched {
		res = Result{Class: c.Default(), Rule: DefaultRuleName}
		if c != nil && c.defConfigured {
			res.Reason = "no rule matched: the configured default class is " + res.Class.String()
		} else {
			res.Reason = "no rule matched: unknown software is not trusted, so it gets the default class " + res.Class.String()
		}
	}
	applyFloors(&res, in)
	return res, nil
}

// applyFloors raises res to PRODUCTIVITY_TOOLS if the package needs elevated
// privilege or targets many users, and says so in res.
func applyFloors(res *Result, in Input) {
	if !ProductivityTools.MoreSevereThan(res.Class) {
		return
	}
	elevated := in.Privilege.Elevated()
	many := in.TargetUsers >= LargeDeploymentUsers
	if !elevated && !many {
		return
	}
	from := res.Class
	var b strings.Builder
	b.WriteString(res.Reason)
	b.WriteString("; raised from ")
	b.WriteString(from.String())
	b.WriteString(" to ")
	b.WriteString(ProductivityTools.String())
	if elevated {
		res.Floor = FloorPrivileged
		b.WriteString(" by " + FloorPrivileged + ": a package that needs ")
		b.WriteString(in.Privilege.String())
		b.WriteString(" privilege is never ")
		b.WriteString(from.String())
	}
	if many {
		if res.Floor == "" {
			res.Floor = FloorTargetUsers
			b.WriteString(" by ")
		} else {
			b.WriteString(", and by ")
		}
		fmt.Fprintf(&b, "%s: a package for %d target users (%d or more) is never %s",
			FloorTargetUsers, in.TargetUsers, LargeDeploymentUsers, from)
	}
	res.Class = ProductivityTools
	res.Reason = b.String()
}

// Where a keyword matched.
const (
	inName      = "application name"
	inPublisher = "publisher"
)

// evidence records which keyword of a rule matched, and where.
type evidence struct {
	keyword int    // index into Keywords, or -1 for a rule without keywords
	where   string // inName or inPublisher
}

// match reports whether every condition of r holds for in, whose effective
// criticality is eff and whose name and publisher are split into words.
func (r *compiledRule) match(in Input, eff Criticality, name, pub text) (evidence, bool) {
	switch {
	case r.RequireElevated && !in.Privilege.Elevated(),
		r.RequireUserPrivilege && in.Privilege != PrivilegeUser,
		eff.Rank() < r.MinCriticality.Rank(),
		in.impactScope().Rank() < r.MinImpactScope.Rank(),
		r.MaxTargetUsers > 0 && in.TargetUsers >= r.MaxTargetUsers:
		return evidence{}, false
	}
	if r.MaxServiceTier != TierUnknown {
		t := in.serviceTier()
		if t == TierUnknown || t > r.MaxServiceTier {
			return evidence{}, false
		}
	}
	if len(r.phrases) == 0 {
		return evidence{keyword: -1}, true
	}
	for k, p := range r.phrases {
		if name.contains(p) {
			return evidence{keyword: k, where: inName}, true
		}
	}
	if !r.NameOnly {
		for k, p := range r.phrases {
			if pub.contains(p) {
				return evidence{keyword: k, where: inPublisher}, true
			}
		}
	}
	return evidence{}, false
}

// explain describes why r matched in: the evidence for each condition it
// sets, then its rationale.
func (r *compiledRule) explain(in Input, eff Criticality, ev evidence) string {
	var b strings.Builder
	b.Grow(96 + len(r.Reason))
	b.WriteString("matched ")
	n := 0 // pieces of evidence written so far
	next := func() {
		switch n {
		case 0:
		case 1:
			b.WriteString(" with ")
		default:
			b.WriteString(" and ")
		}
		n++
	}
	if ev.keyword >= 0 {
		next()
		b.WriteString("keyword ")
		b.WriteString(strconv.Quote(r.Keywords[ev.keyword]))
		b.WriteString(" in the ")
		b.WriteString(ev.where)
	}
	if r.MaxServiceTier != TierUnknown {
		next()
		b.WriteString("CMDB service tier ")
		b.WriteString(in.serviceTier().String())
	}
	if r.RequireElevated || r.RequireUserPrivilege {
		next()
		b.WriteString(in.Privilege.String())
		b.WriteString(" privilege")
	}
	if r.MinCriticality != CriticalityUnknown {
		next()
		b.WriteString("business criticality ")
		b.WriteString(eff.String())
		if eff != in.Criticality {
			b.WriteString(" (from the CMDB record)")
		}
	}
	if r.MinImpactScope != ScopeUnknown {
		next()
		b.WriteString("CMDB impact scope ")
		b.WriteString(in.impactScope().String())
	}
	if r.MaxTargetUsers > 0 {
		next()
		b.WriteString(strconv.Itoa(in.TargetUsers))
		b.WriteString(" target users (fewer than ")
		b.WriteString(strconv.Itoa(r.MaxTargetUsers))
		b.WriteString(")")
	}
	if r.Reason != "" {
		b.WriteString(": ")
		b.WriteString(r.Reason)
	}
	return b.String()
}
