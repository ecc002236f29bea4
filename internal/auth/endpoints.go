package auth

import (
	"net/url"
	"slices"
)

// endpoints are the server's paths, under the issuer's path, and their
// absolute URLs.
type endpoints struct {
	origin string // scheme://host of the issuer

	authorize, token, register, introspect, revoke, userinfo, jwks, style, logout string
	login, patient, consent                                                       string
	oidcConfig                                                                    string
	smartConfig                                                                   []string // the site root's, the issuer's and the FHIR base's
}

func newEndpoints(iss, fhir *url.URL) endpoints {
	base := iss.Path
	e := endpoints{
		origin:     iss.Scheme + "://" + iss.Host,
		authorize:  base + "/connect/authorize",
		token:      base + "/connect/token",
		register:   base + "/connect/register",
		introspect: base + "/connect/introspect",
		revoke:     base + "/connect/revoke",
		userinfo:   base + "/connect/userinfo",
		jwks:       base + "/connect/jwks",
		style:      base + "/connect/smart-style",
		login:      base + "/connect/login",
		patient:    base + "/connect/patient",
		consent:    base + "/connect/consent",
		logout:     base + "/authorize/logout",
		oidcConfig: base + "/.well-known/openid-configuration",
	}
	for _, p := range []string{"", base, fhir.Path} {
		c := p + "/.well-known/smart-configuration"
		if !slices.Contains(e.smartConfig, c) {
			e.smartConfig = append(e.smartConfig, c)
		}
	}
	return e
}

// url is the absolute URL of a path.
func (e endpoints) url(path string) string { return e.origin + path }

func (e endpoints) all() []string {
	out := []string{e.authorize, e.token, e.register, e.introspect, e.revoke, e.userinfo, e.jwks, e.style,
		e.login, e.patient, e.consent, e.logout, e.oidcConfig}
	return append(out, e.smartConfig...)
}

// URLs are the absolute URLs of the server's public endpoints, for the
// documents of other faces that point at them (the FHIR CapabilityStatement,
// the OpenAPI security scheme).
type URLs struct {
	Authorize, Token, Register, Introspect, Revoke, UserInfo, JWKS, Logout string
}

// URLs returns the server's endpoint URLs.
func (s *Server) URLs() URLs {
	return URLs{
		Authorize: s.p.url(s.p.authorize), Token: s.p.url(s.p.token), Register: s.p.url(s.p.register),
		Introspect: s.p.url(s.p.introspect), Revoke: s.p.url(s.p.revoke), UserInfo: s.p.url(s.p.userinfo),
		JWKS: s.p.url(s.p.jwks), Logout: s.p.url(s.p.logout),
	}
}
