package store

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/buildworksai/trustgate/security"
	"github.com/buildworksai/trustgate/store/driver"
)

// The audit log read by subject: the events about one record (a request,
// "cab-request:<id>"; a risk model, "riskmodel:<version>"), through the
// index audit_events_by_subject (subject, seq), so that finding a
// record's history or its latest event reads that record's events only,
// not the log before them.

// ListSubjectEvents returns up to limit of the events whose Subject is
// subject with Seq > after, in ascending order: fewer than limit only when
// there are no more. A limit outside [1, MaxAuditPage] is
// [trustgate.Invalid] for the field "limit"; a subject no event can have
// (empty, longer than security.MaxEventTextLength, not UTF-8, or with
// control characters) is [trustgate.Invalid] for the field "subject".
func (h *ops) ListSubjectEvents(ctx context.Context, subject string, after int64, limit int) ([]security.Event, error) {
	if limit <= 0 || limit > MaxAuditPage {
		return nil, invalid("limit", "store: audit page limit %d is outside [1, %d]", limit, MaxAuditPage)
	}
	if err := checkSubject(subject); err != nil {
		return nil, err
	}
	return read(ctx, h, func(o *op) ([]security.Event, error) {
		out := make([]security.Event, 0, min(limit, 64))
		err := o.query(&driver.Query{Table: o.t.events,
			Where: []driver.Cond{driver.Where("subject", driver.Eq, subject), driver.Where("seq", driver.Gt, after)},
			Order: []driver.Order{{Column: "seq"}}, Limit: limit}, func(row []any) error {
			e, err := decodeEvent(o.t.events, row)
			out = append(out, e)
			return err
		})
		return out, err
	})
}

// LatestEvent returns the event about subject with the highest Seq: the
// latest thing the log records of it (for a request, the event of its
// current status). No event about subject is [ErrNotFound]; a subject no
// event can have is [trustgate.Invalid] for the field "subject", as for
// ListSubjectEvents.
func (h *ops) LatestEvent(ctx context.Context, subject string) (security.Event, error) {
	if err := checkSubject(subject); err != nil {
		return security.Event{}, err
	}
	return read(ctx, h, func(o *op) (security.Event, error) {
		row, ok, err := o.first(&driver.Query{Table: o.t.events,
			Where: []driver.Cond{driver.Where("subject", driver.Eq, subject)},
			Order: []driver.Order{{Column: "seq", Desc: true}}})
		switch {
		case err != nil:
			return security.Event{}, err
		case !ok:
			return security.Event{}, notFound("no audit event about %q", subject)
		}
		return decodeEvent(o.t.events, row)
	})
}

// checkSubject refuses a subject that security.EventInput.Validate would
// refuse, and the empty one: no event can be about it, and a database may
// refuse to compare it (PostgreSQL's text holds no NUL).
func checkSubject(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return invalid("subject", "store: a subject is required")
	case len(s) > security.MaxEventTextLength:
		return invalid("subject", "store: subject longer than %d bytes", security.MaxEventTextLength)
	case !utf8.ValidString(s):
		return invalid("subject", "store: subject is not valid UTF-8")
	case strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return invalid("subject", "store: subject contains control characters")
	}
	return nil
}
