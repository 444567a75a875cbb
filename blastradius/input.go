package blastradius

import (
	"strconv"
	"strings"
	"time"

	"github.com/buildworksai/trustgate"
)

// fieldErr reports one invalid field of an [Input] (or a value given to
// [ParseCriticality], [ParseTier], [ParseScope] or [ParsePrivilege]): code
// Invalid, the field's path in the names of the classifier input's JSON
// form ("target_users", "cmdb.service_tier"), and a message
// "blastradius: <field>: <value>: <reason>" with the offending value
// formatted for people.
func fieldErr(field, value, reason string) *trustgate.Error {
	return &trustgate.Error{Code: trustgate.Invalid, Field: field,
		Message: "blastradius: " + field + ": " + value + ": " + reason}
}

// Privilege is the privilege a package needs to install or run. The zero
// value is [PrivilegeUser].
type Privilege int

// The privileges, from least to most powerful.
const (
	PrivilegeUser   Privilege = iota // runs with the signed-in user's rights
	PrivilegeAdmin                   // needs local administrator rights
	PrivilegeSystem                  // runs as SYSTEM/root, as services and drivers do
)

// Elevated reports whether p is more than user privilege: [PrivilegeAdmin]
// or [PrivilegeSystem].
func (p Privilege) Elevated() bool { return p == PrivilegeAdmin || p == PrivilegeSystem }

// Valid reports whether p is one of the three privileges.
func (p Privilege) Valid() bool { return p >= PrivilegeUser && p <= PrivilegeSystem }

// String returns "user", "admin" or "system", or "Privilege(n)" for an
// invalid value.
func (p Privilege) String() string {
	switch p {
	case PrivilegeUser:
		return "user"
	case PrivilegeAdmin:
		return "admin"
	case PrivilegeSystem:
		return "system"
	}
	return "Privilege(" + strconv.Itoa(int(p)) + ")"
}

// ParsePrivilege returns the privilege named by s ("user", "admin" or
// "system", in any case). Anything else is an invalid-input error for the
// field "privilege".
func ParsePrivilege(s string) (Privilege, error) {
	for _, p := range []Privilege{PrivilegeUser, PrivilegeAdmin, PrivilegeSystem} {
		if strings.EqualFold(s, p.String()) {
			return p, nil
		}
	}
	return PrivilegeUser, fieldErr("privilege", strconv.Quote(s), "want user, admin or system")
}

// Criticality is how much the business says it depends on an application.
// The zero value, [CriticalityUnknown], means nobody said.
type Criticality string

// The business criticalities, from unknown to most critical.
const (
	CriticalityUnknown Criticality = ""
	CriticalityLow     Criticality = "LOW"
	CriticalityMedium  Criticality = "MEDIUM"
	CriticalityHigh    Criticality = "HIGH"
)

// Rank orders criticalities: 0 for [CriticalityUnknown], then 1, 2 and 3
// for LOW, MEDIUM and HIGH, and -1 for anything that is not a criticality.
func (c Criticality) Rank() int {
	switch c {
	case CriticalityUnknown:
		return 0
	case CriticalityLow:
		return 1
	case CriticalityMedium:
		return 2
	case CriticalityHigh:
		return 3
	}
	return -1
}

// Valid reports whether c is one of the four criticalities, including
// [CriticalityUnknown].
func (c Criticality) Valid() bool { return c.Rank() >= 0 }

// String returns the criticality name, or "UNKNOWN" for [CriticalityUnknown].
func (c Criticality) String() string {
	if c == CriticalityUnknown {
		return "UNKNOWN"
	}
	return string(c)
}

