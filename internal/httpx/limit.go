package httpx

import (
	"errors"
	"net/http"
)

// LimitBody caps request bodies at max bytes. A request that declares a
// larger Content-Length is answered 413 by onTooLarge at once, without
// reading a byte of it; any other body is wrapped in http.MaxBytesReader, so
// a handler reading past the limit gets an error that IsTooLarge recognises
// (and the server closes the connection instead of draining the rest).
// onTooLarge nil answers a plain text 413.
//
// The request's Body is replaced in place rather than on a copy of the
// request, so the route the mux records in r.Pattern stays visible to the
// middlewares outside (see the package documentation).
func LimitBody(max int64, onTooLarge func(w http.ResponseWriter, r *http.Request)) func(http.Handler) http.Handler {
	if onTooLarge == nil {
		onTooLarge = plainTooLarge
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > max {
				onTooLarge(w, r)
				return
			}
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = http.MaxBytesReader(w, r.Body, max)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// IsTooLarge reports whether err comes from reading past a body limit set
// by LimitBody or http.MaxBytesReader.
func IsTooLarge(err error) bool {
	var mb *http.MaxBytesError
	return errors.As(err, &mb)
}

func plainTooLarge(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
}
