package blastradius_test

import (
	"fmt"

	"github.com/buildworksai/trustgate/blastradius"
)

func ExampleClassifier_Classify() {
	c, err := blastradius.NewClassifier(blastradius.DefaultRules(), blastradius.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, in := range []blastradius.Input{
		{
			AppName:     "Windows Security Update",
			Publisher:   "Microsoft Corporation",
			Privilege:   blastradius.PrivilegeAdmin,
			TargetUsers: 50000,
			Criticality: blastradius.CriticalityHigh,
		},
		{AppName: "Adobe PDF Reader", TargetUsers: 120},
		{AppName: "Acme Widget", TargetUsers: 40},
	} {
		res, err := c.Classify(in)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s: %s by %s\n  %s\n", in.AppName, res.Class, res.Rule, res.Reason)
	}
	// Output:
	// Windows Security Update: CRITICAL_INFRASTRUCTURE by critical-keyword-elevated
	//   matched keyword "security" in the application name with admin privilege: security, identity, network and operating system software running with elevated rights can take the fleet or its defences down
	// Adobe PDF Reader: NON_CRITICAL by non-critical-keyword
	//   matched keyword "PDF reader" in the application name with user privilege and 120 target users (fewer than 1000): an optional utility used by few people without elevated rights
	// Acme Widget: PRODUCTIVITY_TOOLS by default
	//   no rule matched: unknown software is not trusted, so it gets the default class PRODUCTIVITY_TOOLS
}

func ExampleNewClassifier() {
	// Extend the default rules: anything in the CMDB with ENTERPRISE
	// impact scope is at least business critical. Insert it before the
	// productivity rules so that it takes priority over them.
	rules := blastradius.DefaultRules()
	enterprise := blastradius.Rule{
		Name:           "enterprise-scope",
		Class:          blastradius.BusinessCritical,
		Reason:         "the whole enterprise uses it",
		MinImpactScope: blastradius.ScopeEnterprise,
	}
	rules = append(rules[:4], append([]blastradius.Rule{enterprise}, rules[4:]...)...)

	c, err := blastradius.NewClassifier(rules, blastradius.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := c.Classify(blastradius.Input{
		AppName: "Slack",
		CMDB:    &blastradius.CMDBRecord{ServiceTier: blastradius.Tier2, ImpactScope: blastradius.ScopeEnterprise},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Class, res.Rule)
	fmt.Println(res.Reason)
	// Output:
	// BUSINESS_CRITICAL enterprise-scope
	// matched CMDB impact scope ENTERPRISE: the whole enterprise uses it
}