// ParseCriticality returns the criticality named by s: "LOW", "MEDIUM" or
// "HIGH" in any case, or [CriticalityUnknown] for "" and "UNKNOWN". Matching
// ignores case because CMDB exports spell these values inconsistently.
// Anything else is an invalid-input error for the field "criticality".
func ParseCriticality(s string) (Criticality, error) {
	if s == "" || strings.EqualFold(s, "UNKNOWN") {
		return CriticalityUnknown, nil
	}
	for _, c := range []Criticality{CriticalityLow, CriticalityMedium, CriticalityHigh} {
		if strings.EqualFold(s, string(c)) {
			return c, nil
		}
	}
	return CriticalityUnknown, fieldErr("criticality", strconv.Quote(s), "want HIGH, MEDIUM, LOW or UNKNOWN")
}

// Tier is a CMDB service tier. Tier0 is the most critical. The zero value is
// [TierUnknown] (no tier recorded), so that a partly filled [CMDBRecord]
// does not silently claim Tier0. Known tiers compare as their numbers do
// (Tier0 < Tier3); check for TierUnknown before comparing.
type Tier int

// The service tiers. TierUnknown is deliberately not Tier0.
const (
	TierUnknown Tier = iota // no tier recorded
	Tier0                   // the business cannot run without it
	Tier1
	Tier2
	Tier3 // least critical
)

// Valid reports whether t is [TierUnknown] or one of Tier0 to Tier3.
func (t Tier) Valid() bool { return t >= TierUnknown && t <= Tier3 }

// String returns "Tier0" to "Tier3", "TierUnknown", or "Tier(n)" for an
// invalid value.
func (t Tier) String() string {
	switch {
	case t == TierUnknown:
		return "TierUnknown"
	case t.Valid():
		return "Tier" + strconv.Itoa(int(t-Tier0))
	}
	return "Tier(" + strconv.Itoa(int(t)) + ")"
}

// ParseTier returns the tier named by s: "Tier0" to "Tier3" in any case, or
// [TierUnknown] for "" and "TierUnknown". Anything else is an invalid-input
// error for the field "cmdb.service_tier".
func ParseTier(s string) (Tier, error) {
	for t := TierUnknown; t <= Tier3; t++ {
		if strings.EqualFold(s, t.String()) {
			return t, nil
		}
	}
	if s == "" {
		return TierUnknown, nil
	}
	return TierUnknown, fieldErr("cmdb.service_tier", strconv.Quote(s), "want Tier0, Tier1, Tier2 or Tier3")
}

// Scope is how much of the organisation an application serves, as recorded
// in the CMDB. The zero value, [ScopeUnknown], means nothing was recorded.
type Scope string

// The impact scopes, from unknown to widest.
const (
	ScopeUnknown    Scope = ""
	ScopeTeam       Scope = "TEAM"
	ScopeDepartment Scope = "DEPARTMENT"
	ScopeEnterprise Scope = "ENTERPRISE"
)

// Rank orders scopes: 0 for [ScopeUnknown], then 1, 2 and 3 for TEAM,
// DEPARTMENT and ENTERPRISE, and -1 for anything that is not a scope.
func (s Scope) Rank() int {
	switch s {
	case ScopeUnknown:
		return 0
	case ScopeTeam:
		return 1
	case ScopeDepartment:
		return 2
	case ScopeEnterprise:
		return 3
	}
	return -1
}

// Valid reports whether s is one of the four scopes, including
// [ScopeUnknown].
func (s Scope) Valid() bool { return s.Rank() >= 0 }

// String returns the scope name, or "UNKNOWN" for [ScopeUnknown].
func (s Scope) String() string {
	if s == ScopeUnknown {
		return "UNKNOWN"
	}
	return string(s)
}

// ParseScope returns the scope named by s: "ENTERPRISE", "DEPARTMENT" or
// "TEAM" in any case, or [ScopeUnknown] for "" and "UNKNOWN". Anything else
// is an invalid-input error for the field "cmdb.impact_scope".
func ParseScope(s string) (Scope, error) {
	if s == "" || strings.EqualFold(s, "UNKNOWN") {
		return ScopeUnknown, nil
	}
	for _, sc := range []Scope{ScopeTeam, ScopeDepartment, ScopeEnterprise} {
		if strings.EqualFold(s, string(sc)) {
			return sc, nil
		}
	}
	return ScopeUnknown, fieldErr("cmdb.impact_scope", strconv.Quote(s), "want ENTERPRISE, DEPARTMENT, TEAM or UNKNOWN")
}

