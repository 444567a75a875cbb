package blastradius_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/leanovate/gopter"
	"github.com/leanovate/gopter/gen"
	"github.com/leanovate/gopter/prop"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/buildworksai/trustgate"
	br "github.com/buildworksai/trustgate/blastradius"
)

// keywordRules are the default rules that have keywords.
func keywordRules() []br.Rule {
	var out []br.Rule
	for _, r := range br.DefaultRules() {
		if len(r.Keywords) > 0 {
			out = append(out, r)
		}
	}
	return out
}

// genKeyword generates a default keyword: first a rule, then one of its
// keywords, so that rules with few keywords are drawn as often as others.
func genKeyword() gopter.Gen {
	var perRule []gopter.Gen
	for _, r := range keywordRules() {
		kws := make([]any, len(r.Keywords))
		for i, k := range r.Keywords {
			kws[i] = k
		}
		perRule = append(perRule, gen.OneConstOf(kws...))
	}
	return gen.OneGenOf(perRule...)
}

// mixCase changes the case of the letters of s as the bits of mask say.
func mixCase(s string, mask uint64) string {
	var b strings.Builder
	for i, r := range []rune(s) {
		if mask>>(uint(i)%64)&1 == 1 {
			b.WriteString(strings.ToUpper(string(r)))
		} else {
			b.WriteString(strings.ToLower(string(r)))
		}
	}
	return b.String()
}

// genSep generates a word separator.
func genSep() gopter.Gen {
	return gen.OneConstOf(" ", "  ", "-", "_", "/", ". ", " (", ") ", "\t", " · ")
}

// genFiller generates a word that is never a keyword: it starts with "Zq".
func genFiller() gopter.Gen {
	return gen.AlphaString().Map(func(s string) string { return "Zq" + s })
}

// genKeywordName generates names holding one or two default keywords
// (the second possibly empty), in mixed case, among filler words.
func genKeywordName() gopter.Gen {
	kw := genKeyword()
	return gopter.CombineGens(genFiller(), kw, gen.OneGenOf(gen.Const(""), gen.Const(""), kw), gen.UInt64(), genSep(), gen.Bool()).
		Map(func(v []any) string {
			name := v[1].(string)
			if second := v[2].(string); second != "" {
				name += v[4].(string) + second
			}
			name = mixCase(name, v[3].(uint64))
			if v[5].(bool) {
				name = v[0].(string) + v[4].(string) + name
			}
			return name
		})
}

// genName generates application names: mostly keyword-bearing, some
// realistic, some random.
func genName() gopter.Gen {
	return gen.Weighted([]gen.WeightedGen{
		{Weight: 6, Gen: genKeywordName()},
		{Weight: 2, Gen: gen.OneConstOf("Windows Security Update", "AD Connect", "Adobe Reader", "Broadway",
			"Adobe PDF Reader", "Microsoft Teams", "SAP GUI", "Acme Widget", "Calculator", "")},
		{Weight: 1, Gen: gen.AlphaString()},
		{Weight: 1, Gen: gen.AnyString()},
	})
}

func genPublisher() gopter.Gen {
	return gen.Weighted([]gen.WeightedGen{
		{Weight: 5, Gen: gen.Const("")},
		{Weight: 2, Gen: gen.OneConstOf("Microsoft Corporation", "SAP SE", "CrowdStrike EDR", "Utility Labs")},
		{Weight: 1, Gen: genKeywordName()},
		{Weight: 1, Gen: gen.AnyString()},
	})
}

func genUsers() gopter.Gen {
	return gen.Weighted([]gen.WeightedGen{
		{Weight: 4, Gen: gen.IntRange(0, 1500)},
		{Weight: 1, Gen: gen.IntRange(0, 10_000_000)},
		{Weight: 1, Gen: gen.OneConstOf(0, 999, 1000, 1001)},
	})
}

func genPrivilege() gopter.Gen {
	return gen.OneConstOf(br.PrivilegeUser, br.PrivilegeUser, br.PrivilegeAdmin, br.PrivilegeSystem)
}

func genCriticality() gopter.Gen {
	return gen.OneConstOf(br.CriticalityUnknown, br.CriticalityLow, br.CriticalityMedium, br.CriticalityHigh)
}

func genTier() gopter.Gen {
	return gen.OneConstOf(br.TierUnknown, br.Tier0, br.Tier1, br.Tier2, br.Tier3)
}

func genCMDB() gopter.Gen {
	rec := gopter.CombineGens(genTier(), genCriticality(),
		gen.OneConstOf(br.ScopeUnknown, br.ScopeTeam, br.ScopeDepartment, br.ScopeEnterprise),
		gen.Int64Range(0, int64(72*time.Hour))).
		Map(func(v []any) *br.CMDBRecord {
			return &br.CMDBRecord{
				ServiceTier: v[0].(br.Tier), BusinessCriticality: v[1].(br.Criticality),
				ImpactScope: v[2].(br.Scope), RTO: time.Duration(v[3].(int64)), RPO: time.Duration(v[3].(int64) / 2),
			}
		})
	return gen.Weighted([]gen.WeightedGen{{Weight: 3, Gen: gen.Const((*br.CMDBRecord)(nil))}, {Weight: 1, Gen: rec}})
}

