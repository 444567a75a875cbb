package blastradius_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	br "github.com/buildworksai/trustgate/blastradius"
)

func defaultClassifier(t testing.TB) *br.Classifier {
	t.Helper()
	c, err := br.NewClassifier(br.DefaultRules(), br.Options{})
	require.NoError(t, err)
	return c
}

func TestClassifyDefaultRules(t *testing.T) {
	c := defaultClassifier(t)
	tests := []struct {
		name      string
		in        br.Input
		class     br.Class
		rule      string
		reasonHas []string
	}{
		{
			name:  "seed example",
			in:    br.Input{AppName: "Windows Security Update", Privilege: br.PrivilegeAdmin, TargetUsers: 50000, Criticality: br.CriticalityHigh},
			class: br.CriticalInfrastructure, rule: "critical-keyword-elevated",
			reasonHas: []string{`matched keyword "security" in the application name with admin privilege`},
		},
		{
			name:  "rule 1: CMDB Tier0",
			in:    br.Input{AppName: "Inventory Service", TargetUsers: 5, CMDB: &br.CMDBRecord{ServiceTier: br.Tier0}},
			class: br.CriticalInfrastructure, rule: "cmdb-tier",
			reasonHas: []string{"matched CMDB service tier Tier0"},
		},
		{
			name:  "rule 1: CMDB Tier1 beats a non-critical keyword",
			in:    br.Input{AppName: "Calculator", TargetUsers: 5, CMDB: &br.CMDBRecord{ServiceTier: br.Tier1}},
			class: br.CriticalInfrastructure, rule: "cmdb-tier",
		},
		{
			name:  "CMDB Tier2 is not critical by tier",
			in:    br.Input{AppName: "Inventory Service", CMDB: &br.CMDBRecord{ServiceTier: br.Tier2}},
			class: br.ProductivityTools, rule: br.DefaultRuleName,
		},
		{
			name:  "rule 2: critical keyword with system privilege",
			in:    br.Input{AppName: "AD Connect", Privilege: br.PrivilegeSystem},
			class: br.CriticalInfrastructure, rule: "critical-keyword-elevated",
			reasonHas: []string{`keyword "AD" in the application name with system privilege`},
		},
		{
			name:  "rule 2: multi-word keyword",
			in:    br.Input{AppName: "active-directory tools", Privilege: br.PrivilegeAdmin},
			class: br.CriticalInfrastructure, rule: "critical-keyword-elevated",
			reasonHas: []string{`"Active Directory"`},
		},
		{
			name:  "rule 2: keyword in the publisher",
			in:    br.Input{AppName: "Falcon Sensor", Publisher: "CrowdStrike EDR", Privilege: br.PrivilegeSystem},
			class: br.CriticalInfrastructure, rule: "critical-keyword-elevated",
			reasonHas: []string{`keyword "EDR" in the publisher`},
		},
		{
			name:  "rule 2 needs elevated privilege",
			in:    br.Input{AppName: "Corporate VPN Client"},
			class: br.ProductivityTools, rule: br.DefaultRuleName,
		},
		{
			name:  "AD does not match inside Adobe",
			in:    br.Input{AppName: "Adobe Reader", Privilege: br.PrivilegeAdmin},
			class: br.ProductivityTools, rule: br.DefaultRuleName,
		},
		{
			name:  "AD does not match inside Broadway",
			in:    br.Input{AppName: "Broadway", Privilege: br.PrivilegeAdmin},
			class: br.ProductivityTools, rule: br.DefaultRuleName,
		},
		{
			name:  "words of a multi-word keyword must be consecutive",
			in:    br.Input{AppName: "Operating System Tools Update", Privilege: br.PrivilegeAdmin},
			class: br.ProductivityTools, rule: br.DefaultRuleName,
		},
		{
			name:  "rule 3: business keyword",
			in:    br.Input{AppName: "SAP GUI", TargetUsers: 200},
			class: br.BusinessCritical, rule: "business-keyword",
			reasonHas: []string{`keyword "SAP" in the application name`, "revenue"},
		},
		{
			name:  "rule 3: business keyword beats productivity keyword",
			in:    br.Input{AppName: "Salesforce for Chrome"},
			class: br.BusinessCritical, rule: "business-keyword",
		},
		{
			name:  "rule 4: HIGH business criticality",
			in:    br.Input{AppName: "Warehouse Scanner", Criticality: br.CriticalityHigh},
			class: br.BusinessCritical, rule: "business-criticality-high",
			reasonHas: []string{"matched business criticality HIGH:"},
		},
		{
			name:  "rule 4: HIGH criticality from the CMDB record",
			in:    br.Input{AppName: "Warehouse Scanner", Criticality: br.CriticalityLow, CMDB: &br.CMDBRecord{ServiceTier: br.Tier3, BusinessCriticality: br.CriticalityHigh}},
			class: br.BusinessCritical, rule: "business-criticality-high",
			reasonHas: []string{"business criticality HIGH (from the CMDB record)"},
		},
		{
			name:  "rule 5: productivity keyword",
			in:    br.Input{AppName: "Slack", Publisher: "Slack Technologies", TargetUsers: 4000},
			class: br.ProductivityTools, rule: "productivity-keyword",
		},
		{
			name:  "rule 5: productivity keyword beats non-critical keyword",
			in:    br.Input{AppName: "Zoom Screen Recorder", TargetUsers: 10},
			class: br.ProductivityTools, rule: "productivity-keyword",
		},
		{
			name:  "rule 6: non-critical keyword",
			in:    br.Input{AppName: "Adobe PDF Reader", TargetUsers: 120},
			class: br.NonCritical, rule: "non-critical-keyword",
			reasonHas: []string{`keyword "PDF reader" in the application name with user privilege and 120 target users (fewer than 1000)`},
		},
		{
			name:  "rule 6 needs fewer than 1,000 users",
			in:    br.Input{AppName: "Calculator", TargetUsers: 1000},
			class: br.ProductivityTools, rule: br.DefaultRuleName,
		},
		{
			name:  "rule 6 needs user privilege",
			in:    br.Input{AppName: "Calculator", Privilege: br.PrivilegeAdmin, TargetUsers: 3},
			class: br.ProductivityTools, rule: br.DefaultRuleName,
		},
		{
			name:  "rule 6 ignores the publisher",
			in:    br.Input{AppName: "Agent", Publisher: "Utility Labs", TargetUsers: 3},
			class: br.ProductivityTools, rule: br.DefaultRuleName,
		},
		{
			name:  "default: unknown software is not trusted",
			in:    br.Input{AppName: "Acme Widget", TargetUsers: 3},
			class: br.ProductivityTools, rule: br.DefaultRuleName,
			reasonHas: []string{"not trusted"},
		},
		{
			name:  "empty input",
			in:    br.Input{},
			class: br.ProductivityTools, rule: br.DefaultRuleName,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := c.Classify(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.class, res.Class)
			assert.Equal(t, tt.rule, res.Rule)
			assert.Empty(t, res.Floor)
			assert.NotEmpty(t, res.Reason)
			for _, s := range tt.reasonHas {
				assert.Contains(t, res.Reason, s)
			}
		})
	}
}

