package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/examples/internal/pemkey"
	"github.com/buildworksai/trustgate/examples/internal/statement"
	"github.com/buildworksai/trustgate/security/dsse"
	"github.com/buildworksai/trustgate/store"
	"github.com/google/uuid"
)

const signAbout = `
A CAB member signs a statement with their own key (-key, PEM PKCS #8,
Ed25519 or ECDSA P-256), so that the server never holds it: in
member-signed mode only such approvals count.

With a database, sign makes the statement from the stored record:

  -request ID -member NAME [-exception] [-comment TEXT]
        the approval of a CAB request (by id or correlation id), or with
        -exception the approval of its exception
  -model VERSION -member NAME
        the approval of a risk model version

Without one, it signs the statement on stdin, as the approval-statement
endpoints of the reference server return it (and as examples/sign does).
Either way it refuses anything but a canonical trustgate statement, shows
what it signs on stderr (read it: the request, the member, the comment),
and writes the DSSE envelope's JSON to stdout or -o; -body writes
{"envelope": ...}, the body of the server's approve endpoints. With -json
the document is {"ok", "key_id", "predicate_type", "envelope"}. Exit status
1 when the record is not in the database, or the statement on stdin is not
a trustgate statement (nothing is signed).`

// signResult is the -json document of sign.
type signResult struct {
	OK            bool            `json:"ok"`
	KeyID         string          `json:"key_id,omitempty"`
	PredicateType string          `json:"predicate_type,omitempty"`
	Envelope      json.RawMessage `json:"envelope,omitempty"`
	Path          string          `json:"path,omitempty"`
	Error         string          `json:"error,omitempty"`
}

func runSign(ctx context.Context, e *env, args []string) error {
	fs := flagSet(e, "sign", "-key FILE [-db FILE|-postgres DSN (-request ID [-exception] [-comment TEXT] | -model VERSION) -member NAME] [-body] [-o FILE] [-json]", signAbout)
	var f dbFlags
	f.register(fs)
	keyPath := fs.String("key", "", "the member's private key `file` (PEM PKCS #8)")
	member := fs.String("member", "", "the member's `name`, as the keyring lists it")
	request := fs.String("request", "", "sign the approval of the CAB request with this `id` or correlation id")
	exception := fs.Bool("exception", false, "with -request: sign the approval of the request's exception")
	comment := fs.String("comment", "", "with -request: the approval's `comment`")
	model := fs.String("model", "", "sign the approval of this risk model `version`")
	body := fs.Bool("body", false, `write {"envelope": …}, the body of the approve endpoints`)
	out := fs.String("o", "", "write the envelope to this `file` instead of stdout")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := noArgs(fs, pos); err != nil {
		return err
	}
	fromDB := f.path != "" || f.dsn != ""
	switch {
	case *keyPath == "":
		return usageError("-key FILE is required: the member's own key signs")
	case f.path != "" && f.dsn != "":
		return usageError("give -db or -postgres, not both")
	case fromDB && (*request == "") == (*model == ""):
		return usageError("with a database, give -request ID or -model VERSION")
	case fromDB && *member == "":
		return usageError("-member NAME is required: the statement names who approves")
	case !fromDB && (*request != "" || *model != "" || *member != ""):
		return usageError("-request, -model and -member make the statement from a database: give -db FILE or -postgres DSN")
	case *model != "" && (*exception || *comment != ""):
		return usageError("-exception and -comment are for -request")
	}
	key, err := pemkey.LoadPrivateKey(*keyPath)
	if err != nil {
		return cannotRun(fmt.Errorf("-key: %w", err))
	}
	var payload []byte
	if fromDB {
		s, err := f.open(ctx, false, store.Options{})
		if err != nil {
			return err
		}
		defer s.close()
		if payload, err = storedStatement(ctx, s, *request, *model, *member, *comment, *exception); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return signFailed(e, f.json, err)
			}
			return cannotRun(err)
		}
	} else {
		raw, err := io.ReadAll(io.LimitReader(e.stdin, dsse.MaxPayload+1))
		if err != nil {
			return cannotRun(fmt.Errorf("stdin: %w", err))
		}
		payload = statement.Trim(raw)
	}
	env, err := statement.Sign(key, payload, e.stderr)
	if err != nil {
		if fromDB {
			return cannotRun(err)
		}
		return signFailed(e, f.json, err)
	}
	b, err := env.Marshal()
	if err != nil {
		return cannotRun(err)
	}
	if *body {
		b = statement.Body(b)
	}
	b = append(b, '\n')
	if *out != "" {
		if err := writeOutput(*out, b); err != nil {
			return err
		}
	}
	st, _ := statement.Check(payload)
	res := signResult{OK: true, KeyID: env.Signatures[0].KeyID, PredicateType: st.PredicateType, Envelope: b, Path: *out}
	switch {
	case f.json:
		return writeJSON(e.stdout, res)
	case *out != "":
		fmt.Fprintf(e.stdout, "signed %s with key %s, written to %s\n", st.PredicateType, res.KeyID, *out)
		return nil
	}
	_, err = e.stdout.Write(b)
	return err
}

// storedStatement makes the statement of the record the flags name.
func storedStatement(ctx context.Context, s *db, request, model, member, comment string, exception bool) ([]byte, error) {
	if model != "" {
		v, err := s.RiskModel(ctx, model)
		if err != nil {
			return nil, fmt.Errorf("-model %s: %w", model, err)
		}
		return v.ApprovalPayload(member)
	}
	var r cab.Request
	var err error
	if id, perr := uuid.Parse(request); perr == nil {
		r, err = s.Request(ctx, id)
	} else {
		r, err = s.RequestByCorrelationID(ctx, request)
	}
	if err != nil {
		return nil, fmt.Errorf("-request %s: %w", request, err)
	}
	kind := cab.KindApproval
	if exception {
		kind = cab.KindExceptionApproval
	}
	return r.ApprovalPayload(kind, member, comment)
}

// signFailed writes the failure and returns exit status 1.
func signFailed(e *env, asJSON bool, err error) error {
	if asJSON {
		if werr := writeJSON(e.stdout, signResult{Error: err.Error()}); werr != nil {
			return cannotRun(werr)
		}
		return checkFailed()
	}
	fmt.Fprintf(e.stdout, "FAILED: %v\n", err)
	return checkFailed()
}