// genInput generates valid inputs that often hit every default rule.
func genInput() gopter.Gen {
	return gopter.CombineGens(genName(), genPublisher(), genPrivilege(), genUsers(), genCriticality(), genCMDB()).
		Map(func(v []any) br.Input {
			return br.Input{
				AppName: v[0].(string), Publisher: v[1].(string), Privilege: v[2].(br.Privilege),
				TargetUsers: v[3].(int), Criticality: v[4].(br.Criticality), CMDB: v[5].(*br.CMDBRecord),
			}
		})
}

func newProperties() *gopter.Properties {
	params := gopter.DefaultTestParameters()
	params.MinSuccessfulTests = 1000
	return gopter.NewProperties(params)
}

// classifiers are the configurations the properties must hold for.
func classifiers(t *testing.T) map[string]*br.Classifier {
	t.Helper()
	lenient, err := br.NewClassifier(br.DefaultRules(), br.Options{Default: br.NonCritical})
	require.NoError(t, err)
	// A custom rule set that calls everything NON_CRITICAL: only the
	// floors stand between it and trusting every package.
	trusting, err := br.NewClassifier([]br.Rule{
		{Name: "everything", Class: br.NonCritical, MaxTargetUsers: math.MaxInt},
	}, br.Options{Default: br.NonCritical})
	require.NoError(t, err)
	return map[string]*br.Classifier{"default": defaultClassifier(t), "default-noncritical": lenient, "trusting": trusting}
}

func classify(t *testing.T, c *br.Classifier, in br.Input) br.Result {
	res, err := c.Classify(in)
	if err != nil {
		t.Fatalf("Classify(%+v): %v", in, err)
	}
	return res
}

func TestPropertiesKeywordMatching(t *testing.T) {
	c := defaultClassifier(t)
	rules := keywordRules()
	// input returns an input in which only rule r's keyword conditions
	// are in doubt.
	input := func(r br.Rule, name string) br.Input {
		in := br.Input{AppName: name, TargetUsers: 10}
		if r.RequireElevated {
			in.Privilege = br.PrivilegeAdmin
		}
		return in
	}
	genRule := gen.IntRange(0, len(rules)-1)

	p := newProperties()
	p.Property("keywords match whole words, ignoring case, among other words and separators",
		prop.ForAll(func(ri, ki int, pre, post, sep string, mask uint64) bool {
			r := rules[ri]
			kw := r.Keywords[ki%len(r.Keywords)]
			// Re-separate the words of a multi-word keyword too.
			name := pre + sep + mixCase(strings.Join(strings.Fields(strings.ReplaceAll(kw, "-", " ")), sep), mask) + sep + post
			return classify(t, c, input(r, name)).Rule == r.Name
		}, genRule, gen.IntRange(0, 100), genFiller(), genFiller(), genSep(), gen.UInt64()))
	p.Property("a keyword inside a longer word does not match",
		prop.ForAll(func(ri, ki int, glue string, where int, mask uint64) bool {
			r := rules[ri]
			kw := mixCase(r.Keywords[ki%len(r.Keywords)], mask)
			var name string
			switch where {
			case 0:
				name = glue + kw
			case 1:
				name = kw + glue
			default:
				name = glue + kw + glue
			}
			return classify(t, c, input(r, name)).Rule == br.DefaultRuleName
		}, genRule, gen.IntRange(0, 100), gen.OneConstOf("zq", "X", "9", "é"), gen.IntRange(0, 2), gen.UInt64()))
	p.TestingRun(t)
}

func TestPropertiesMonotone(t *testing.T) {
	for name, c := range classifiers(t) {
		t.Run(name, func(t *testing.T) {
			notLess := func(before, after br.Input) bool {
				return !classify(t, c, before).Class.MoreSevereThan(classify(t, c, after).Class)
			}
			p := newProperties()
			p.Property("adding admin or system privilege never yields a less severe class",
				prop.ForAll(func(in br.Input, elevated br.Privilege) bool {
					user, up := in, in
					user.Privilege, up.Privilege = br.PrivilegeUser, elevated
					return notLess(user, up)
				}, genInput(), gen.OneConstOf(br.PrivilegeAdmin, br.PrivilegeSystem)))
			p.Property("raising the target user count never yields a less severe class",
				prop.ForAll(func(in br.Input, more int) bool {
					up := in
					up.TargetUsers += more
					return notLess(in, up)
				}, genInput(), genUsers()))
			p.Property("raising business criticality never yields a less severe class",
				prop.ForAll(func(in br.Input, crit br.Criticality, inCMDB bool) bool {
					up := in
					if inCMDB && in.CMDB != nil {
						rec := *in.CMDB
						up.CMDB = &rec
						if crit.Rank() < rec.BusinessCriticality.Rank() {
							return true // not a raise
						}
						rec.BusinessCriticality = crit
					} else {
						if crit.Rank() < in.Criticality.Rank() {
							return true
						}
						up.Criticality = crit
					}
					return notLess(in, up)
				}, genInput(), genCriticality(), gen.Bool()))
			p.Property("lowering the CMDB tier number never yields a less severe class",
				prop.ForAll(func(in br.Input, from, to br.Tier) bool {
					// TierUnknown ranks after Tier3: having no tier is
					// never more critical than having one.
					rank := func(t br.Tier) br.Tier {
						if t == br.TierUnknown {
							return br.Tier3 + 1
						}
						return t
					}
					if rank(to) > rank(from) {
						from, to = to, from
					}
					before, after := in, in
					rec := br.CMDBRecord{}
					if in.CMDB != nil {
						rec = *in.CMDB
					}
					recBefore, recAfter := rec, rec
					recBefore.ServiceTier, recAfter.ServiceTier = from, to
					before.CMDB, after.CMDB = &recBefore, &recAfter
					return notLess(before, after)
				}, genInput(), genTier(), genTier()))
			p.TestingRun(t)
		})
	}
}

