package httpx

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// logNotes are the attributes a handler adds to its request's access-log
// line (see LogAttr).
type logNotes struct {
	mu    sync.Mutex
	attrs []slog.Attr
}

type logNotesKey struct{}

// LogAttr adds attributes to the access-log line of the request ctx
// belongs to, so that the one line about a request says why it was
// answered as it was (a refused token's cause). Outside AccessLog it does
// nothing.
func LogAttr(ctx context.Context, attrs ...slog.Attr) {
	n, _ := ctx.Value(logNotesKey{}).(*logNotes)
	if n == nil {
		return
	}
	n.mu.Lock()
	n.attrs = append(n.attrs, attrs...)
	n.mu.Unlock()
}

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
			notes := &logNotes{}
			r = r.WithContext(context.WithValue(r.Context(), logNotesKey{}, notes))
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
				attrs := []slog.Attr{
					slog.String("method", r.Method),
					slog.String("path", r.URL.Path),
					slog.String("route", r.Pattern),
					slog.Int("status", status),
					slog.Int64("bytes", rec.bytes),
					slog.Float64("duration_ms", float64(d.Microseconds())/1000),
					slog.String("request_id", RequestIDFrom(r.Context())),
					slog.String("remote", r.RemoteAddr),
				}
				notes.mu.Lock()
				attrs = append(attrs, notes.attrs...)
				notes.mu.Unlock()
				logger.LogAttrs(r.Context(), level, "http request", attrs...)
			}()
			next.ServeHTTP(rec, r)
			returned = true
		})
	}
}
