package web

import (
	"errors"
	"net/http"

	"github.com/emedpractice/emp/internal/errs"
)

func isNotFound(err error) bool { return errs.KindOf(err) == errs.NotFound }

// userMessage is the message of a client error (bad input), fit to show;
// ok is false for a fault, which must go to the log instead.
func userMessage(err error) (msg string, ok bool) {
	var e *errs.Error
	if errors.As(err, &e) && e.Kind != errs.Internal {
		if e.Field != "" {
			return e.Field + ": " + e.Message, true
		}
		return e.Message, true
	}
	return "", false
}

// pendingClients counts the clients awaiting approval for the navigation
// badge; a failure only hides the badge.
func (s *Site) pendingClients(r *http.Request) int {
	cs, err := s.st.Clients(r.Context())
	if err != nil {
		s.logger.ErrorContext(r.Context(), "web: list clients", "err", err)
		return 0
	}
	n := 0
	for _, c := range cs {
		if c.Status == "pending" {
			n++
		}
	}
	return n
}
