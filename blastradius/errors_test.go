package blastradius_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/buildworksai/trustgate"
	br "github.com/buildworksai/trustgate/blastradius"
)

func TestValidateErrors(t *testing.T) {
	c := defaultClassifier(t)
	tests := []struct {
		in    br.Input
		field string
		value string // the offending value, as the message shows it
	}{
		{br.Input{Privilege: br.Privilege(3)}, "privilege", "Privilege(3)"},
		{br.Input{Privilege: br.Privilege(-1)}, "privilege", "Privilege(-1)"},
		{br.Input{TargetUsers: -1}, "target_users", "-1"},
		{br.Input{Criticality: "high"}, "criticality", `"high"`},
		{br.Input{CMDB: &br.CMDBRecord{ServiceTier: br.Tier(5)}}, "cmdb.service_tier", "Tier(5)"},
		{br.Input{CMDB: &br.CMDBRecord{ServiceTier: br.Tier(-1)}}, "cmdb.service_tier", "Tier(-1)"},
		{br.Input{CMDB: &br.CMDBRecord{BusinessCriticality: "CRITICAL"}}, "cmdb.business_criticality", `"CRITICAL"`},
		{br.Input{CMDB: &br.CMDBRecord{ImpactScope: "GLOBAL"}}, "cmdb.impact_scope", `"GLOBAL"`},
		{br.Input{CMDB: &br.CMDBRecord{RTO: -time.Second}}, "cmdb.rto_minutes", "-1s"},
		{br.Input{CMDB: &br.CMDBRecord{RPO: -time.Minute}}, "cmdb.rpo_minutes", "-1m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			err := tt.in.Validate()
			require.Error(t, err)
			var fe *trustgate.Error
			require.True(t, errors.As(err, &fe))
			assert.Equal(t, trustgate.Invalid, fe.Code)
			assert.Equal(t, tt.field, fe.Field)
			assert.True(t, strings.HasPrefix(err.Error(), "blastradius: "+tt.field+": "+tt.value+": "), err.Error())
			assert.Greater(t, len(err.Error()), len("blastradius: "+tt.field+": "+tt.value+": "), "a reason follows the value")

			res, cerr := c.Classify(tt.in)
			assert.Equal(t, err, cerr, "Classify returns the validation error")
			assert.Equal(t, br.Result{}, res)
		})
	}
}

func TestValidateAcceptsFullInput(t *testing.T) {
	in := br.Input{
		AppName: "SAP GUI", Publisher: "SAP SE", Privilege: br.PrivilegeSystem, TargetUsers: 0,
		Criticality: br.CriticalityMedium,
		CMDB: &br.CMDBRecord{
			ServiceTier: br.Tier3, BusinessCriticality: br.CriticalityLow,
			ImpactScope: br.ScopeDepartment, RTO: 4 * time.Hour, RPO: time.Hour,
		},
	}
	assert.NoError(t, in.Validate())
	assert.Equal(t, br.CriticalityMedium, in.EffectiveCriticality())
	in.CMDB.BusinessCriticality = br.CriticalityHigh
	assert.Equal(t, br.CriticalityHigh, in.EffectiveCriticality())
}

func TestParseCriticality(t *testing.T) {
	for s, want := range map[string]br.Criticality{
		"": br.CriticalityUnknown, "unknown": br.CriticalityUnknown, "UNKNOWN": br.CriticalityUnknown,
		"LOW": br.CriticalityLow, "Medium": br.CriticalityMedium, "high": br.CriticalityHigh,
	} {
		got, err := br.ParseCriticality(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, got, s)
	}
	assertFieldError(t, "criticality", func() error { _, err := br.ParseCriticality("critical"); return err })
	assert.Equal(t, "UNKNOWN", br.CriticalityUnknown.String())
	assert.Equal(t, "HIGH", br.CriticalityHigh.String())
	assert.Equal(t, []int{0, 1, 2, 3, -1}, []int{
		br.CriticalityUnknown.Rank(), br.CriticalityLow.Rank(), br.CriticalityMedium.Rank(),
		br.CriticalityHigh.Rank(), br.Criticality("x").Rank(),
	})
}

func TestParseTier(t *testing.T) {
	for s, want := range map[string]br.Tier{
		"": br.TierUnknown, "TierUnknown": br.TierUnknown,
		"Tier0": br.Tier0, "tier1": br.Tier1, "TIER2": br.Tier2, "Tier3": br.Tier3,
	} {
		got, err := br.ParseTier(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, got, s)
		if s != "" {
			assert.Equal(t, want, must(br.ParseTier(got.String())), "String round-trips")
		}
	}
	for _, s := range []string{"Tier4", "Tier-1", "0", "Tier 0", "tier"} {
		assertFieldError(t, "cmdb.service_tier", func() error { _, err := br.ParseTier(s); return err })
	}
	assert.Equal(t, "Tier(9)", br.Tier(9).String())
	assert.True(t, br.Tier0 < br.Tier3)
	assert.Equal(t, br.TierUnknown, br.Tier(0), "the zero Tier is unknown, not Tier0")
}

