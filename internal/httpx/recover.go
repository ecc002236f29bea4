package httpx

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// Recover turns a panic in a handler into a logged error with its stack and
// a 500 answer, so one bad request does not take its connection (or, with
// HTTP/2, every stream on it) down with it.
//
// onPanic writes the answer, so each face speaks its own format (the FHIR
// face an OperationOutcome); it must write a 5xx status. When nil, a plain
// text 500 naming the request id is written.
//
// When the response had already started, no clean answer is possible: the
// connection is aborted (http.ErrAbortHandler) so the client sees a broken
// response rather than a truncated one that looks complete. A handler that
// panics with http.ErrAbortHandler itself is let through untouched; that is
// how a handler asks the server to drop the connection.
func Recover(logger *slog.Logger, onPanic func(w http.ResponseWriter, r *http.Request)) func(http.Handler) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if onPanic == nil {
		onPanic = plainInternalError
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := record(w)
			defer func() {
				p := recover()
				if p == nil {
					return
				}
				if p == http.ErrAbortHandler {
					panic(p)
				}
				logger.LogAttrs(r.Context(), slog.LevelError, "panic serving request",
					slog.String("panic", fmt.Sprint(p)),
					slog.String("method", r.Method),
					slog.String("path", r.URL.Path),
					slog.String("request_id", RequestIDFrom(r.Context())),
					slog.Bool("response_started", rec.wrote),
					slog.String("stack", string(debug.Stack())),
				)
				if rec.wrote {
					panic(http.ErrAbortHandler)
				}
				// Headers the handler set for the answer it meant to give
				// would describe the wrong body.
				h := rec.Header()
				for _, k := range representationHeaders {
					h.Del(k)
				}
				onPanic(rec, r)
			}()
			next.ServeHTTP(rec, r)
		})
	}
}

// representationHeaders describe a response body; Recover drops them
// before writing its own.
var representationHeaders = [...]string{
	"Content-Type", "Content-Length", "Content-Encoding", "Content-Disposition",
	"Content-Location", "Location", "ETag", "Last-Modified",
}

func plainInternalError(w http.ResponseWriter, r *http.Request) {
	msg := "internal server error"
	if id := RequestIDFrom(r.Context()); id != "" {
		msg += " (request id " + id + ")"
	}
	http.Error(w, msg, http.StatusInternalServerError)
}
