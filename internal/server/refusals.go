package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/httpx"
	"github.com/emedpractice/emp/internal/store"
)

// refused is told of every request the faces' gate answers 401: the cause
// goes on the request's access-log line, and an audit row records the
// attempt, so that refusals before anyone is authenticated (a missing,
// expired, forged or revoked token) are in `emp audit` and the API log page
// with the rest. The row names no actor: nothing in a refused token is
// trusted.
func (a *App) refused(r *http.Request, err error) {
	cause := authz.RefusalCause(err)
	if cause == "" {
		cause = "missing bearer token"
	}
	httpx.LogAttr(r.Context(), slog.String("auth_error", cause), slog.String("auth_detail", err.Error()))
	a.Store.RecordAccess(r.Context(), store.AuditEvent{
		RequestInfo: store.RequestInfo{RequestID: httpx.RequestIDFrom(r.Context()), Method: r.Method, Path: r.URL.Path},
		Action:      "authenticate", Status: http.StatusUnauthorized, Detail: err.Error(),
	})
}

// adminMetrics guards /metrics on the main listener: a token of an
// administrator, since route names, counts and latencies describe the
// practice's traffic to anyone who can read them. A refusal is audited like
// one on any face.
func (a *App) adminMetrics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.Gate.Authenticate(r)
		if err == nil && p.Role != authz.RoleAdmin {
			err = errs.E(errs.Forbidden, "metrics are for administrators, not a token of role %q", p.Role)
			a.Store.RecordAccess(r.Context(), store.AuditEvent{
				RequestInfo: store.RequestInfo{RequestID: httpx.RequestIDFrom(r.Context()), Actor: p.Subject,
					ClientID: p.ClientID, Role: p.Role, Method: r.Method, Path: r.URL.Path},
				Action: "metrics", Status: http.StatusForbidden, Detail: err.Error(),
			})
		}
		if err != nil {
			status := errs.KindOf(err).Status()
			msg := "internal error"
			var e *errs.Error
			switch {
			case errs.KindOf(err) == errs.Internal:
				a.cfg.Logger.ErrorContext(r.Context(), "metrics: authenticate", "err", err)
			case errors.As(err, &e):
				msg = e.Message
			}
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", authz.Challenge("metrics", err))
			}
			w.Header().Set("Cache-Control", "no-store")
			http.Error(w, msg, status)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ListenMetrics binds the separate metrics address (Config.MetricsAddr);
// nil without one.
func (a *App) ListenMetrics() (net.Listener, error) {
	if a.cfg.MetricsAddr == "" {
		return nil, nil
	}
	return net.Listen("tcp", a.cfg.MetricsAddr)
}

// ServeMetrics serves /metrics, unauthenticated, on ln until ctx is done:
// the operator's own network, kept apart from the listener patients and
// apps reach, which then has no /metrics at all.
func (a *App) ServeMetrics(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.Metrics.Handler())
	return httpx.Serve(ctx, httpx.NewServer(mux, a.cfg.Logger), ln, nil, 5*time.Second)
}
