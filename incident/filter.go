package incident

import (
	"encoding/base64"
	"strings"
	"time"

	"github.com/buildworksai/trustgate/blastradius"
	"github.com/google/uuid"
)

// Page sizes for listing incidents.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// Filter selects incidents. Nil fields do not filter. Results are ordered
// newest first (by occurrence time, then id) and paginated by keyset: pass
// the previous page's Next as After.
type Filter struct {
	Severity     *Severity
	Class        *blastradius.Class
	From, To     *time.Time // occurred in [From, To)
	AutoApproved *bool
	DeploymentID *uuid.UUID
	Limit        int     // 0 means DefaultPageSize; at most MaxPageSize
	After        *Cursor // the position after which the page starts
}

// Validate checks the filter: known severity and class, From before To, a
// limit in [0, MaxPageSize].
func (f *Filter) Validate() error {
	switch {
	case f.Severity != nil && !f.Severity.Valid():
		return fieldErr("severity", "%q is not a severity", *f.Severity)
	case f.Class != nil && !f.Class.Valid():
		return fieldErr("class", "%q is not a blast radius class", *f.Class)
	case f.From != nil && f.To != nil && !f.From.Before(*f.To):
		return fieldErr("to", "must be after from")
	case f.Limit < 0 || f.Limit > MaxPageSize:
		return fieldErr("limit", "%d is outside [0, %d]", f.Limit, MaxPageSize)
	}
	return nil
}

// PageSize returns the effective limit.
func (f *Filter) PageSize() int {
	if f.Limit == 0 {
		return DefaultPageSize
	}
	return f.Limit
}

// Cursor is a position in the newest-first order of incidents.
type Cursor struct {
	OccurredAt time.Time
	ID         uuid.UUID
}

// String encodes the cursor as an opaque, URL-safe token.
func (c Cursor) String() string {
	raw := c.OccurredAt.UTC().Format(time.RFC3339Nano) + "|" + c.ID.String()
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// ParseCursor decodes a token made by [Cursor.String], or returns an
// invalid-input error for the field "cursor".
func ParseCursor(s string) (Cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) > 128 {
		return Cursor{}, fieldErr("cursor", "not a cursor token")
	}
	at, id, ok := strings.Cut(string(raw), "|")
	if !ok {
		return Cursor{}, fieldErr("cursor", "not a cursor token")
	}
	t, err := time.Parse(time.RFC3339Nano, at)
	if err != nil {
		return Cursor{}, fieldErr("cursor", "not a cursor token")
	}
	u, err := uuid.Parse(id)
	if err != nil {
		return Cursor{}, fieldErr("cursor", "not a cursor token")
	}
	return Cursor{OccurredAt: t.UTC(), ID: u}, nil
}

// Page is one page of incidents.
type Page struct {
	Incidents []Incident
	Next      *Cursor // nil on the last page
}