// CMDBRecord is what the configuration management database knows about the
// service an application belongs to. Every field is optional; the zero
// value records nothing.
type CMDBRecord struct {
	ServiceTier         Tier
	BusinessCriticality Criticality
	ImpactScope         Scope
	RTO                 time.Duration // recovery time objective; 0 if unknown
	RPO                 time.Duration // recovery point objective; 0 if unknown
}

// Input describes one software package to classify.
type Input struct {
	AppName     string      // application name, such as "Windows Security Update"
	Publisher   string      // publisher, such as "Microsoft Corporation"; optional
	Privilege   Privilege   // privilege the package needs
	TargetUsers int         // number of users the deployment targets
	Criticality Criticality // business criticality stated with the request
	CMDB        *CMDBRecord // the CMDB record, or nil if there is none
}

// Validate reports the first invalid field of in as a *trustgate.Error with
// code [trustgate.Invalid] whose Field is the path in the names of the
// classifier input's JSON form ("target_users", "cmdb.service_tier"): an
// unknown privilege, negative TargetUsers, an unknown criticality, or in the
// CMDB record a tier out of range, an unknown criticality or scope, or a
// negative RTO or RPO. Names are free text and never invalid.
func (in Input) Validate() error {
	if !in.Privilege.Valid() {
		return fieldErr("privilege", in.Privilege.String(), "want PrivilegeUser, PrivilegeAdmin or PrivilegeSystem")
	}
	if in.TargetUsers < 0 {
		return fieldErr("target_users", strconv.Itoa(in.TargetUsers), "must not be negative")
	}
	if !in.Criticality.Valid() {
		return fieldErr("criticality", strconv.Quote(string(in.Criticality)), "want HIGH, MEDIUM, LOW or unknown (\"\")")
	}
	if in.CMDB == nil {
		return nil
	}
	r := in.CMDB
	switch {
	case !r.ServiceTier.Valid():
		return fieldErr("cmdb.service_tier", r.ServiceTier.String(), "want Tier0 to Tier3 or TierUnknown")
	case !r.BusinessCriticality.Valid():
		return fieldErr("cmdb.business_criticality", strconv.Quote(string(r.BusinessCriticality)), "want HIGH, MEDIUM, LOW or unknown (\"\")")
	case !r.ImpactScope.Valid():
		return fieldErr("cmdb.impact_scope", strconv.Quote(string(r.ImpactScope)), "want ENTERPRISE, DEPARTMENT, TEAM or unknown (\"\")")
	case r.RTO < 0:
		return fieldErr("cmdb.rto_minutes", r.RTO.String(), "must not be negative")
	case r.RPO < 0:
		return fieldErr("cmdb.rpo_minutes", r.RPO.String(), "must not be negative")
	}
	return nil
}

// EffectiveCriticality is the higher of the criticality stated in the
// request and the one in the CMDB record: a CMDB cannot lower what the
// requester said, nor the requester what the CMDB says.
func (in Input) EffectiveCriticality() Criticality {
	if in.CMDB != nil && in.CMDB.BusinessCriticality.Rank() > in.Criticality.Rank() {
		return in.CMDB.BusinessCriticality
	}
	return in.Criticality
}

// serviceTier returns the CMDB service tier, or TierUnknown without a record.
func (in Input) serviceTier() Tier {
	if in.CMDB == nil {
		return TierUnknown
	}
	return in.CMDB.ServiceTier
}

// impactScope returns the CMDB impact scope, or ScopeUnknown without a record.
func (in Input) impactScope() Scope {
	if in.CMDB == nil {
		return ScopeUnknown
	}
	return in.CMDB.ImpactScope
}
