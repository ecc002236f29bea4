package httpx

import "net/http"

// SecurityHeaders sets the response headers every answer of the server
// carries. They are set before the handler runs, so a handler can override
// one (an HTML page its own Content-Security-Policy) with Header().Set.
//
// The default Content-Security-Policy forbids everything: the server mostly
// answers JSON, and a JSON body opened in a browser must not be able to run
// or load anything. HSTS is sent only on TLS connections: over plain HTTP
// (loopback development) a browser ignores it, and behind a TLS-terminating
// proxy the proxy owns that header.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}
