// Package errs is the one error vocabulary of emp. Every package returns
// *Error for failures a client should hear about; each face (FHIR
// OperationOutcome, the /api/ envelope, OAuth JSON errors) maps the Kind once.
// Anything that is not an *Error is internal: it is logged with the request id
// and the client hears only that something went wrong.
package errs

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the faces. Do not reorder: faces and tests
// depend on the values' meaning, not their order, but logs print them.
type Kind uint8

const (
	Internal         Kind = iota // a fault of the server; details are logged, never sent
	Invalid                      // the request or its body is wrong (400)
	NotFound                     // no such resource or route (404)
	Gone                         // the resource existed and was deleted (410)
	Conflict                     // the write conflicts with the current state (409)
	Precondition                 // If-Match or similar failed (412)
	Unauthorized                 // no or bad credentials (401)
	Forbidden                    // authenticated but not allowed (403)
	TooLarge                     // body over the limit (413)
	Unsupported                  // media type not supported (415)
	NotAcceptable                // Accept cannot be met (406)
	TooMany                      // rate or concurrency limit (429)
	MethodNotAllowed             // method not allowed on this path (405)
	Unavailable                  // the server will not finish this now, e.g. a search over its time (503)
	Unprocessable                // understood, but what it names is beyond the server: a code system it does not carry (422)
)

// Error is an error a client may see. Field names the offending element or
// parameter (a FHIRPath-like expression such as "Patient.birthDate" or a
// search parameter name), so a client can tell what to fix.
type Error struct {
	Kind    Kind
	Message string
	Field   string
	Err     error // the cause, logged only
}

func (e *Error) Error() string {
	s := e.Message
	if e.Field != "" {
		s = e.Field + ": " + s
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an *Error of kind k with a formatted message.
func E(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// Field builds an Invalid *Error naming the field at fault.
func Field(field, format string, args ...any) *Error {
	return &Error{Kind: Invalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// KindOf reports the Kind of err: that of the first *Error in its chain, or
// Internal when there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Multi collects several client errors (for example every invalid field of a
// resource) so a client can fix them all at once. Its Kind is that of its
// first error.
type Multi []*Error

func (m Multi) Error() string {
	if len(m) == 0 {
		return "no errors"
	}
	s := m[0].Error()
	if len(m) > 1 {
		s += fmt.Sprintf(" (and %d more)", len(m)-1)
	}
	return s
}

// As lets errors.As find the first *Error of a Multi.
func (m Multi) As(target any) bool {
	if p, ok := target.(**Error); ok && len(m) > 0 {
		*p = m[0]
		return true
	}
	return false
}

// Status is the HTTP status for a kind.
func (k Kind) Status() int {
	switch k {
	case Invalid:
		return 400
	case Unauthorized:
		return 401
	case Forbidden:
		return 403
	case NotFound:
		return 404
	case MethodNotAllowed:
		return 405
	case NotAcceptable:
		return 406
	case Conflict:
		return 409
	case Gone:
		return 410
	case Precondition:
		return 412
	case TooLarge:
		return 413
	case Unsupported:
		return 415
	case TooMany:
		return 429
	case Unprocessable:
		return 422
	case Unavailable:
		return 503
	default:
		return 500
	}
}

// RetryAfter is the Retry-After header (seconds) a face sends with an error
// of kind k: a search refused for time (Unavailable) or for its caller's
// share of the database (TooMany) may be tried again shortly. Empty for the
// other kinds. A face that knows better (bulk status polling) sets its own.
func RetryAfter(k Kind) string {
	switch k {
	case Unavailable, TooMany:
		return "1"
	}
	return ""
}
