package sqlstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/security"
)

// A request's approvals, rejection and exception are stored as JSON text,
// with times in the fixed-width layout of SQLite's time columns (in both
// dialects) and the exception's artifact digest in hex. Normalising and
// copying follow the in-memory adapter: every request the store hands out
// is its own deep copy, its times in UTC truncated to microseconds. No
// approvals read back as nil, however they were written.

// jsonTimeLayout is the layout of the times inside the JSON columns.
const jsonTimeLayout = sqliteTimeLayout

type approvalJSON struct {
	By      string `json:"by"`
	At      string `json:"at"`
	Comment string `json:"comment"`
}

type rejectionJSON struct {
	By     string `json:"by"`
	At     string `json:"at"`
	Reason string `json:"reason"`
}

type exceptionJSON struct {
	Justification  string         `json:"justification"`
	RequestedBy    string         `json:"requested_by"`
	RequestedAt    string         `json:"requested_at"`
	ExpiresAt      string         `json:"expires_at"`
	ArtifactDigest string         `json:"artifact_digest"`
	Approvals      []approvalJSON `json:"approvals"`
}

// jsonTime formats a normalised time for a JSON column.
func jsonTime(t time.Time) string { return t.Format(jsonTimeLayout) }

func parseJSONTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: time %q: %v", field, s, err)
	}
	return t.UTC(), nil
}

func approvalsJSON(as []cab.Approval) []approvalJSON {
	out := make([]approvalJSON, len(as)) // never nil: an empty array, not null
	for i, a := range as {
		out[i] = approvalJSON{By: a.By, At: jsonTime(a.At), Comment: a.Comment}
	}
	return out
}

func fromApprovalsJSON(field string, js []approvalJSON) ([]cab.Approval, error) {
	if len(js) == 0 {
		return nil, nil
	}
	out := make([]cab.Approval, len(js))
	for i, j := range js {
		at, err := parseJSONTime(field, j.At)
		if err != nil {
			return nil, err
		}
		out[i] = cab.Approval{By: j.By, At: at, Comment: j.Comment}
	}
	return out, nil
}

// progressArgs returns the query arguments of r's approvals, rejection and
// exception (NULL when absent). r must be normalised.
func progressArgs(r *cab.Request) (approvals string, rejection, exception any, err error) {
	b, err := json.Marshal(approvalsJSON(r.Approvals))
	if err != nil {
		return "", nil, nil, err
	}
	approvals = string(b)
	if x := r.Rejection; x != nil {
		if b, err = json.Marshal(rejectionJSON{By: x.By, At: jsonTime(x.At), Reason: x.Reason}); err != nil {
			return "", nil, nil, err
		}
		rejection = string(b)
	}
	if x := r.Exception; x != nil {
		b, err = json.Marshal(exceptionJSON{Justification: x.Justification, RequestedBy: x.RequestedBy,
			RequestedAt: jsonTime(x.RequestedAt), ExpiresAt: jsonTime(x.ExpiresAt),
			ArtifactDigest: x.ArtifactDigest.String(), Approvals: approvalsJSON(x.Approvals)})
		if err != nil {
			return "", nil, nil, err
		}
		exception = string(b)
	}
	return approvals, rejection, exception, nil
}

// decodeProgress sets r's approvals, rejection and exception from their
// stored JSON; an empty rejection or exception text is NULL.
func decodeProgress(r *cab.Request, approvals, rejection, exception string) error {
	var as []approvalJSON
	if err := json.Unmarshal([]byte(approvals), &as); err != nil {
		return fmt.Errorf("approvals: %v", err)
	}
	var err error
	if r.Approvals, err = fromApprovalsJSON("approvals", as); err != nil {
		return err
	}
	if rejection != "" {
		var j rejectionJSON
		if err := json.Unmarshal([]byte(rejection), &j); err != nil {
			return fmt.Errorf("rejection: %v", err)
		}
		at, err := parseJSONTime("rejection", j.At)
		if err != nil {
			return err
		}
		r.Rejection = &cab.Rejection{By: j.By, At: at, Reason: j.Reason}
	}
	if exception != "" {
		var j exceptionJSON
		if err := json.Unmarshal([]byte(exception), &j); err != nil {
			return fmt.Errorf("exception: %v", err)
		}
		x := &cab.Exception{Justification: j.Justification, RequestedBy: j.RequestedBy}
		if x.RequestedAt, err = parseJSONTime("exception requested_at", j.RequestedAt); err != nil {
			return err
		}
		if x.ExpiresAt, err = parseJSONTime("exception expires_at", j.ExpiresAt); err != nil {
			return err
		}
		if x.ArtifactDigest, err = security.ParseDigest("exception artifact_digest", j.ArtifactDigest); err != nil {
			return err
		}
		if x.Approvals, err = fromApprovalsJSON("exception approvals", j.Approvals); err != nil {
			return err
		}
		r.Exception = x
	}
	return nil
}

// validStatus reports whether s is one of the cab package's statuses, as
// the status column's check does.
func validStatus(s cab.Status) bool {
	switch s {
	case cab.StatusAutoApproved, cab.StatusPendingReview, cab.StatusApproved, cab.StatusRejected,
		cab.StatusExceptionRequired, cab.StatusExceptionPending, cab.StatusExceptionApproved:
		return true
	}
	return false
}
