package store

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/security"
)

// A request's approvals, rejection and exception are stored as JSON text:
// approvals a JSON array of {"by", "at", "comment"}; rejection an object
// {"by", "at", "reason"} or NULL; exception an object {"justification",
// "requested_by", "requested_at", "expires_at", "artifact_digest",
// "approvals"} or NULL. Times inside them are UTC in a fixed-width layout
// with six fractional digits, digests hex. No approvals read back as nil,
// however they were written.

// progressTime is the layout of the times inside the progress JSON.
const progressTime = "2006-01-02T15:04:05.000000Z"

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

func approvalsJSON(as []cab.Approval) []approvalJSON {
	out := make([]approvalJSON, len(as)) // never nil: an empty array, not null
	for i, a := range as {
		out[i] = approvalJSON{By: a.By, At: a.At.UTC().Format(progressTime), Comment: a.Comment}
	}
	return out
}

// progressJSON returns the column values of r's approvals, rejection and
// exception (nil for NULL). Structs of strings cannot fail to encode.
func progressJSON(r *cab.Request) (approvals string, rejection, exception any) {
	b, _ := json.Marshal(approvalsJSON(r.Approvals))
	approvals = string(b)
	if x := r.Rejection; x != nil {
		b, _ = json.Marshal(rejectionJSON{By: x.By, At: x.At.UTC().Format(progressTime), Reason: x.Reason})
		rejection = string(b)
	}
	if x := r.Exception; x != nil {
		b, _ = json.Marshal(exceptionJSON{Justification: x.Justification, RequestedBy: x.RequestedBy,
			RequestedAt: x.RequestedAt.UTC().Format(progressTime), ExpiresAt: x.ExpiresAt.UTC().Format(progressTime),
			ArtifactDigest: x.ArtifactDigest.String(), Approvals: approvalsJSON(x.Approvals)})
		exception = string(b)
	}
	return approvals, rejection, exception
}

func parseProgressTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: time %q: %v", field, s, err)
	}
	return t.UTC(), nil
}

func fromApprovalsJSON(field string, js []approvalJSON) ([]cab.Approval, error) {
	if len(js) == 0 {
		return nil, nil
	}
	out := make([]cab.Approval, len(js))
	for i, j := range js {
		at, err := parseProgressTime(field, j.At)
		if err != nil {
			return nil, err
		}
		out[i] = cab.Approval{By: j.By, At: at, Comment: j.Comment}
	}
	return out, nil
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
		at, err := parseProgressTime("rejection", j.At)
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
		if x.RequestedAt, err = parseProgressTime("exception requested_at", j.RequestedAt); err != nil {
			return err
		}
		if x.ExpiresAt, err = parseProgressTime("exception expires_at", j.ExpiresAt); err != nil {
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
