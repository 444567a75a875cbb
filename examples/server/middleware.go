package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// correlationHeader carries the correlation id in and out.
const correlationHeader = "X-Correlation-ID"

// maxCorrelationLength is the longest correlation id accepted from a client.
const maxCorrelationLength = 128

// requestInfo is what the middleware learns about a request, shared with
// the handlers and the log through the context.
type requestInfo struct {
	correlationID string
	// fromClient reports whether the client sent the correlation id (as
	// opposed to the server generating it).
	fromClient bool
	principal  string
}

type infoKey struct{}

func infoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(infoKey{}).(*requestInfo)
	return info
}

// correlationID returns the request's correlation id, or "" outside a
// request.
func correlationID(ctx context.Context) string {
	if info := infoFrom(ctx); info != nil {
		return info.correlationID
	}
	return ""
}

// validCorrelationID reports whether s is 1 to 128 visible ASCII
// characters.
func validCorrelationID(s string) bool {
	if len(s) == 0 || len(s) > maxCorrelationLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// newUUIDv4 returns a random RFC 9562 version 4 UUID in text form.
func newUUIDv4() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// correlate takes the client's X-Correlation-ID when it is valid, makes one
// otherwise, and sets it on the response before anything else is written.
func (s *Server) correlate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := &requestInfo{}
		if id := r.Header.Get(correlationHeader); validCorrelationID(id) {
			info.correlationID, info.fromClient = id, true
		} else {
			info.correlationID = newUUIDv4()
		}
		w.Header().Set(correlationHeader, info.correlationID)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), infoKey{}, info)))
	})
}

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessLog writes one record per request and observes its latency.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		took := time.Since(start)
		if rec.status == 0 {
			rec.status = http.StatusOK // net/http's answer to a handler that wrote nothing
		}
		// The route pattern, never the raw path, labels the latency.
		_, pattern := s.mux.Handler(r)
		s.metrics.observe(pattern, rec.status, took)
		attrs := []slog.Attr{
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Int("bytes", rec.bytes),
			slog.Duration("duration", took),
		}
		if info := infoFrom(r.Context()); info != nil && info.principal != "" {
			attrs = append(attrs, slog.String("principal", info.principal))
		}
		level := slog.LevelInfo
		if rec.status >= 500 {
			level = slog.LevelError
		}
		s.log.LogAttrs(r.Context(), level, "http request", attrs...)
	})
}

// withTimeout bounds the work of each request: the library's store calls
// give up when the context ends.
func (s *Server) withTimeout(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.timeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// recoverer turns a panic into a 500 problem (unless the response has
// started) and logs it.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.LogAttrs(r.Context(), slog.LevelError, "panic", slog.String("panic", fmt.Sprint(v)),
				slog.String("method", r.Method), slog.String("path", r.URL.Path))
			if rec.status == 0 {
				s.writeProblem(rec, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// contextHandler adds the request's correlation id to every record logged
// with the request's context, the library's included. When the record
// already has a correlation_id (a record's own idempotency key, logged by
// the library), the request's goes under request_correlation_id.
type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, rec slog.Record) error {
	if info := infoFrom(ctx); info != nil {
		key := "correlation_id"
		rec.Attrs(func(a slog.Attr) bool {
			if a.Key == key {
				key = "request_correlation_id"
				return false
			}
			return true
		})
		rec.AddAttrs(slog.String(key, info.correlationID))
	}
	return h.Handler.Handle(ctx, rec)
}

func (h contextHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(as)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}
