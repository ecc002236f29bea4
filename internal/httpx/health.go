package httpx

import (
	"context"
	"net/http"
	"time"
)

// Healthz answers 200 "ok" whenever the process can serve HTTP at all: it
// is the liveness probe, and must not depend on the database, or a database
// outage would get every instance restarted for nothing.
func Healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte("ok\n"))
}

// readyTimeout bounds a readiness check, so a hung database makes the probe
// fail rather than hang with it.
const readyTimeout = 3 * time.Second

// Readyz answers the readiness probe: 200 when check (a database ping)
// succeeds, 503 when it fails. The body says only which: the error may name
// hosts or file paths and the probe is often reachable without credentials.
// A nil check is always ready.
func Readyz(check func(ctx context.Context) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if check != nil {
			if err := check(ctx); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				w.Write([]byte(`{"status":"unavailable"}` + "\n"))
				return
			}
		}
		w.Write([]byte(`{"status":"ready"}` + "\n"))
	})
}