func TestPropertiesFloors(t *testing.T) {
	for name, c := range classifiers(t) {
		t.Run(name, func(t *testing.T) {
			p := newProperties()
			p.Property("a package that needs admin or system privilege is never NON_CRITICAL",
				prop.ForAll(func(in br.Input, elevated br.Privilege) bool {
					in.Privilege = elevated
					return classify(t, c, in).Class != br.NonCritical
				}, genInput(), gen.OneConstOf(br.PrivilegeAdmin, br.PrivilegeSystem)))
			p.Property("a package for 1,000 or more target users is never NON_CRITICAL",
				prop.ForAll(func(in br.Input, users int) bool {
					in.TargetUsers = br.LargeDeploymentUsers + users
					return classify(t, c, in).Class != br.NonCritical
				}, genInput(), genUsers()))
			p.Property("a floor that raises the class is named in the result and its reason",
				prop.ForAll(func(in br.Input) bool {
					res := classify(t, c, in)
					if res.Floor == "" {
						return true
					}
					return res.Class == br.ProductivityTools && strings.Contains(res.Reason, res.Floor) &&
						(in.Privilege.Elevated() || in.TargetUsers >= br.LargeDeploymentUsers)
				}, genInput()))
			p.TestingRun(t)
		})
	}

	// With a rule set that calls everything NON_CRITICAL, the floors are
	// exactly what decides, so they must be reported exactly when they hold.
	trusting := classifiers(t)["trusting"]
	p := newProperties()
	p.Property("a floor is reported exactly when it applies",
		prop.ForAll(func(in br.Input) bool {
			res := classify(t, trusting, in)
			want := ""
			switch {
			case in.Privilege.Elevated():
				want = br.FloorPrivileged
			case in.TargetUsers >= br.LargeDeploymentUsers:
				want = br.FloorTargetUsers
			}
			return res.Floor == want && res.Rule == "everything"
		}, genInput()))
	p.TestingRun(t)
}

func TestPropertiesTotal(t *testing.T) {
	c := defaultClassifier(t)
	p := newProperties()
	p.Property("every valid input gets a valid class, a rule and a non-empty reason, the same every time",
		prop.ForAll(func(in br.Input) bool {
			a, errA := c.Classify(in)
			b, errB := c.Classify(in)
			return errA == nil && errB == nil && a == b && a.Class.Valid() && a.Rule != "" && a.Reason != ""
		}, genInput()))
	p.Property("an input is either classified or refused as invalid, naming the field",
		prop.ForAll(func(in br.Input, priv int, users int, crit string, tier int) bool {
			in.Privilege, in.TargetUsers, in.Criticality = br.Privilege(priv), users, br.Criticality(crit)
			if in.CMDB != nil {
				rec := *in.CMDB
				rec.ServiceTier = br.Tier(tier)
				in.CMDB = &rec
			}
			res, err := c.Classify(in)
			if err != nil {
				var fe *trustgate.Error
				return errors.As(err, &fe) && fe.Code == trustgate.Invalid && fe.Field != "" && res == br.Result{} && in.Validate() != nil
			}
			return in.Validate() == nil && res.Class.Valid() && res.Reason != ""
		}, genInput(), gen.IntRange(-1, 3), gen.IntRange(-2, 2000), gen.OneConstOf("", "LOW", "HIGH", "high", "x"), gen.IntRange(-1, 5)))
	p.TestingRun(t)
}

// TestGeneratorCoversEveryRule guards the properties above: a property whose
// inputs never reach a rule proves nothing about it.
func TestGeneratorCoversEveryRule(t *testing.T) {
	c := defaultClassifier(t)
	g := genInput()
	params := gopter.DefaultGenParameters().CloneWithSeed(1)
	const n = 4000
	hits := map[string]int{}
	for range n {
		v, ok := g(params).Retrieve()
		require.True(t, ok)
		hits[classify(t, c, v.(br.Input)).Rule]++
	}
	names := []string{br.DefaultRuleName}
	for _, r := range br.DefaultRules() {
		names = append(names, r.Name)
	}
	for _, name := range names {
		assert.Greater(t, hits[name], n/50, "rule %s hit %d times in %d: %v", name, hits[name], n, hits)
	}
}
