package incident

import (
	"encoding/json"
	"fmt"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/internal/wire"
)

// The JSON forms of [Report], [Counts], [ClassRate] and [BandRate]; see
// the package doc's JSON section.

type countsJSON struct {
	From                      string           `json:"from"`
	To                        string           `json:"to"`
	Deployments               int64            `json:"deployments"`
	Incidents                 int64            `json:"incidents"`
	BySeverity                map[string]int64 `json:"by_severity"`
	DeploymentsByClass        map[string]int64 `json:"deployments_by_class"`
	IncidentsByClass          map[string]int64 `json:"incidents_by_class"`
	DeploymentsByBand         [Bands]int64     `json:"deployments_by_band"`
	IncidentsByBand           [Bands]int64     `json:"incidents_by_band"`
	AutoApprovedWithIncidents int64            `json:"auto_approved_with_incidents"`
	Preventable               int64            `json:"preventable"`
}

type classRateJSON struct {
	Class       blastradius.Class `json:"class"`
	Deployments int64             `json:"deployments"`
	Incidents   int64             `json:"incidents"`
	Rate        string            `json:"rate"`
}

type bandRateJSON struct {
	Band        int    `json:"band"`
	Low         int    `json:"low"`
	High        int    `json:"high"`
	Deployments int64  `json:"deployments"`
	Incidents   int64  `json:"incidents"`
	Rate        string `json:"rate"`
}

// reportJSON is the counts' members, then the rates.
type reportJSON struct {
	countsJSON
	IncidentRate string          `json:"incident_rate"`
	ByClass      []classRateJSON `json:"by_class"`
	ByBand       []bandRateJSON  `json:"by_band"`
}

// countMembers returns the members of the counts' form, then more.
func countMembers(more ...string) []string {
	return append([]string{"from", "to", "deployments", "incidents", "by_severity", "deployments_by_class",
		"incidents_by_class", "deployments_by_band", "incidents_by_band", "auto_approved_with_incidents", "preventable"}, more...)
}

func byName[K ~string](m map[K]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[string(k)] = v
	}
	return out
}

func (c Counts) wire() countsJSON {
	return countsJSON{
		From: wire.Time(c.From), To: wire.Time(c.To), Deployments: c.Deployments, Incidents: c.Incidents,
		BySeverity: byName(c.BySeverity), DeploymentsByClass: byName(c.DeploymentsByClass), IncidentsByClass: byName(c.IncidentsByClass),
		DeploymentsByBand: c.DeploymentsByBand, IncidentsByBand: c.IncidentsByBand,
		AutoApprovedWithIncidents: c.AutoApprovedWithIncidents, Preventable: c.Preventable,
	}
}

func (r ClassRate) wire() classRateJSON {
	return classRateJSON{Class: r.Class, Deployments: r.Deployments, Incidents: r.Incidents, Rate: wire.Decimal(r.Rate)}
}

func (r BandRate) wire() bandRateJSON {
	return bandRateJSON{Band: r.Band, Low: r.Low, High: r.High, Deployments: r.Deployments, Incidents: r.Incidents, Rate: wire.Decimal(r.Rate)}
}

// MarshalJSON writes c in the package's JSON form: from and to RFC 3339
// in UTC, the maps as objects keyed by severity and class names (an empty
// object for a nil map), the bands as arrays of [Bands] counts.
func (c Counts) MarshalJSON() ([]byte, error) { return json.Marshal(c.wire()) }

// UnmarshalJSON reads the form [Counts.MarshalJSON] writes; see
// [Report.UnmarshalJSON] for what it refuses. On error c is unchanged.
func (c *Counts) UnmarshalJSON(data []byte) error { return into(c, decodeCounts, data) }

// MarshalJSON writes r as {"class", "deployments", "incidents", "rate"},
// the rate a decimal string.
func (r ClassRate) MarshalJSON() ([]byte, error) { return json.Marshal(r.wire()) }

// UnmarshalJSON reads the form [ClassRate.MarshalJSON] writes. On error r
// is unchanged.
func (r *ClassRate) UnmarshalJSON(data []byte) error { return into(r, decodeClassRate, data) }

// MarshalJSON writes r as {"band", "low", "high", "deployments",
// "incidents", "rate"}, the rate a decimal string.
func (r BandRate) MarshalJSON() ([]byte, error) { return json.Marshal(r.wire()) }

// UnmarshalJSON reads the form [BandRate.MarshalJSON] writes. On error r
// is unchanged.
func (r *BandRate) UnmarshalJSON(data []byte) error { return into(r, decodeBandRate, data) }

