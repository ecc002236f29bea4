package httpx

import (
	"log/slog"
	"net/http"
	"time"
)

// AccessLog writes one structured line per request once it is answered.
//
// It logs the path without the query string: FHIR searches carry patient
// data there (name=, birthdate=, identifier=), and access logs are kept
// longer and seen by more people than the audit trail. The route pattern
// says which handler served the request without repeating ids.
//
// A request whose handler panicked is logged as a 500 (what Recover answers)
// unless the response had already started.
func AccessLog(logger *slog.Logger) func(http.Handler) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := record(w)
			start := time.Now()
			returned := false
			defer func() {
				status := rec.status
				if !returned && !rec.wrote {
					status = http.StatusInternalServerError
				}
				level := slog.LevelInfo
				if status >= 500 {
					level = slog.LevelWarn
				}
				d := time.Since(start)
				logger.LogAttrs(r.Context(), level, "http request",
					slog.String("method", r.Method),
					slog.String("path", r.URL.Path),
					slog.String("route", r.Pattern),
					slog.Int("status", status),
					slog.Int64("bytes", rec.bytes),
					slog.Float64("duration_ms", float64(d.Microseconds())/1000),
					slog.String("request_id", RequestIDFrom(r.Context())),
					slog.String("remote", r.RemoteAddr),
				)
			}()
			next.ServeHTTP(rec, r)
			returned = true
		})
	}
}
