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
//
// The header values are built once and shared by every answer (this runs
// on every request): net/http only reads them, and a handler that changes
// one replaces the value with Header().Set instead of writing into it.
func SecurityHeaders(next http.Handler) http.Handler {
	type header struct {
		key   string
		value []string
	}
	fixed := []header{
		{"X-Content-Type-Options", []string{"nosniff"}},
		{"Referrer-Policy", []string{"no-referrer"}},
		{"X-Frame-Options", []string{"DENY"}},
		{"Content-Security-Policy", []string{"default-src 'none'; frame-ancestors 'none'"}},
	}
	hsts := []string{"max-age=31536000"}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for _, f := range fixed {
			h[f.key] = f.value[:1:1]
		}
		if r.TLS != nil {
			h["Strict-Transport-Security"] = hsts[:1:1]
		}
		next.ServeHTTP(w, r)
	})
}