// MarshalJSON writes r as one object: the members of its [Counts], then
// incident_rate, by_class and by_band (arrays, empty when there are none).
func (r Report) MarshalJSON() ([]byte, error) {
	w := reportJSON{countsJSON: r.Counts.wire(), IncidentRate: wire.Decimal(r.IncidentRate),
		ByClass: make([]classRateJSON, len(r.ByClass)), ByBand: make([]bandRateJSON, len(r.ByBand))}
	for i, c := range r.ByClass {
		w.ByClass[i] = c.wire()
	}
	for i, b := range r.ByBand {
		w.ByBand[i] = b.wire()
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the form [Report.MarshalJSON] writes. Every member
// is required. An unknown member, severity or class (as a map key or a
// value), a negative count, a band outside 0 to [Bands]-1 or a band array
// of another length, a malformed time or decimal, a member of the wrong
// JSON type or a null document is an invalid-input *trustgate.Error whose
// Field is the member's path ("by_severity[P5]", "by_band[3].rate",
// "incidents_by_band[10]"). It does not recompute the rates. On error r is
// unchanged.
func (r *Report) UnmarshalJSON(data []byte) error { return into(r, decodeReport, data) }

// into decodes data as the document with decode, and sets *v only when
// that succeeds.
func into[T any](v *T, decode func([]byte, string) (T, error), data []byte) error {
	x, err := decode(data, "")
	if err != nil {
		return err
	}
	*v = x
	return nil
}

func count(o *wire.Object, key string) int64 {
	n := o.Int(key)
	if o.Err() == nil && n < 0 {
		o.Fail(key, fmt.Sprintf("count %d is negative", n), nil)
	}
	return n
}

// countMap reads the object member key, keyed by names valid says are
// names of K, into a map (empty, not nil, when the object is).
func countMap[K ~string](o *wire.Object, key string, valid func(K) bool, what string) map[K]int64 {
	m := map[K]int64{}
	o.Map(key, true, func(k, path string, raw json.RawMessage) error {
		if !valid(K(k)) {
			return wire.Err("incident", path, fmt.Sprintf("unknown %s %q", what, k), nil)
		}
		var n int64
		if err := json.Unmarshal(raw, &n); err != nil || n < 0 {
			return wire.Err("incident", path, "want a non-negative integer", err)
		}
		m[K(k)] = n
		return nil
	})
	return m
}

func bandCounts(o *wire.Object, key string) [Bands]int64 {
	var out [Bands]int64
	n := 0
	o.Array(key, true, func(path string, raw json.RawMessage) error {
		if n == Bands {
			return wire.Err("incident", path, fmt.Sprintf("more than %d bands", Bands), nil)
		}
		var v int64
		if err := json.Unmarshal(raw, &v); err != nil || v < 0 {
			return wire.Err("incident", path, "want a non-negative integer", err)
		}
		out[n] = v
		n++
		return nil
	})
	if o.Err() == nil && n != Bands {
		o.Fail(key, fmt.Sprintf("%d bands, want %d", n, Bands), nil)
	}
	return out
}

func readCounts(o *wire.Object) Counts {
	return Counts{
		From: o.Time("from"), To: o.Time("to"), Deployments: count(o, "deployments"), Incidents: count(o, "incidents"),
		BySeverity:                countMap(o, "by_severity", Severity.Valid, "severity"),
		DeploymentsByClass:        countMap(o, "deployments_by_class", blastradius.Class.Valid, "class"),
		IncidentsByClass:          countMap(o, "incidents_by_class", blastradius.Class.Valid, "class"),
		DeploymentsByBand:         bandCounts(o, "deployments_by_band"),
		IncidentsByBand:           bandCounts(o, "incidents_by_band"),
		AutoApprovedWithIncidents: count(o, "auto_approved_with_incidents"),
		Preventable:               count(o, "preventable"),
	}
}

func decodeCounts(data []byte, path string) (Counts, error) {
	o, err := wire.Read("incident", data, path, countMembers()...)
	if err != nil {
		return Counts{}, err
	}
	c := readCounts(o)
	if err := o.Err(); err != nil {
		return Counts{}, err
	}
	return c, nil
}

func decodeClassRate(data []byte, path string) (ClassRate, error) {
	o, err := wire.Read("incident", data, path, "class", "deployments", "incidents", "rate")
	if err != nil {
		return ClassRate{}, err
	}
	var r ClassRate
	if s := o.String("class"); o.Err() == nil {
		c, err := blastradius.Parse(s)
		if err != nil {
			o.Fail("class", fmt.Sprintf("unknown class %q", s), err)
		}
		r.Class = c
	}
	r.Deployments, r.Incidents, r.Rate = count(o, "deployments"), count(o, "incidents"), o.Decimal("rate")
	if err := o.Err(); err != nil {
		return ClassRate{}, err
	}
	return r, nil
}

func decodeBandRate(data []byte, path string) (BandRate, error) {
	o, err := wire.Read("incident", data, path, "band", "low", "high", "deployments", "incidents", "rate")
	if err != nil {
		return BandRate{}, err
	}
	bound := func(key string, lo, hi int64) int {
		n := o.Int(key)
		if o.Err() == nil && (n < lo || n > hi) {
			o.Fail(key, fmt.Sprintf("%d out of range (want %d to %d)", n, lo, hi), nil)
		}
		return int(n)
	}
	r := BandRate{Band: bound("band", 0, Bands-1), Low: bound("low", 0, 100), High: bound("high", 0, 100)}
	r.Deployments, r.Incidents, r.Rate = count(o, "deployments"), count(o, "incidents"), o.Decimal("rate")
	if err := o.Err(); err != nil {
		return BandRate{}, err
	}
	return r, nil
}

func decodeReport(data []byte, path string) (Report, error) {
	o, err := wire.Read("incident", data, path, countMembers("incident_rate", "by_class", "by_band")...)
	if err != nil {
		return Report{}, err
	}
	r := Report{Counts: readCounts(o), IncidentRate: o.Decimal("incident_rate")}
	o.Array("by_class", true, func(path string, raw json.RawMessage) error {
		c, err := decodeClassRate(raw, path)
		r.ByClass = append(r.ByClass, c)
		return err
	})
	o.Array("by_band", true, func(path string, raw json.RawMessage) error {
		b, err := decodeBandRate(raw, path)
		r.ByBand = append(r.ByBand, b)
		return err
	})
	if err := o.Err(); err != nil {
		return Report{}, err
	}
	return r, nil
}

type deploymentJSON struct {
	ID           string            `json:"id"`
	Application  string            `json:"application"`
	EvidenceID   string            `json:"evidence_id,omitempty"`
	RequestID    string            `json:"request_id,omitempty"`
	Class        blastradius.Class `json:"class"`
	AutoApproved bool              `json:"auto_approved"`
	RiskScore    string            `json:"risk_score"`
	ModelVersion string            `json:"model_version"`
	FinishedAt   string            `json:"finished_at"`
	CreatedAt    string            `json:"created_at,omitempty"`
}

// MarshalJSON writes d in the package's JSON form: snake_case members in
// the names [Deployment.Validate] reports, ids as UUID strings (evidence_id
// and request_id omitted while nil), the risk score a decimal string,
// times RFC 3339 in UTC (created_at omitted while zero, before the store
// records it).
func (d Deployment) MarshalJSON() ([]byte, error) {
	return json.Marshal(deploymentJSON{
		ID: d.ID.String(), Application: d.Application, EvidenceID: wire.OptUUIDString(d.EvidenceID),
		RequestID: wire.OptUUIDString(d.RequestID), Class: d.Class, AutoApproved: d.AutoApproved,
		RiskScore: wire.Decimal(d.RiskScore), ModelVersion: d.ModelVersion, FinishedAt: wire.Time(d.FinishedAt),
		CreatedAt: wire.OptTime(d.CreatedAt),
	})
}

// UnmarshalJSON reads the form [Deployment.MarshalJSON] writes. Every
// member but evidence_id, request_id and created_at is required; an
// unknown member or class, a malformed UUID, decimal or time, a member of
// the wrong JSON type or null is an invalid-input *trustgate.Error whose
// Field names the member. It checks the form, not the rules of
// [Deployment.Validate] (a score in [0, 100], a finish time not in the
// future), which need the clock: call Validate before recording it. On
// error d is unchanged.
func (d *Deployment) UnmarshalJSON(data []byte) error { return into(d, decodeDeployment, data) }

func decodeDeployment(data []byte, path string) (Deployment, error) {
	o, err := wire.Read("incident", data, path, "id", "application", "evidence_id", "request_id", "class",
		"auto_approved", "risk_score", "model_version", "finished_at", "created_at")
	if err != nil {
		return Deployment{}, err
	}
	d := Deployment{ID: o.UUID("id"), Application: o.String("application"), EvidenceID: o.OptUUID("evidence_id"),
		RequestID: o.OptUUID("request_id")}
	if s := o.String("class"); o.Err() == nil {
		c, err := blastradius.Parse(s)
		if err != nil {
			o.Fail("class", fmt.Sprintf("unknown class %q", s), err)
		}
		d.Class = c
	}
	d.AutoApproved = o.Bool("auto_approved")
	d.RiskScore = o.Decimal("risk_score")
	d.ModelVersion = o.String("model_version")
	d.FinishedAt = o.Time("finished_at")
	d.CreatedAt = o.OptTime("created_at")
	if err := o.Err(); err != nil {
		return Deployment{}, err
	}
	return d, nil
}
