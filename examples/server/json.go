package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// decodeJSON reads exactly one JSON value from r's body into dst. The body
// must be present (400 MALFORMED_JSON), be declared application/json (415
// otherwise), be at most limit bytes (413), hold no member dst does not
// declare (400 UNKNOWN_FIELD) and nothing after the value (400
// MALFORMED_JSON).
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, dst any) error {
	return decodeBody(w, r, limit, dst, true)
}

// decodeOptionalJSON is decodeJSON for endpoints whose body may be left
// out: an empty body leaves dst as it is.
func decodeOptionalJSON(w http.ResponseWriter, r *http.Request, limit int64, dst any) error {
	return decodeBody(w, r, limit, dst, false)
}

func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, dst any, required bool) error {
	if r.Body == nil {
		r.Body = http.NoBody
	}
	br := bufio.NewReader(r.Body)
	if _, err := br.Peek(1); errors.Is(err, io.EOF) {
		if required {
			return newHTTPError(http.StatusBadRequest, codeMalformedJSON, "", "the request body is empty: want a JSON object")
		}
		return nil
	}
	if err := requireJSON(r); err != nil {
		return err
	}
	body := http.MaxBytesReader(w, struct {
		io.Reader
		io.Closer
	}{br, r.Body}, limit)
	r.Body = body
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	var extra json.RawMessage
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
		return nil
	case err == nil:
		return newHTTPError(http.StatusBadRequest, codeMalformedJSON, "", "the body holds more than one JSON value")
	default:
		return decodeError(err)
	}
}

// requireJSON accepts application/json (any parameters, such as charset)
// and, for PATCH, application/merge-patch+json.
func requireJSON(r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err == nil && (mt == "application/json" || (r.Method == http.MethodPatch && mt == "application/merge-patch+json")) {
		return nil
	}
	return newHTTPError(http.StatusUnsupportedMediaType, codeUnsupportedMedia, "",
		"the request body must be application/json")
}

func decodeError(err error) error {
	var (
		maxErr  *http.MaxBytesError
		synErr  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &maxErr):
		return newHTTPError(http.StatusRequestEntityTooLarge, codePayloadTooLarge, "",
			fmt.Sprintf("the request body is larger than %d bytes", maxErr.Limit))
	case errors.Is(err, io.EOF):
		return newHTTPError(http.StatusBadRequest, codeMalformedJSON, "", "the request body is empty")
	case errors.As(err, &synErr):
		return newHTTPError(http.StatusBadRequest, codeMalformedJSON, "",
			fmt.Sprintf("malformed JSON at byte %d: %v", synErr.Offset, synErr))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return newHTTPError(http.StatusBadRequest, codeMalformedJSON, "", "the JSON body ends early")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		return newHTTPError(http.StatusBadRequest, codeMalformedJSON, field,
			fmt.Sprintf("%s: a JSON %s cannot be a %s", field, typeErr.Value, typeErr.Type))
	}
	// encoding/json has no typed error for an unknown member.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		return newHTTPError(http.StatusBadRequest, codeUnknownField, name, "unknown field "+strconv.Quote(name))
	}
	var timeErr *time.ParseError
	if errors.As(err, &timeErr) {
		return newHTTPError(http.StatusBadRequest, codeMalformedJSON, "", "a time is not RFC 3339: "+timeErr.Error())
	}
	return newHTTPError(http.StatusBadRequest, codeMalformedJSON, "", "the request body is not valid JSON for this endpoint")
}

// writeJSON writes v as application/json with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	writeBody(w, status, "application/json", v)
}

func writeBody(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Every response type is marshalable; this is a programming error.
		http.Error(w, `{"status":500}`, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// pathID parses the {name} path wildcard as a UUID. A malformed id names no
// resource: 404.
func pathID(r *http.Request, name string) (uuid.UUID, error) {
	s := r.PathValue(name)
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return uuid.Nil, newHTTPError(http.StatusNotFound, codeNotFound, "", "no resource with id "+strconv.Quote(s))
	}
	return id, nil
}

// parseUUID parses a UUID in a body field, 422 naming the field otherwise.
func parseUUID(field, s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return uuid.Nil, newHTTPError(http.StatusUnprocessableEntity, codeValidationFailed, field,
			field+": "+strconv.Quote(s)+" is not a UUID")
	}
	return id, nil
}

// parseDecimal parses a decimal carried as a JSON string.
func parseDecimal(field, s string) (decimal.Decimal, error) {
	return riskmodel.ParseDecimal(field, s)
}

// fixed2 formats scores and money with two decimal places.
func fixed2(d decimal.Decimal) string { return d.StringFixed(2) }

// timeOrNil returns nil for the zero time and the UTC time otherwise.
func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// queryError reports a malformed query parameter.
func queryError(name, detail string) error {
	return newHTTPError(http.StatusBadRequest, codeInvalidParameter, name, name+": "+detail)
}

// queryInt parses an optional integer query parameter.
func queryInt(r *http.Request, name string, def int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, queryError(name, strconv.Quote(s)+" is not an integer")
	}
	return n, nil
}

// queryTime parses an optional RFC 3339 query parameter.
func queryTime(r *http.Request, name string) (*time.Time, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, queryError(name, strconv.Quote(s)+" is not an RFC 3339 time")
	}
	return &t, nil
}
