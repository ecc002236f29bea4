// Package outcome writes errors as FHIR OperationOutcomes: one mapping from
// the error vocabulary (package errs) to issue codes and HTTP statuses for
// every face that speaks FHIR (the REST interactions and bulk export), so
// the same failure reads the same wherever it happens.
package outcome

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/httpx"
)

// ContentType is the media type of the FHIR faces' JSON answers.
const ContentType = "application/fhir+json; charset=utf-8"

// IssueCode is the OperationOutcome issue type (the IssueType value set)
// for an error kind.
func IssueCode(k errs.Kind) string {
	switch k {
	case errs.Invalid:
		return "invalid"
	case errs.NotFound:
		return "not-found"
	case errs.Gone:
		return "deleted"
	case errs.Conflict, errs.Precondition:
		return "conflict"
	case errs.Unauthorized:
		return "login"
	case errs.Forbidden:
		return "forbidden"
	case errs.TooLarge:
		return "too-long"
	case errs.Unsupported, errs.NotAcceptable, errs.MethodNotAllowed, errs.Unprocessable:
		return "not-supported"
	case errs.TooMany:
		return "throttled"
	case errs.Unavailable:
		return "transient"
	}
	return "exception"
}

// Issue is one issue of an OperationOutcome.
type Issue struct {
	Severity    string   `json:"severity"`
	Code        string   `json:"code"`
	Diagnostics string   `json:"diagnostics,omitempty"`
	Expression  []string `json:"expression,omitempty"`
}

type document struct {
	ResourceType string  `json:"resourceType"`
	Issue        []Issue `json:"issue"`
}

// WriteError answers err as an OperationOutcome with the status of its
// (first) kind, and Retry-After when the kind may be tried again shortly
// (errs.RetryAfter) and the handler has not set one of its own. Errors that
// are not *errs.Error are internal: they are logged with the request id and
// the client hears only that, with the id to quote. A request whose client
// went away gets no answer: nobody reads it.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	if errors.Is(err, context.Canceled) {
		return
	}
	var list []*errs.Error
	var multi errs.Multi
	var one *errs.Error
	switch {
	case errors.As(err, &multi):
		list = multi
	case errors.As(err, &one):
		list = []*errs.Error{one}
	}
	if len(list) == 0 {
		reqID := httpx.RequestIDFrom(r.Context())
		log.ErrorContext(r.Context(), "fhir: internal error", "request_id", reqID, "method", r.Method, "path", r.URL.Path, "err", err)
		list = []*errs.Error{{Kind: errs.Internal, Message: "internal server error (request id " + reqID + ")"}}
	}
	issues := IssuesOf(list)
	if ra := errs.RetryAfter(list[0].Kind); ra != "" && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", ra)
	}
	Write(w, list[0].Kind.Status(), issues...)
}

// IssuesOf is an OperationOutcome's issues for the errors: an internal
// one is fatal, the others errors, each with its field as the expression.
func IssuesOf(list []*errs.Error) []Issue {
	issues := make([]Issue, len(list))
	for i, e := range list {
		issues[i] = Issue{Severity: "error", Code: IssueCode(e.Kind), Diagnostics: e.Message}
		if e.Kind == errs.Internal {
			issues[i].Severity = "fatal"
		}
		if e.Field != "" {
			issues[i].Expression = []string{e.Field}
		}
	}
	return issues
}

// WriteInfo answers with an informational OperationOutcome (an export
// accepted or cancelled).
func WriteInfo(w http.ResponseWriter, status int, msg string) {
	Write(w, status, Issue{Severity: "information", Code: "informational", Diagnostics: msg})
}

// Marshal is the OperationOutcome of the issues as JSON (a line of an
// export's error file).
func Marshal(issues ...Issue) []byte {
	// Strings and string slices always marshal.
	b, _ := json.Marshal(document{ResourceType: "OperationOutcome", Issue: issues})
	return b
}

// Write answers an OperationOutcome of the issues with status. Outcomes
// describe one request and are never cached.
func Write(w http.ResponseWriter, status int, issues ...Issue) {
	b := Marshal(issues...)
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}
