package server

import (
	"net/http"
	"strings"

	"github.com/emedpractice/emp/internal/api"
	"github.com/emedpractice/emp/internal/fhirapi"
	"github.com/emedpractice/emp/internal/httpx"
	"github.com/emedpractice/emp/internal/portalapi"
)

// cors lets browser apps on other origins call the data faces, as SMART
// asks (SMART#16-17): the CapabilityStatement and the server's public key
// set are public documents any origin may read; the FHIR face (bulk export
// included), the JSON API and the portal API answer only origins of
// approved clients' redirect URIs, since a page on any other origin has no
// business holding one of our tokens. The authorization server's own paths
// (discovery, token, introspection...) pass through: it applies its own
// policy. Everything else (the pages) gets no CORS headers at all.
//
// Requests are never replaced, so the mux's r.Pattern still reaches the
// metrics and the access log.
func (a *App) cors(next http.Handler) http.Handler {
	authPaths := map[string]bool{}
	for _, p := range a.Auth.Patterns() {
		authPaths[p] = true
	}
	public := httpx.CORS(func(*http.Request, string) bool { return true })(next)
	clients := httpx.CORS(func(r *http.Request, origin string) bool {
		ok, err := a.Store.OriginRegistered(r.Context(), origin)
		if err != nil {
			a.cfg.Logger.ErrorContext(r.Context(), "CORS origin lookup", "err", err)
		}
		return ok
	})(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case authPaths[p]:
			next.ServeHTTP(w, r)
		case p == "/metadata" || p == fhirapi.Prefix+"/metadata" || p == "/.well-known/jwks.json":
			public.ServeHTTP(w, r)
		case isDataFace(p):
			clients.ServeHTTP(w, r)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// isDataFace reports whether the path belongs to a face that answers
// bearer-token calls: FHIR, the JSON API, or the portal API (the portal's
// pages are other /portal/ paths).
func isDataFace(p string) bool {
	for _, prefix := range []string{fhirapi.Prefix, api.Prefix, api.AltPrefix, portalapi.Prefix + "/patient", portalapi.AltPrefix + "/patient"} {
		if p == prefix || strings.HasPrefix(p, prefix+"/") {
			return true
		}
	}
	return false
}