func TestClassifyFloors(t *testing.T) {
	// A custom rule set that would call every small utility NON_CRITICAL.
	c, err := br.NewClassifier([]br.Rule{
		{Name: "tools", Class: br.NonCritical, Keywords: []string{"tool"}},
	}, br.Options{Default: br.NonCritical})
	require.NoError(t, err)

	tests := []struct {
		name      string
		in        br.Input
		rule      string
		floor     string
		class     br.Class
		reasonHas []string
	}{
		{"no floor", br.Input{AppName: "Handy Tool", TargetUsers: 999}, "tools", "", br.NonCritical, nil},
		{"privileged", br.Input{AppName: "Handy Tool", Privilege: br.PrivilegeAdmin}, "tools", br.FloorPrivileged, br.ProductivityTools,
			[]string{"raised from NON_CRITICAL to PRODUCTIVITY_TOOLS by floor:privileged", "admin privilege"}},
		{"many users", br.Input{AppName: "Handy Tool", TargetUsers: 1000}, "tools", br.FloorTargetUsers, br.ProductivityTools,
			[]string{"by floor:target-users", "1000 target users (1000 or more)"}},
		{"both", br.Input{AppName: "Handy Tool", Privilege: br.PrivilegeSystem, TargetUsers: 5000}, "tools", br.FloorPrivileged, br.ProductivityTools,
			[]string{"floor:privileged", "system privilege", "and by floor:target-users"}},
		{"configured default", br.Input{AppName: "Mystery"}, br.DefaultRuleName, "", br.NonCritical,
			[]string{"configured default class is NON_CRITICAL"}},
		{"configured default, privileged", br.Input{AppName: "Mystery", Privilege: br.PrivilegeAdmin}, br.DefaultRuleName, br.FloorPrivileged, br.ProductivityTools,
			[]string{"configured default class is NON_CRITICAL; raised"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := c.Classify(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.class, res.Class)
			assert.Equal(t, tt.rule, res.Rule)
			assert.Equal(t, tt.floor, res.Floor)
			for _, s := range tt.reasonHas {
				assert.Contains(t, res.Reason, s)
			}
		})
	}
}

