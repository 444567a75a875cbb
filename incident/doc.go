// Package incident holds what happened after deployments went ahead: the
// [Deployment] records that are the denominator of every incident rate, the
// [Incident] reports that are its numerator, and the calibration [Report]
// a CAB reads before it trusts a risk model with more automation.
//
// # Incidents
//
// An incident has a severity (P1 most severe to P4), when it occurred, its
// linkage (the deployment, evidence package and CAB approval it belongs
// to), the facts at approval (auto-approved or not, the risk score, the
// blast radius class), its impact (affected users, downtime, business impact
// in USD as an exact decimal) and its resolution. Once reported, only the
// resolution fields change ([Update]); linkage and severity are never
// rewritten.
//
// An incident that names no deployment is attributed by the store to the
// latest deployment of the same application that finished before the
// incident was reported, the rule DORA tooling such as Apache DevLake uses,
// and its [Attribution] says so ("inferred"). When it names one, the facts
// at approval are taken from the deployment record, not from the report.
//
// Validation rejects an unknown severity, an occurrence time later than the
// reporting time plus [MaxClockSkew] (five minutes: clocks disagree a
// little, not by hours), negative counts, downtime or money, and malformed
// resolution data, each as an invalid-input error naming the field (see
// Errors below).
//
// # Calibration
//
// Stores compute [Counts] over a period with aggregate queries; [NewReport]
// turns them into rates: overall, by class, by risk-score band ([Band]:
// [0, 10), [10, 20), … [90, 100]), the auto-approved deployments that caused
// incidents (auto-approval's false negatives) and the preventable
// incidents. Rates are exact decimals rounded half-up to six places; with no
// deployments the rate is 0, which is why maturity also demands a minimum
// number of deployments.
//
// Listing is newest first with keyset pagination: a [Cursor] is the
// position after which the next page starts, stable under concurrent
// inserts.
//
// # JSON
//
// [Report], [Counts], [ClassRate] and [BandRate] marshal to one stable
// form, pinned by golden files in testdata. A report is one object: the
// members of its counts (from, to, deployments, incidents, by_severity,
// deployments_by_class, incidents_by_class, deployments_by_band,
// incidents_by_band, auto_approved_with_incidents, preventable), then
// incident_rate, by_class and by_band. Times are RFC 3339 in UTC, rates
// decimal strings, the severity and class maps objects keyed by the enum
// names (an empty object for a nil map; a key with a zero count is kept as
// written), the band counts arrays of exactly [Bands] integers. Unmarshal
// validates: every member is required, and an unknown member, severity or
// class, a negative count, a band array of another length, a band outside
// 0 to Bands-1, a malformed time or decimal, a member of the wrong JSON type
// or a null document is an invalid-input error whose Field is the
// member's path ("by_severity[P5]", "by_band[3].rate"). The rates are
// read as written, not recomputed from the counts.
//
// [Deployment] has a JSON form too, in the field names Validate reports
// (id, application, evidence_id, request_id, class, auto_approved,
// risk_score, model_version, finished_at, created_at; the optional ids and
// created_at omitted while zero). Reading it checks the form only: call
// Validate, which needs the clock, before recording what was read.
//
// So does [Incident]: one flat object with its [Resolution]'s members
// inline, in the field names Validate reports; the linked ids,
// attribution, blast_radius, resolved_at, created_at, updated_at,
// was_preventable (while unknown), control_improvements (while nil) and
// the attestation (while unsigned) omitted. control_improvements must be a
// JSON array or object and is kept compacted; the attestation is parsed as
// strictly as dsse.Parse does, not verified ([Incident.Verify] does).
//
// # Errors
//
// Every validation error is a *trustgate.Error with code trustgate.Invalid
// and a Field in the names of the JSON form ("severity", "occurred_at",
// "business_impact_usd", "cursor", "limit"); trustgate.AsError (or
// errors.As) gives both in one call. The package has no detail types or
// sentinels of its own; the stores add not_found (an unknown incident or
// deployment) and conflict (a different report under a used correlation
// id).
package incident
