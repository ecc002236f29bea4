package bulk

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/httpx"
)

// issue is one OperationOutcome issue.
type issue struct {
	Severity    string   `json:"severity"`
	Code        string   `json:"code"`
	Diagnostics string   `json:"diagnostics,omitempty"`
	Expression  []string `json:"expression,omitempty"`
}

type outcome struct {
	ResourceType string  `json:"resourceType"`
	Issue        []issue `json:"issue"`
}

func issueCode(k errs.Kind) string {
	switch k {
	case errs.Invalid:
		return "invalid"
	case errs.NotFound:
		return "not-found"
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
	case errs.Conflict:
		return "conflict"
	}
	return "exception"
}

// writeError answers err as an OperationOutcome. An error that is not an
// *errs.Error is internal: it is logged with the request id and the client
// hears only the id.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
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
		id := httpx.RequestIDFrom(r.Context())
		log.ErrorContext(r.Context(), "bulk: internal error", "request_id", id, "method", r.Method, "path", r.URL.Path, "err", err)
		list = []*errs.Error{{Kind: errs.Internal, Message: "internal server error (request id " + id + ")"}}
	}
	o := outcome{ResourceType: "OperationOutcome"}
	for _, e := range list {
		is := issue{Severity: "error", Code: issueCode(e.Kind), Diagnostics: e.Message}
		if e.Kind == errs.Internal {
			is.Severity = "fatal"
		}
		if e.Field != "" {
			is.Expression = []string{e.Field}
		}
		o.Issue = append(o.Issue, is)
	}
	status := list[0].Kind.Status()
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", authz.Challenge("fhir", err))
	}
	writeJSON(w, status, fhirJSON, o)
}

// writeInfo answers with an informational OperationOutcome.
func writeInfo(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, fhirJSON, outcome{ResourceType: "OperationOutcome",
		Issue: []issue{{Severity: "information", Code: "informational", Diagnostics: msg}}})
}

const (
	fhirJSON   = "application/fhir+json"
	fhirNDJSON = "application/fhir+ndjson"
)

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"resourceType":"OperationOutcome","issue":[{"severity":"fatal","code":"exception"}]}`)
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}
