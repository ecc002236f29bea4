package web

import (
	"context"
	"net/http"
	"time"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/httpx"
	"github.com/emedpractice/emp/internal/loginthrottle"
	"github.com/emedpractice/emp/internal/store"
)

// The sign-in pages share the authorization server's throttle
// (loginthrottle, kept in the database): a guess on /admin/login counts
// against the same account and address as one on /connect/login, on every
// node. A delayed attempt is refused before the password is checked.

// signInKeys are the throttle's keys of a sign-in: the account, named as
// the authorization server names it, and the address.
func (s *Site) signInKeys(r *http.Request, area, username string) (account, addr loginthrottle.Key) {
	k := auth.AccountStaff
	if area == areaPatient {
		k = auth.AccountPatient
	}
	return loginthrottle.Account(k, username), loginthrottle.Address(s.auth.ClientAddr(r))
}

// signInWait is how long a sign-in must still wait, and whether the
// account has failures a success should reset.
func (s *Site) signInWait(r *http.Request, area, username string) (time.Duration, bool, error) {
	account, addr := s.signInKeys(r, area, username)
	return s.throttle.Check(r.Context(), account, addr)
}

// signInFailed counts a failed sign-in.
func (s *Site) signInFailed(r *http.Request, area, username string) error {
	account, addr := s.signInKeys(r, area, username)
	_, err := s.throttle.Failed(throttleContext(r), account, addr)
	return err
}

// signInSucceeded resets the account's count when it has one.
func (s *Site) signInSucceeded(r *http.Request, area, username string, counted bool) error {
	if !counted {
		return nil
	}
	account, _ := s.signInKeys(r, area, username)
	return s.throttle.Succeeded(r.Context(), account)
}

// throttleContext names the request in the audit row of a lockout.
func throttleContext(r *http.Request) context.Context {
	return store.WithRequest(r.Context(), store.RequestInfo{RequestID: httpx.RequestIDFrom(r.Context()),
		Method: r.Method, Path: r.URL.Path})
}

// tooMany is the sign-in form's message while a delay runs.
func tooMany(wait time.Duration) string {
	return "Too many failed sign-ins. Try again in " + loginthrottle.Words(wait) + "."
}
