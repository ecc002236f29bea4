package fhirapi

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/httpx"
)

// issueCode is the OperationOutcome issue type for an error kind.
func issueCode(k errs.Kind) string {
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
	case errs.Unsupported, errs.NotAcceptable, errs.MethodNotAllowed:
		return "not-supported"
	case errs.TooMany:
		return "throttled"
	case errs.Unavailable:
		return "transient"
	}
	return "exception"
}

// writeError answers err as an OperationOutcome. Errors that are not
// *errs.Error are internal: they are logged with the request id and the
// client hears only that, with the id to quote.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var list []*errs.Error
	var multi errs.Multi
	var one *errs.Error
	switch {
	case errors.As(err, &multi):
		list = multi
	case errors.As(err, &one):
		list = []*errs.Error{one}
	}
	if errors.Is(err, context.Canceled) {
		return // the client went away; nobody reads an answer
	}
	if len(list) == 0 {
		reqID := httpx.RequestIDFrom(r.Context())
		log.ErrorContext(r.Context(), "fhir: internal error", "request_id", reqID, "method", r.Method, "path", r.URL.Path, "err", err)
		list = []*errs.Error{{Kind: errs.Internal, Message: "internal server error (request id " + reqID + ")"}}
	}
	status := list[0].Kind.Status()
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", authz.Challenge("fhir", err))
	}
	if ra := errs.RetryAfter(list[0].Kind); ra != "" {
		w.Header().Set("Retry-After", ra)
	}
	writeOutcome(w, status, list)
}

func writeOutcome(w http.ResponseWriter, status int, list []*errs.Error) {
	var b bytes.Buffer
	b.WriteString(`{"resourceType":"OperationOutcome","issue":[`)
	for i, e := range list {
		if i > 0 {
			b.WriteByte(',')
		}
		severity := "error"
		if e.Kind == errs.Internal {
			severity = "fatal"
		}
		b.WriteString(`{"severity":"` + severity + `","code":"` + issueCode(e.Kind) + `","diagnostics":`)
		writeJSONString(&b, e.Message)
		if e.Field != "" {
			b.WriteString(`,"expression":[`)
			writeJSONString(&b, e.Field)
			b.WriteString(`]`)
		}
		b.WriteByte('}')
	}
	b.WriteString(`]}`)
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}
