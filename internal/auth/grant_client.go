package auth

import (
	"net/http"
	"net/url"
	"time"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/scope"
)

// clientCredentialsGrant issues a backend service its token (SMART Backend
// Services): private_key_jwt only, system/ scopes within what the client
// registered, no refresh token. The tokens are short and bound to no grant:
// disabling the client stops new ones, and the old ones end within the
// lifetime (a minute by default).
func (s *Server) clientCredentialsGrant(r *http.Request, form url.Values) (tokenResponse, error) {
	ctx := r.Context()
	cr, err := readClientCreds(r, form)
	if err != nil {
		return tokenResponse{}, err
	}
	if cr.method != AuthPrivateKeyJWT {
		return tokenResponse{}, badClient("the client_credentials grant needs a private_key_jwt client assertion")
	}
	c, err := s.authenticateClient(ctx, r, cr, []string{s.p.url(s.p.token)})
	if err != nil {
		return tokenResponse{}, err
	}
	if !c.HasGrantType(GrantClientCredentials) {
		return tokenResponse{}, badRequest(errUnauthorizedClient, "the client is not registered for client_credentials")
	}
	if form.Get("scope") == "" {
		return tokenResponse{}, badRequest(errInvalidRequest, "scope is required")
	}
	asked, _ := scope.ParseListLenient(form.Get("scope"))
	registered, _ := scope.ParseListLenient(c.Scope)
	granted := keepScopes(asked.Intersect(registered), func(sc scope.Scope) bool { return sc.Context == scope.System })
	if granted.Len() == 0 {
		return tokenResponse{}, badRequest(errInvalidScope, "none of the requested scopes is a system/ scope registered for the client")
	}
	now := s.now()
	at, err := s.keys.SignAccessToken(ctx, authz.Claims{
		Issuer: s.issuer, Subject: c.ID, Audience: s.fhirBase, IssuedAt: now, Expiry: now.Add(s.clientCredsTTL),
		ClientID: c.ID, Scope: granted.String(), Role: authz.RoleSystem,
	})
	if err != nil {
		return tokenResponse{}, err
	}
	return tokenResponse{AccessToken: at, TokenType: "Bearer", ExpiresIn: int64(s.clientCredsTTL / time.Second), Scope: granted.String()}, nil
}
