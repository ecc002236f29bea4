package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/httpx"
)

// Envelope is the body of every answer. ValidationErrors is [] or, on a 400,
// an object naming each bad field: {"fname": {"required": "…"}}.
// InternalErrors is [] or, on a 500, a generic message (details go to the
// log under the request id). Data is an object for one record and an array
// for a list. Message explains a 401, 403 or 404.
type Envelope struct {
	ValidationErrors any      `json:"validationErrors"`
	InternalErrors   []string `json:"internalErrors"`
	Data             any      `json:"data"`
	Links            *Links   `json:"links"`
	Message          string   `json:"message,omitempty"`
}

// Links are the paging links of a list.
type Links struct {
	Self     string `json:"self,omitempty"`
	First    string `json:"first,omitempty"`
	Previous string `json:"previous,omitempty"`
	Next     string `json:"next,omitempty"`
}

// FieldErrors are the validation errors of a 400: field → rule → message.
type FieldErrors map[string]map[string]string

// rule names the check a field failed; it rides in errs.Error.Err so that
// the envelope can key the message by it.
type rule string

func (r rule) Error() string { return string(r) }

// fieldErr is a validation error on field that failed the named rule.
func fieldErr(field string, r rule, format string, args ...any) *errs.Error {
	e := errs.Field(field, format, args...)
	e.Err = r
	return e
}

// WriteJSON writes an envelope with the status.
func WriteJSON(w http.ResponseWriter, status int, env Envelope) {
	if env.ValidationErrors == nil {
		env.ValidationErrors = []any{}
	}
	if env.InternalErrors == nil {
		env.InternalErrors = []string{}
	}
	if env.Data == nil {
		env.Data = []any{}
	}
	if env.Links == nil {
		env.Links = &Links{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// The answer is JSON for programs, never embedded in HTML: "&" and ">"
	// (an apptstat code) stay as they are.
	enc.SetEscapeHTML(false)
	err := enc.Encode(env)
	b := buf.Bytes()
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"validationErrors":[],"internalErrors":["the answer could not be encoded"],"data":[]}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b)
}

// WriteError maps err to its status and envelope. Client errors say what
// went wrong (a 400 names every field); anything else is logged with the
// request id and the client hears only that something failed.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	writeError(w, r, log, err)
}

func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	kind := errs.KindOf(err)
	status := kind.Status()
	env := Envelope{}
	switch {
	case kind == errs.Internal:
		log.Error("api request failed", "request_id", httpx.RequestIDFrom(r.Context()), "method", r.Method, "path", r.URL.Path, "err", err)
		env.InternalErrors = []string{"an internal error occurred; request id " + httpx.RequestIDFrom(r.Context())}
	case kind == errs.Invalid:
		env.ValidationErrors = fieldErrors(err)
	default:
		var e *errs.Error
		if errors.As(err, &e) {
			env.Message = e.Message
		}
	}
	if ra := errs.RetryAfter(kind); ra != "" {
		w.Header().Set("Retry-After", ra)
	}
	WriteJSON(w, status, env)
}

// fieldErrors turns a client error into field → rule → message. An error
// without a field is reported under "request".
func fieldErrors(err error) FieldErrors {
	out := FieldErrors{}
	add := func(e *errs.Error) {
		field := e.Field
		if field == "" {
			field = "request"
		}
		var r rule
		if !errors.As(e.Err, &r) {
			r = "invalid"
		}
		if out[field] == nil {
			out[field] = map[string]string{}
		}
		out[field][string(r)] = e.Message
	}
	var m errs.Multi
	if errors.As(err, &m) {
		for _, e := range m {
			add(e)
		}
		return out
	}
	var e *errs.Error
	if errors.As(err, &e) {
		add(e)
	}
	return out
}
