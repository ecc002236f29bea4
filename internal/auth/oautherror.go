package auth

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/httpx"
)

// RFC 6749 (5.2, 4.1.2.1), RFC 7591 (3.2.2) and OpenID Connect error codes.
const (
	errInvalidRequest          = "invalid_request"
	errInvalidClient           = "invalid_client"
	errInvalidGrant            = "invalid_grant"
	errUnauthorizedClient      = "unauthorized_client"
	errUnsupportedGrantType    = "unsupported_grant_type"
	errInvalidScope            = "invalid_scope"
	errAccessDenied            = "access_denied"
	errUnsupportedResponseType = "unsupported_response_type"
	errServerError             = "server_error"
	errInvalidRedirectURI      = "invalid_redirect_uri"
	errInvalidClientMetadata   = "invalid_client_metadata"
	errInvalidToken            = "invalid_token"
	errUnsupportedTokenType    = "unsupported_token_type"
)

// oauthError is a client's error in the OAuth vocabulary: the code a client
// acts on, and the *errs.Error whose kind gives the status and whose message
// is the error_description.
type oauthError struct {
	Code string
	Err  *errs.Error
	// RetryAfter, when set, is sent as Retry-After (RFC 6585 4, RFC 9110
	// 10.2.3) with a 429: how long a throttled client must wait.
	RetryAfter time.Duration
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Err.Error() }
func (e *oauthError) Unwrap() error { return e.Err }

// oauthErr builds an OAuth error. invalid_client is 401 (RFC 6749 5.2);
// everything else the caller names.
func oauthErr(code string, kind errs.Kind, format string, args ...any) *oauthError {
	return &oauthError{Code: code, Err: errs.E(kind, format, args...)}
}

// badRequest is the common 400.
func badRequest(code, format string, args ...any) *oauthError {
	return oauthErr(code, errs.Invalid, format, args...)
}

// badClient is invalid_client, 401.
func badClient(format string, args ...any) *oauthError {
	return oauthErr(errInvalidClient, errs.Unauthorized, format, args...)
}

// withCause attaches a cause for the log.
func (e *oauthError) withCause(err error) *oauthError {
	e.Err.Err = err
	return e
}

// asOAuth maps any error to the OAuth answer: an *oauthError as is, an
// *errs.Error by its kind, anything else as server_error (its text is logged,
// never sent).
func asOAuth(err error) (*oauthError, bool) {
	var oe *oauthError
	if errors.As(err, &oe) {
		return oe, true
	}
	var e *errs.Error
	if errors.As(err, &e) && e.Kind != errs.Internal {
		code := errInvalidRequest
		switch e.Kind {
		case errs.Unauthorized:
			code = errInvalidClient
		case errs.Forbidden:
			code = errAccessDenied
		case errs.NotFound, errs.Conflict, errs.Gone:
			// A record a request named is missing or taken: the request
			// is what is wrong, and OAuth has no 404 or 409.
			cp := *e
			cp.Kind = errs.Invalid
			e = &cp
		}
		return &oauthError{Code: code, Err: e}, true
	}
	if httpx.IsTooLarge(err) {
		return oauthErr(errInvalidRequest, errs.TooLarge, "request body too large"), true
	}
	return &oauthError{Code: errServerError, Err: errs.E(errs.Internal, "internal error")}, false
}

// noStore marks an answer that carries or concerns credentials as not to be
// cached (RFC 6749 5.1, SMART#86-87).
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

// writeJSON writes v with the status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// writeOAuthError answers err as an RFC 6749 JSON error. Internal errors are
// logged with their cause; the client hears only server_error.
func (s *Server) writeOAuthError(w http.ResponseWriter, r *http.Request, err error) {
	oe, client := asOAuth(err)
	if !client {
		s.logger.ErrorContext(r.Context(), "auth: internal error", "path", r.URL.Path, "err", err, "request_id", httpx.RequestIDFrom(r.Context()))
	} else if oe.Err.Err != nil {
		s.logger.InfoContext(r.Context(), "auth: request refused", "path", r.URL.Path, "error", oe.Code, "err", oe.Err, "request_id", httpx.RequestIDFrom(r.Context()))
	}
	noStore(w)
	status := oe.Err.Kind.Status()
	if status == http.StatusUnauthorized {
		// RFC 6749 5.2: a 401 names the scheme the client may use.
		w.Header().Set("WWW-Authenticate", `Basic realm="emp"`)
	}
	if oe.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((oe.RetryAfter+time.Second-1)/time.Second)))
	}
	body := map[string]string{"error": oe.Code}
	if oe.Err.Message != "" {
		body["error_description"] = oe.Err.Message
	}
	writeJSON(w, status, body)
}
