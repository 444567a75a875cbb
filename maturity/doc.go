// Package maturity holds trust maturity: the levels through which automation
// is earned, and the installation's current [State].
//
// Level 0 (Baseline) sends every deployment to the CAB. Each higher level
// raises the auto-approve thresholds a little, and is entered only when the
// incident record of the level before it allows and the CAB signs off.
// CRITICAL_INFRASTRUCTURE stays at threshold 0 at every level.
package maturity
