package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/buildworksai/trustgate/security"
)

// The audit sink (-audit-sink PATH, "-" for stdout) streams every
// committed audit event as one JSON object a line, in sequence order,
// each once per process run, to a writer the user supplies: a file a log
// shipper tails, a pipe. It tails the log with ListAuditEvents from a
// sequence number (-audit-sink-after N: the events after N; 0, the
// default, is the whole log; give the last seq shipped to resume), every
// sinkInterval and at once after each write request this server serves,
// so events other writers of the same database append are shipped too.
// Only committed events can be read, so only committed events are
// written. On shutdown it drains the log to its head before the server
// exits. Each page of events reaches the writer in one Write.
//
// A line is security.Event's JSON form, as go run ./examples/trustgate
// export -log writes it, read back with json.Unmarshal into a security.Event:
//
//	{"seq":1,"id":"…","type":"cab.submitted","actor":"alice","subject":"cab-request:…",
//	 "correlation_id":"…","occurred_at":"2026-03-02T09:00:00Z","data":{…},"prev_hash":"…","hash":"…"}

// sinkInterval is how often the sink reads the log when nothing nudges it.
const sinkInterval = time.Second

// sinkPage is how many events the sink reads at a time.
const sinkPage = 500

// sink tails the audit log into a writer.
type sink struct {
	events interface {
		ListAuditEvents(ctx context.Context, after int64, limit int) ([]security.Event, error)
	}
	out   io.Writer
	buf   bytes.Buffer // one page's lines, written whole
	enc   *json.Encoder
	after int64 // the last seq written
	nudge chan struct{}
	log   *slog.Logger
}

// nudgeSink wakes the sink, if there is one, to read the log now. It
// never blocks.
func (s *Server) nudgeSink() {
	if s.sinkNudge == nil {
		return
	}
	select {
	case s.sinkNudge <- struct{}{}:
	default: // a nudge is pending already
	}
}

// startSink streams the events after seq after to w until ctx ends, then
// writes what the log holds up to its head and returns; wait
// returns the error that stopped it (nil after a clean stop). Call it
// before serving.
func (s *Server) startSink(ctx context.Context, w io.Writer, after int64) (wait func() error) {
	k := &sink{events: s.store, out: w, after: after, nudge: make(chan struct{}, 1), log: s.log}
	k.enc = json.NewEncoder(&k.buf)
	k.enc.SetEscapeHTML(false)
	s.sinkNudge = k.nudge
	done := make(chan error, 1)
	go func() { done <- k.run(ctx) }()
	return func() error { return <-done }
}

func (k *sink) run(ctx context.Context) error {
	tick := time.NewTicker(sinkInterval)
	defer tick.Stop()
	for ctx.Err() == nil {
		if err := k.drain(ctx); err != nil && ctx.Err() == nil {
			k.log.Error("audit sink: reading or writing events", "after", k.after, "error", err.Error())
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
		case <-k.nudge:
		}
	}
	// The server has stopped serving: ship what is committed.
	stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := k.drain(stop); err != nil {
		return fmt.Errorf("audit sink: the last events after %d: %w", k.after, err)
	}
	return nil
}

// drain writes every event after k.after, a page at a time: the page's
// lines in one Write, after which k.after moves to its last event. A
// failed Write leaves k.after where it was, so the page is tried again
// (a writer that failed part-way may then hold some lines twice; the
// error is logged naming the last seq written whole).
func (k *sink) drain(ctx context.Context) error {
	for {
		evs, err := k.events.ListAuditEvents(ctx, k.after, sinkPage)
		if err != nil {
			return err
		}
		k.buf.Reset()
		next := k.after
		for _, ev := range evs {
			if ev.Seq != next+1 {
				return fmt.Errorf("event %d follows %d: the log has a gap", ev.Seq, next)
			}
			if err := k.enc.Encode(ev); err != nil {
				return err
			}
			next = ev.Seq
		}
		if k.buf.Len() > 0 {
			if _, err := k.out.Write(k.buf.Bytes()); err != nil {
				return err
			}
		}
		k.after = next
		if len(evs) < sinkPage {
			return nil
		}
	}
}
