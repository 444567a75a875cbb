package main

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
)

// classifyInputDTO is the classifier input: an application and what is
// known about it. Enumerations are strings: privilege user|admin|system;
// criticality HIGH|MEDIUM|LOW|UNKNOWN; service tier Tier0…Tier3; impact
// scope ENTERPRISE|DEPARTMENT|TEAM|UNKNOWN.
type classifyInputDTO struct {
	AppName     string   `json:"app_name"`
	Publisher   string   `json:"publisher,omitempty"`
	Privilege   string   `json:"privilege,omitempty"`
	TargetUsers int      `json:"target_users"`
	Criticality string   `json:"criticality,omitempty"`
	CMDB        *cmdbDTO `json:"cmdb,omitempty"`
}

// cmdbDTO is the CMDB record of the application's service.
type cmdbDTO struct {
	ServiceTier         string `json:"service_tier,omitempty"`
	BusinessCriticality string `json:"business_criticality,omitempty"`
	ImpactScope         string `json:"impact_scope,omitempty"`
	RTOMinutes          int64  `json:"rto_minutes,omitempty"`
	RPOMinutes          int64  `json:"rpo_minutes,omitempty"`
}

// maxDurationMinutes is the most minutes a time.Duration holds.
const maxDurationMinutes = math.MaxInt64 / int64(time.Minute)

// toInput parses the DTO into a classifier input. Parse errors are the
// blastradius package's invalid-input errors, whose fields are already the
// DTO's JSON names.
func (d *classifyInputDTO) toInput() (blastradius.Input, error) {
	in := blastradius.Input{AppName: d.AppName, Publisher: d.Publisher, TargetUsers: d.TargetUsers}
	var err error
	if d.Privilege != "" {
		if in.Privilege, err = blastradius.ParsePrivilege(d.Privilege); err != nil {
			return in, err
		}
	}
	if in.Criticality, err = blastradius.ParseCriticality(d.Criticality); err != nil {
		return in, err
	}
	if d.CMDB != nil {
		// Minutes beyond what a time.Duration holds would wrap around to
		// a negative or a small duration: refuse them.
		for _, m := range []struct {
			field string
			v     int64
		}{{"cmdb.rto_minutes", d.CMDB.RTOMinutes}, {"cmdb.rpo_minutes", d.CMDB.RPOMinutes}} {
			if m.v > maxDurationMinutes {
				return in, invalidField(m.field, strconv.FormatInt(m.v, 10)+" minutes: must be at most "+
					strconv.FormatInt(maxDurationMinutes, 10)+" minutes", nil)
			}
		}
		c := &blastradius.CMDBRecord{
			RTO: time.Duration(d.CMDB.RTOMinutes) * time.Minute,
			RPO: time.Duration(d.CMDB.RPOMinutes) * time.Minute,
		}
		if c.ServiceTier, err = blastradius.ParseTier(d.CMDB.ServiceTier); err != nil {
			return in, err
		}
		if c.BusinessCriticality, err = blastradius.ParseCriticality(d.CMDB.BusinessCriticality); err != nil {
			// The parser names the request's own criticality; this one is the CMDB's.
			return in, invalidField("cmdb.business_criticality", strconv.Quote(d.CMDB.BusinessCriticality)+": want HIGH, MEDIUM, LOW or UNKNOWN", err)
		}
		if c.ImpactScope, err = blastradius.ParseScope(d.CMDB.ImpactScope); err != nil {
			return in, err
		}
		in.CMDB = c
	}
	return in, in.Validate()
}

// classificationDTO is a classification with its explanation and what the
// class means for review.
type classificationDTO struct {
	Class              blastradius.Class `json:"class"`
	Rule               string            `json:"rule"`
	Reason             string            `json:"reason"`
	Floor              string            `json:"floor,omitempty"`
	Quorum             int               `json:"quorum"`
	AutoApproveAllowed bool              `json:"auto_approve_allowed"`
}

// classDTO is a blast radius class definition.
type classDTO struct {
	Class              blastradius.Class `json:"class"`
	Description        string            `json:"description"`
	Quorum             int               `json:"quorum"`
	AutoApproveAllowed bool              `json:"auto_approve_allowed"`
	Examples           []string          `json:"examples"`
}

// classify: POST /api/v1/blast-radius/classify. The answer is a pure
// function of the input, so a repeat gives the same answer.
func (s *Server) classify(w http.ResponseWriter, r *http.Request, _ *principal) error {
	var body classifyInputDTO
	if err := decodeJSON(w, r, s.maxBody, &body); err != nil {
		return err
	}
	in, err := body.toInput()
	if err != nil {
		return err
	}
	res, err := s.classifier.Classify(in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, classificationDTO{
		Class: res.Class, Rule: res.Rule, Reason: res.Reason, Floor: res.Floor,
		Quorum: res.Class.Quorum(), AutoApproveAllowed: res.Class.AutoApproveAllowed(),
	})
	return nil
}

// listClasses: GET /api/v1/blast-radius/classes, most severe first.
func (s *Server) listClasses(w http.ResponseWriter, r *http.Request, _ *principal) error {
	defs, err := s.store.ListClassDefinitions(r.Context())
	if err != nil {
		return err
	}
	out := make([]classDTO, len(defs))
	for i, d := range defs {
		out[i] = classDTO{Class: d.Class, Description: d.Description, Quorum: d.Quorum,
			AutoApproveAllowed: d.AutoApproveAllowed, Examples: append([]string{}, d.Examples...)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"classes": out})
	return nil
}

// invalidField is an invalid-input error about a field of the classifier
// input that the server checks itself, in the same shape as the library's.
func invalidField(field, reason string, cause error) error {
	return &trustgate.Error{Code: trustgate.Invalid, Field: field, Message: "blastradius: " + field + ": " + reason, Err: cause}
}
