package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/emedpractice/emp/internal/ctrlchar"
	"github.com/emedpractice/emp/internal/errs"
)

// Strict input at the authorization server: control characters (ctrlchar)
// are refused in every parameter the endpoints and pages read, and a
// registration body must be one JSON object with nothing after it. A
// client_id holding NUL used to reach the database, where PostgreSQL refused
// the value and the client saw a 500.

// plainText wraps the authorize endpoint, the logout endpoint and the
// sign-in, patient-picker and consent pages: a query or form parameter
// holding a control character is a 400 page naming it, before the handler
// looks anything up. The page is shown rather than a redirect to the client
// because the client and its redirect URI are not yet known to be good.
func (s *Server) plainText(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		params := r.URL.Query()
		if r.Method == http.MethodPost {
			// A multipart body is parsed here too: the handlers'
			// PostFormValue would read one, and its fields must not skip
			// the check.
			parse := r.ParseForm
			if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
				parse = func() error { return r.ParseMultipartForm(maxFormBody) }
			}
			if err := parse(); err != nil {
				s.errorPage(w, http.StatusBadRequest, "Bad request", "The form could not be read.")
				return
			}
			params = r.Form
		}
		if e := ctrlchar.Values(params); e != nil {
			s.errorPage(w, http.StatusBadRequest, "Bad request", "The parameter "+e.Field+" "+e.Message+".")
			return
		}
		next(w, r)
	}
}

// formControls is the check for the form-encoded endpoints (token,
// introspection, revocation): invalid_request naming the parameter.
func formControls(form map[string][]string) error {
	if e := ctrlchar.Values(form); e != nil {
		return badRequest(errInvalidRequest, "%s %s", e.Field, e.Message)
	}
	return nil
}

// decodeMetadata reads a registration body: one JSON object of client
// metadata with nothing after it (RFC 7591 asks for a JSON object; trailing
// data means the client sent something other than it meant) and no control
// characters in any member.
func decodeMetadata(body io.Reader, md *ClientMetadata) error {
	var raw bytes.Buffer
	dec := json.NewDecoder(io.TeeReader(body, &raw))
	err := dec.Decode(md)
	if err == nil {
		_, more := dec.Token()
		switch oe, _ := asOAuth(more); {
		case errors.Is(more, io.EOF):
		case more != nil && oe.Err.Kind == errs.TooLarge:
			return oe
		default:
			return badRequest(errInvalidClientMetadata, "the body holds data after the JSON object")
		}
	}
	if err != nil {
		if oe, _ := asOAuth(err); oe.Err.Kind == errs.TooLarge {
			return oe
		}
		return badRequest(errInvalidClientMetadata, "the body is not a JSON object of client metadata").withCause(err)
	}
	if e := ctrlchar.JSON(raw.Bytes()); e != nil {
		return badRequest(errInvalidClientMetadata, "%s %s", e.Field, e.Message)
	}
	return nil
}
