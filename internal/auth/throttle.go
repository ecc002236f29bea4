package auth

import (
	"context"
	"net/http"

	"github.com/emedpractice/emp/internal/httpx"
	"github.com/emedpractice/emp/internal/loginthrottle"
	"github.com/emedpractice/emp/internal/store"
)

// Sign-ins and client authentications are slowed by loginthrottle: per
// account (or client id) and per address, growing delays, the counts shared
// by every node through the store (Config.Throttle). A delayed attempt is
// refused before any password or secret is checked, so guessing during a
// delay learns nothing.

// LoginThrottle is the throttle of this server's sign-ins, for the site's
// own sign-in pages to share.
func (s *Server) LoginThrottle() *loginthrottle.Throttle { return s.throttle }

// throttleContext names the request in the audit row of a lockout.
func throttleContext(r *http.Request) context.Context {
	return store.WithRequest(r.Context(), store.RequestInfo{RequestID: httpx.RequestIDFrom(r.Context()),
		Method: r.Method, Path: r.URL.Path})
}

// ClientAddr is the address a request came from as the throttle counts it
// (Config.ClientAddr), for the site's sign-in pages to count alike.
func (s *Server) ClientAddr(r *http.Request) string { return s.clientIP(r) }
