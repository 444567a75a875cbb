package blastradius

import (
	"errors"
	"fmt"

	"github.com/buildworksai/trustgate"
)

// Class is a blast radius class: how much of the business a failed deployment
// can hurt. The zero value is not a valid class.
type Class string

// The four classes, from most to least severe.
const (
	CriticalInfrastructure Class = "CRITICAL_INFRASTRUCTURE"
	BusinessCritical       Class = "BUSINESS_CRITICAL"
	ProductivityTools      Class = "PRODUCTIVITY_TOOLS"
	NonCritical            Class = "NON_CRITICAL"
)

// ErrUnknownClass is wrapped by every [*ClassError]: a string that names no
// class.
var ErrUnknownClass = errors.New("blastradius: unknown class")

// ClassError reports a value that is not a class. It wraps [ErrUnknownClass]
// and comes wrapped, as Err, in a *trustgate.Error with code
// [trustgate.Invalid] naming the field, so errors.As finds both.
type ClassError struct {
	Value string // the offending input, verbatim
}

func (e *ClassError) Error() string { return "blastradius: " + e.reason() }

func (e *ClassError) reason() string {
	return fmt.Sprintf("unknown class %q (want one of CRITICAL_INFRASTRUCTURE, BUSINESS_CRITICAL, PRODUCTIVITY_TOOLS, NON_CRITICAL)", e.Value)
}

// classErr is the invalid-input error for value at field: code Invalid,
// wrapping a [*ClassError].
func classErr(field, value string) *trustgate.Error {
	ce := &ClassError{Value: value}
	return &trustgate.Error{Code: trustgate.Invalid, Field: field, Message: "blastradius: " + field + ": " + ce.reason(), Err: ce}
}

// Unwrap returns [ErrUnknownClass].
func (e *ClassError) Unwrap() error { return ErrUnknownClass }

// Classes returns the four classes, most severe first. The slice is new on
// every call; the caller may keep or modify it.
func Classes() []Class {
	return []Class{CriticalInfrastructure, BusinessCritical, ProductivityTools, NonCritical}
}

// Parse returns the class named by s. Matching is exact: class names are
// identifiers, not prose, so "critical_infrastructure" is rejected rather
// than guessed at. An unknown name is an invalid-input error for the field
// "class" wrapping a [*ClassError].
func Parse(s string) (Class, error) {
	c := Class(s)
	if !c.Valid() {
		return "", classErr("class", s)
	}
	return c, nil
}

// Valid reports whether c is one of the four classes.
func (c Class) Valid() bool { return c.Severity() > 0 }

// Severity orders the classes: 4 for CRITICAL_INFRASTRUCTURE down to 1 for
// NON_CRITICAL, and 0 for anything that is not a class.
func (c Class) Severity() int {
	switch c {
	case CriticalInfrastructure:
		return 4
	case BusinessCritical:
		return 3
	case ProductivityTools:
		return 2
	case NonCritical:
		return 1
	}
	return 0
}

// MoreSevereThan reports whether c is strictly more severe than other.
func (c Class) MoreSevereThan(other Class) bool { return c.Severity() > other.Severity() }

// Max returns the more severe of a and b (a when they are equal).
func Max(a, b Class) Class {
	if b.MoreSevereThan(a) {
		return b
	}
	return a
}

// Quorum is the number of distinct CAB approvals a request of this class
// needs: 3 for CRITICAL_INFRASTRUCTURE, 2 for BUSINESS_CRITICAL, 1 otherwise.
// It returns 0 for an invalid class.
func (c Class) Quorum() int {
	switch c {
	case CriticalInfrastructure:
		return 3
	case BusinessCritical:
		return 2
	case ProductivityTools, NonCritical:
		return 1
	}
	return 0
}

// AutoApproveAllowed reports whether deployments of this class may ever be
// approved automatically. It is false for CRITICAL_INFRASTRUCTURE at every
// maturity level, and false for an invalid class.
func (c Class) AutoApproveAllowed() bool {
	return c == BusinessCritical || c == ProductivityTools || c == NonCritical
}

// String returns the class name.
func (c Class) String() string { return string(c) }

// Definition describes a class for people: what it covers, its CAB quorum,
// whether it may ever auto-approve, and examples. Stores persist definitions
// so that a CAB can read them next to the decisions they shaped.
type Definition struct {
	Class              Class
	Description        string
	Quorum             int
	AutoApproveAllowed bool
	Examples           []string
}

// Definitions returns the seed definitions of the four classes, most severe
// first. Each call returns fresh slices.
func Definitions() []Definition {
	return []Definition{
		{
			Class:              CriticalInfrastructure,
			Description:        "Security, operating system, identity and network infrastructure: a failure can take the whole fleet or its defences down.",
			Quorum:             CriticalInfrastructure.Quorum(),
			AutoApproveAllowed: CriticalInfrastructure.AutoApproveAllowed(),
			Examples:           []string{"Windows Update", "Antivirus/EDR", "VPN client", "PKI", "Active Directory", "Identity/authentication agent", "Operating system"},
		},
		{
			Class:              BusinessCritical,
			Description:        "Systems the business runs on (ERP, finance, customer-facing): a failure stops revenue or reporting.",
			Quorum:             BusinessCritical.Quorum(),
			AutoApproveAllowed: BusinessCritical.AutoApproveAllowed(),
			Examples:           []string{"SAP/ERP", "CRM/Salesforce", "Financial reporting", "Trading platform", "Payroll"},
		},
		{
			Class:              ProductivityTools,
			Description:        "Everyday office and collaboration software: a failure hurts productivity but is contained.",
			Quorum:             ProductivityTools.Quorum(),
			AutoApproveAllowed: ProductivityTools.AutoApproveAllowed(),
			Examples:           []string{"Microsoft Office", "Slack", "Zoom", "Chrome"},
		},
		{
			Class:              NonCritical,
			Description:        "Optional utilities used by few people without elevated rights: a failure is an inconvenience.",
			Quorum:             NonCritical.Quorum(),
			AutoApproveAllowed: NonCritical.AutoApproveAllowed(),
			Examples:           []string{"Utilities", "Calculator", "Wallpaper", "PDF reader", "Screen recorder"},
		},
	}
}
