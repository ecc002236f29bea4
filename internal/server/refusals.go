package server

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/gate"
	"github.com/emedpractice/emp/internal/httpx"
	"github.com/emedpractice/emp/internal/store"
)

// adminMetrics guards /metrics on the main listener: a token of an
// administrator, since route names, counts and latencies describe the
// practice's traffic to anyone who can read them. It sits behind the gate
// like every face, so a refusal is audited like one on any face; a read of
// the metrics is not (it touches no patient's records).
func (a *App) adminMetrics(next http.Handler) http.Handler {
	g := gate.New(gate.Config{Verifier: a.Gate, Audit: a.Store, Realm: "metrics", WriteError: a.plainError})
	return g.Serve(func(req *gate.Request) error {
		req.Audit = store.AuditEvent{Action: "metrics"}
		if req.Caller.Role != authz.RoleAdmin {
			return errs.E(errs.Forbidden, "metrics are for administrators, not a token of role %q", req.Caller.Role)
		}
		req.NoAudit = true
		next.ServeHTTP(req.W, req.R)
		return nil
	})
}

// plainError answers err as plain text, its message only: internal
// details go to the log.
func (a *App) plainError(w http.ResponseWriter, r *http.Request, err error) {
	msg := "internal error"
	var e *errs.Error
	switch {
	case errs.KindOf(err) == errs.Internal:
		a.cfg.Logger.ErrorContext(r.Context(), "metrics: authenticate", "err", err)
	case errors.As(err, &e):
		msg = e.Message
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Error(w, msg, errs.KindOf(err).Status())
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