func TestParseScope(t *testing.T) {
	for s, want := range map[string]br.Scope{
		"": br.ScopeUnknown, "unknown": br.ScopeUnknown,
		"ENTERPRISE": br.ScopeEnterprise, "department": br.ScopeDepartment, "Team": br.ScopeTeam,
	} {
		got, err := br.ParseScope(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, got, s)
	}
	assertFieldError(t, "cmdb.impact_scope", func() error { _, err := br.ParseScope("global"); return err })
	assert.Equal(t, "UNKNOWN", br.ScopeUnknown.String())
	assert.Equal(t, []int{0, 1, 2, 3, -1}, []int{
		br.ScopeUnknown.Rank(), br.ScopeTeam.Rank(), br.ScopeDepartment.Rank(),
		br.ScopeEnterprise.Rank(), br.Scope("x").Rank(),
	})
}

func TestParsePrivilege(t *testing.T) {
	for s, want := range map[string]br.Privilege{"user": br.PrivilegeUser, "Admin": br.PrivilegeAdmin, "SYSTEM": br.PrivilegeSystem} {
		got, err := br.ParsePrivilege(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, got, s)
	}
	assertFieldError(t, "privilege", func() error { _, err := br.ParsePrivilege("root"); return err })
	assert.False(t, br.PrivilegeUser.Elevated())
	assert.True(t, br.PrivilegeAdmin.Elevated())
	assert.True(t, br.PrivilegeSystem.Elevated())
	assert.False(t, br.Privilege(7).Elevated())
	assert.Equal(t, "Privilege(7)", br.Privilege(7).String())
}

func TestNewClassifierErrors(t *testing.T) {
	ok := br.Rule{Name: "ok", Class: br.NonCritical, Keywords: []string{"x"}}
	tests := []struct {
		name  string
		rule  br.Rule
		field string
	}{
		{"no name", br.Rule{Class: br.NonCritical, Keywords: []string{"x"}}, "name"},
		{"duplicate name", br.Rule{Name: "ok", Class: br.NonCritical, Keywords: []string{"y"}}, "name"},
		{"no class", br.Rule{Name: "r", Keywords: []string{"x"}}, "class"},
		{"bad class", br.Rule{Name: "r", Class: "CRITICAL", Keywords: []string{"x"}}, "class"},
		{"no condition", br.Rule{Name: "r", Class: br.NonCritical, Reason: "catch-all"}, ""},
		{"empty keyword", br.Rule{Name: "r", Class: br.NonCritical, Keywords: []string{"x", ""}}, "keywords[1]"},
		{"punctuation keyword", br.Rule{Name: "r", Class: br.NonCritical, Keywords: []string{" -- "}}, "keywords[0]"},
		{"bad criticality", br.Rule{Name: "r", Class: br.NonCritical, MinCriticality: "SEVERE"}, "min_criticality"},
		{"bad tier", br.Rule{Name: "r", Class: br.NonCritical, MaxServiceTier: br.Tier(8)}, "max_service_tier"},
		{"bad scope", br.Rule{Name: "r", Class: br.NonCritical, MinImpactScope: "WORLD"}, "min_impact_scope"},
		{"negative users", br.Rule{Name: "r", Class: br.NonCritical, MaxTargetUsers: -5}, "max_target_users"},
		{"contradiction", br.Rule{Name: "r", Class: br.NonCritical, RequireElevated: true, RequireUserPrivilege: true}, "require_user_privilege"},
		{"name only without keywords", br.Rule{Name: "r", Class: br.NonCritical, NameOnly: true, MaxTargetUsers: 5}, "name_only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := br.NewClassifier([]br.Rule{ok, tt.rule}, br.Options{})
			require.Error(t, err)
			assert.Nil(t, c)
			assert.True(t, errors.Is(err, br.ErrInvalidRule))
			var re *br.RuleError
			require.True(t, errors.As(err, &re))
			assert.Equal(t, 1, re.Index)
			assert.Equal(t, tt.rule.Name, re.Name)
			assert.Equal(t, tt.field, re.Field)
			assert.NotEmpty(t, re.Reason)
			path := "rules[1]"
			if tt.field != "" {
				path += "." + tt.field
			}
			e := trustgate.AsError(err)
			assert.Equal(t, trustgate.Invalid, e.Code)
			assert.Equal(t, path, e.Field)
			assert.Contains(t, err.Error(), path)
		})
	}
}

func TestNewClassifierBadDefault(t *testing.T) {
	c, err := br.NewClassifier(br.DefaultRules(), br.Options{Default: "TRUSTED"})
	require.Error(t, err)
	assert.Nil(t, c)
	assert.True(t, errors.Is(err, br.ErrUnknownClass))
	var ce *br.ClassError
	require.True(t, errors.As(err, &ce))
	assert.Equal(t, "TRUSTED", ce.Value)
	e := trustgate.AsError(err)
	assert.Equal(t, trustgate.Invalid, e.Code)
	assert.Equal(t, "default", e.Field)
	assert.Contains(t, err.Error(), "default")
}

func assertFieldError(t *testing.T, field string, f func() error) {
	t.Helper()
	err := f()
	require.Error(t, err)
	var fe *trustgate.Error
	require.True(t, errors.As(err, &fe))
	assert.Equal(t, trustgate.Invalid, fe.Code)
	assert.Equal(t, field, fe.Field)
	assert.True(t, strings.HasPrefix(err.Error(), "blastradius: "+field+": \""), "the message quotes the value: %v", err)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
