package auth

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
