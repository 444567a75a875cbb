/*
Package blastradius classifies software deployments by how much of the
business a failure could hurt, and explains each classification so that a
change advisory board (CAB) can check it.

# Classes

A [Class] is one of four blast radius classes, most severe first:

  - [CriticalInfrastructure]: security, operating system, identity and
    network software. A failure can take the fleet or its defences down.
    Needs three CAB approvals and is never approved automatically.
  - [BusinessCritical]: systems the business runs on, such as ERP, finance
    and CRM. Needs two approvals.
  - [ProductivityTools]: everyday office and collaboration software. Needs
    one approval.
  - [NonCritical]: optional utilities used by few people without elevated
    rights. Needs one approval.

[Class.Quorum], [Class.AutoApproveAllowed] and [Definitions] give the details.

# Classifying

A [Classifier] maps an [Input] (application name, publisher, privilege,
target user count, business criticality and an optional [CMDBRecord]) to a
[Result]: the class, the name of the rule that decided it, and a reason in
plain words:

	c, err := blastradius.NewClassifier(blastradius.DefaultRules(), blastradius.Options{})
	...
	res, err := c.Classify(blastradius.Input{
		AppName:     "Windows Security Update",
		Privilege:   blastradius.PrivilegeAdmin,
		TargetUsers: 50000,
		Criticality: blastradius.CriticalityHigh,
	})
	// res.Class is CRITICAL_INFRASTRUCTURE, res.Rule "critical-keyword-elevated",
	// res.Reason `matched keyword "security" in the application name with
	// admin privilege: ...`

Classification runs in three steps:

 1. The rules, in order. The first [Rule] whose conditions all hold decides
    the class.
 2. If no rule matched, the default class: PRODUCTIVITY_TOOLS unless
    [Options].Default says otherwise.
 3. The floors, which hold for every rule set, custom ones included. A
    package that needs admin or system privilege ([FloorPrivileged]) or
    targets [LargeDeploymentUsers] or more users ([FloorTargetUsers]) is
    never NON_CRITICAL: a floor raises it to PRODUCTIVITY_TOOLS, sets
    [Result].Floor and says so in the reason.

Invalid input (a negative user count, an unknown criticality, tier or scope)
is an invalid-input error naming the field (see Errors below); Classify
never panics.

# Default rules

Rules are data: [DefaultRules] returns the defaults below, which a caller may
edit, extend or replace before passing them to [NewClassifier]. A rule
matches when every condition it sets holds.

	#  Name                       Class                    Conditions
	1  cmdb-tier                  CRITICAL_INFRASTRUCTURE  CMDB service tier Tier0 or Tier1
	2  critical-keyword-elevated  CRITICAL_INFRASTRUCTURE  critical keyword, and admin or system privilege
	3  business-keyword           BUSINESS_CRITICAL        business keyword
	4  business-criticality-high  BUSINESS_CRITICAL        effective business criticality HIGH
	5  productivity-keyword       PRODUCTIVITY_TOOLS       productivity keyword
	6  non-critical-keyword       NON_CRITICAL             non-critical keyword in the name, user
	                                                       privilege, and fewer than 1,000 target users

The keywords are:

  - critical: security, antivirus, anti-virus, EDR, VPN, PKI, certificate,
    AD, Active Directory, identity, authentication, firewall, OS,
    operating system update, Windows Update
  - business: ERP, SAP, CRM, Salesforce, financial, trading, payroll, banking
  - productivity: Office, Slack, Zoom, Teams, Chrome, browser, mail, email
  - non-critical: utility, utilities, calculator, wallpaper, PDF reader,
    screen recorder

# Choices

Keywords match whole words, ignoring case. A word is a run of Unicode
letters and digits; anything else separates words, and words compare under
simple Unicode case folding (as [strings.EqualFold] does). So "AD" matches
"AD Connect" and "ad-connect" but not "Adobe" or "Broadway"; "Office" does
not match "Office365". A keyword of several words, such as "PDF reader",
matches those words in a row. Ignoring case means "AD" also matches the "Ad"
of "Ad Blocker": such a false match can only make a class more severe, which
is the safe direction for every keyword rule but the non-critical one.

Keywords match in the application name and in the publisher: an
application from "SAP SE" is business critical whatever it is called. The
exception is the non-critical rule, which sets [Rule].NameOnly: a
publisher's name may raise a class but should not vouch for a package as
harmless.

The effective business criticality is the higher of the one in the request
and the one in the CMDB record ([Input.EffectiveCriticality]); neither can
lower the other.

The default class for unmatched software is PRODUCTIVITY_TOOLS, not
NON_CRITICAL, because unknown software is not trusted. Configuring
NON_CRITICAL as the default is allowed but is the operator's choice, and the
floors still apply.

The zero [Tier] is [TierUnknown], not Tier0, so that a partly filled
[CMDBRecord] does not silently claim the most critical tier.

With the default rules, classification is monotone: adding privilege,
raising the target user count, raising the business criticality or lowering
the CMDB tier number never yields a less severe class. Custom rules that
require user privilege or few users (as the non-critical rule does) should
assign the least severe classes and come last to keep this property.

# Errors

Every error is a *trustgate.Error with code trustgate.Invalid whose Field
is the path of the value at fault in the names of the classifier input's
JSON form, as the reference server's classifier endpoint takes it:
"privilege", "target_users", "criticality", "cmdb.service_tier",
"cmdb.business_criticality", "cmdb.impact_scope", "cmdb.rto_minutes",
"cmdb.rpo_minutes"; trustgate.AsError (or errors.As) gives both in one
call. An unknown class ([Parse]) has Field "class" and wraps a
[*ClassError] with the offending value and [ErrUnknownClass]; a rule that
[NewClassifier] refuses has Field "rules[<index>].<field>" in snake case
("rules[2].keywords[0]", "rules[1].max_target_users") and wraps a
[*RuleError] with the rule's index and name and [ErrInvalidRule]; an
invalid Options.Default has Field "default" and wraps a [*ClassError].

# JSON

[Result] marshals to one stable form, pinned by golden files in testdata:
{"class", "rule", "reason", "floor"}, the class by its name and floor
omitted while no floor raised the class. Unmarshal validates: class, rule
and reason are required, and an unknown member, class or floor, a member
of the wrong JSON type or a null document is an invalid-input error whose
Field names the member; an unknown class also wraps a [*ClassError].
*/
package blastradius
