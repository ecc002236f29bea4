package auth

import (
	"net/http"
	"slices"

	"github.com/emedpractice/emp/internal/httpx"
)

// maxFormBody caps the form and JSON bodies the endpoints read: the largest
// honest one, a registration with an inline JWKS, is a few kilobytes.
const maxFormBody = 64 << 10

// routes maps the endpoints. Cross-origin calls are allowed as SMART asks
// (SMART#16-17): discovery, the JWKS, the style and registration from any
// origin; the token, introspection, revocation and userinfo endpoints from
// the origins of approved clients' redirect URIs; the pages and authorize
// from none (they are navigations, not calls).
func (s *Server) routes() {
	m := http.NewServeMux()
	p := s.p
	for _, c := range p.smartConfig {
		m.HandleFunc("GET "+c, s.smartConfiguration)
	}
	m.HandleFunc("GET "+p.oidcConfig, s.openIDConfiguration)
	m.HandleFunc("GET "+p.jwks, s.jwks)
	m.HandleFunc("GET "+p.style, s.smartStyle)
	m.HandleFunc("GET "+p.authorize, s.plainText(s.authorize))
	m.HandleFunc("POST "+p.authorize, s.plainText(s.authorize))
	m.HandleFunc("POST "+p.token, s.token)
	m.HandleFunc("POST "+p.register, s.registerClient)
	m.HandleFunc("POST "+p.introspect, s.introspect)
	m.HandleFunc("POST "+p.revoke, s.revoke)
	m.HandleFunc("GET "+p.userinfo, s.userinfo)
	m.HandleFunc("POST "+p.userinfo, s.userinfo)
	m.HandleFunc("GET "+p.logout, s.plainText(s.logout))
	for _, page := range []struct {
		path      string
		get, post http.HandlerFunc
	}{
		{p.login, s.loginPage, s.loginSubmit},
		{p.patient, s.patientPage, s.patientSubmit},
		{p.consent, s.consentPage, s.consentSubmit},
	} {
		m.HandleFunc("GET "+page.path, s.plainText(page.get))
		// The pages' forms are the only cookie-authenticated POSTs: refuse
		// cross-origin ones before the handler (the per-flow CSRF token in
		// the form is the second line).
		m.Handle("POST "+page.path, s.csrf.Handler(s.plainText(page.post)))
	}

	anyOrigin := append([]string{p.oidcConfig, p.jwks, p.style, p.register}, p.smartConfig...)
	clientOrigins := []string{p.token, p.introspect, p.revoke, p.userinfo}
	policy := func(r *http.Request, origin string) bool {
		switch {
		case slices.Contains(anyOrigin, r.URL.Path):
			return true
		case slices.Contains(clientOrigins, r.URL.Path):
			ok, err := s.store.OriginRegistered(r.Context(), origin)
			if err != nil {
				s.logger.ErrorContext(r.Context(), "auth: CORS origin lookup", "err", err)
			}
			return ok
		}
		return false
	}
	s.handler = httpx.CORS(policy)(httpx.LimitBody(maxFormBody, nil)(m))
}