func TestClassifierDefault(t *testing.T) {
	c := defaultClassifier(t)
	assert.Equal(t, br.ProductivityTools, c.Default())

	pt, err := br.NewClassifier(nil, br.Options{Default: br.ProductivityTools})
	require.NoError(t, err)
	res, err := pt.Classify(br.Input{AppName: "Slack"})
	require.NoError(t, err)
	assert.Equal(t, br.DefaultRuleName, res.Rule, "an empty rule set matches nothing")
	assert.Contains(t, res.Reason, "configured default class is PRODUCTIVITY_TOOLS")

	ci, err := br.NewClassifier(br.DefaultRules(), br.Options{Default: br.CriticalInfrastructure})
	require.NoError(t, err)
	res, err = ci.Classify(br.Input{AppName: "Acme Widget"})
	require.NoError(t, err)
	assert.Equal(t, br.CriticalInfrastructure, res.Class)
}

func TestZeroAndNilClassifier(t *testing.T) {
	for name, c := range map[string]*br.Classifier{"zero": {}, "nil": nil} {
		t.Run(name, func(t *testing.T) {
			res, err := c.Classify(br.Input{AppName: "Windows Security Update", Privilege: br.PrivilegeAdmin})
			require.NoError(t, err)
			assert.Equal(t, br.ProductivityTools, res.Class)
			assert.Equal(t, br.DefaultRuleName, res.Rule)
			assert.NotEmpty(t, res.Reason)
			assert.Equal(t, br.ProductivityTools, c.Default())
			assert.Empty(t, c.Rules())
		})
	}
}

func TestRulesAreCopied(t *testing.T) {
	rules := br.DefaultRules()
	c, err := br.NewClassifier(rules, br.Options{})
	require.NoError(t, err)

	// Changing the caller's slice after construction changes nothing.
	rules[1].Keywords[0] = "nothing-matches-this"
	rules[1].Class = br.NonCritical
	res, err := c.Classify(br.Input{AppName: "Security Agent", Privilege: br.PrivilegeAdmin})
	require.NoError(t, err)
	assert.Equal(t, br.CriticalInfrastructure, res.Class)

	// Rules returns the rule set, and changing it changes nothing either.
	got := c.Rules()
	assert.Equal(t, br.DefaultRules(), got)
	got[1].Keywords[0] = "changed"
	assert.Equal(t, br.DefaultRules(), c.Rules())

	// DefaultRules is fresh on every call.
	d := br.DefaultRules()
	d[0].Name = "changed"
	assert.Equal(t, "cmdb-tier", br.DefaultRules()[0].Name)
}

func TestDefaultRulesCoverEveryClass(t *testing.T) {
	seen := map[br.Class]bool{}
	for _, r := range br.DefaultRules() {
		seen[r.Class] = true
		assert.NotEmpty(t, r.Reason, r.Name)
	}
	for _, cl := range br.Classes() {
		assert.True(t, seen[cl], "no default rule assigns %s", cl)
	}
}

func TestClassifyConcurrently(t *testing.T) {
	c := defaultClassifier(t)
	want, err := c.Classify(br.Input{AppName: "Windows Security Update", Privilege: br.PrivilegeAdmin})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				got, err := c.Classify(br.Input{AppName: "Windows Security Update", Privilege: br.PrivilegeAdmin})
				if err != nil || got != want {
					t.Errorf("got %+v, %v; want %+v", got, err, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkClassify(b *testing.B) {
	c := defaultClassifier(b)
	inputs := []br.Input{
		{AppName: "Windows Security Update", Publisher: "Microsoft Corporation", Privilege: br.PrivilegeAdmin, TargetUsers: 50000, Criticality: br.CriticalityHigh},
		{AppName: "Acme Widget Pro 2024", Publisher: "Acme Software Ltd", TargetUsers: 300, CMDB: &br.CMDBRecord{ServiceTier: br.Tier3}},
		{AppName: "Adobe PDF Reader", Publisher: "Adobe Inc.", TargetUsers: 120},
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := c.Classify(inputs[i%len(inputs)]); err != nil {
			b.Fatal(err)
		}
	}
}

func TestReasonNeverEmptyForEveryRule(t *testing.T) {
	// Every default rule produces a readable reason starting with "matched".
	c := defaultClassifier(t)
	for _, in := range []br.Input{
		{AppName: "x", CMDB: &br.CMDBRecord{ServiceTier: br.Tier1}},
		{AppName: "Firewall", Privilege: br.PrivilegeAdmin},
		{AppName: "Payroll"},
		{AppName: "x", Criticality: br.CriticalityHigh},
		{AppName: "Mail"},
		{AppName: "Wallpaper"},
	} {
		res, err := c.Classify(in)
		require.NoError(t, err)
		assert.True(t, strings.HasPrefix(res.Reason, "matched "), res.Reason)
		assert.NotEqual(t, br.DefaultRuleName, res.Rule, in.AppName)
	}
}
