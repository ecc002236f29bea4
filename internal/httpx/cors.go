package httpx

import "net/http"

// CORS lets browser apps on other origins (SMART apps, the patient portal)
// call the API. policy decides, per request, whether origin may; a request
// without an Origin header is not a cross-origin browser request and passes
// through untouched.
//
// A preflight (OPTIONS with Access-Control-Request-Method) is answered here
// and never reaches the handler: 204 with the allowed methods and headers
// when the origin is allowed, 403 without CORS headers when it is not. On
// other requests an allowed origin is echoed with the headers a client needs
// to read (Location after a create, ETag for versioning, Content-Location
// and X-Progress for bulk status polling...); a refused one gets no CORS
// headers and the browser withholds the answer from the page.
//
// Credentials (cookies) are never allowed: API calls carry bearer tokens,
// and a cookie-authenticated cross-origin call is what CSRF is made of.
func CORS(policy func(r *http.Request, origin string) bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			origin := r.Header.Get("Origin")
			h := w.Header()
			// Answers differ by Origin, so a cache must key on it even
			// when this request has none.
			h.Add("Vary", "Origin")
			if origin == "" {
				next.ServeHTTP(w, r)
				return
			}
			allowed := policy != nil && policy(r, origin)
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Add("Vary", "Access-Control-Request-Method")
				h.Add("Vary", "Access-Control-Request-Headers")
				if !allowed {
					http.Error(w, "origin not allowed", http.StatusForbidden)
					return
				}
				h.Set("Access-Control-Allow-Origin", origin)
				h.Set("Access-Control-Allow-Methods", corsMethods)
				h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
			if allowed {
				h.Set("Access-Control-Allow-Origin", origin)
				h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// The lists a preflight answer and an actual answer carry.
const (
	corsMethods       = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
	corsAllowHeaders  = "Authorization, Content-Type, Accept, Prefer, If-Match, If-None-Match, If-Modified-Since, If-None-Exist, " + RequestIDHeader
	corsExposeHeaders = "Location, ETag, Last-Modified, Content-Location, X-Progress, Retry-After, " + RequestIDHeader
)
