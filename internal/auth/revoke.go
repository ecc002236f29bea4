package auth

import (
	"net/http"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
)

// revoke is POST /connect/revoke (RFC 7009). A client revokes its own
// tokens: a refresh token ends its whole grant (the refresh tokens and the
// access tokens issued under it); an access token ends itself. Unknown
// tokens, and other clients' tokens, are answered 200 like the rest, so the
// answer tells nothing (RFC 7009 2.2).
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	form, err := readForm(r)
	if err != nil {
		s.writeOAuthError(w, r, err)
		return
	}
	cr, err := readClientCreds(r, form)
	if err != nil {
		s.writeOAuthError(w, r, err)
		return
	}
	ctx := r.Context()
	c, err := s.authenticateClient(ctx, r, cr, []string{s.p.url(s.p.revoke), s.p.url(s.p.token), s.issuer})
	if err != nil {
		s.writeOAuthError(w, r, err)
		return
	}
	token := form.Get("token")
	if token == "" {
		s.writeOAuthError(w, r, badRequest(errInvalidRequest, "token is required"))
		return
	}
	now := s.now()
	if strings.Contains(token, ".") {
		p, err := s.verifier.Verify(ctx, token)
		switch {
		case err != nil && errs.KindOf(err) != errs.Unauthorized:
			s.writeOAuthError(w, r, err)
			return
		case err == nil && p.ClientID == c.ID:
			if err := s.store.RevokeToken(ctx, p.ID, p.Expiry); err != nil {
				s.writeOAuthError(w, r, err)
				return
			}
		}
	} else {
		rt, err := s.store.RefreshToken(ctx, HashSecret(token))
		switch {
		case err != nil && !isNotFound(err):
			s.writeOAuthError(w, r, err)
			return
		case err == nil && rt.ClientID == c.ID && rt.ExpiresAt.After(now):
			if err := s.store.RevokeGrant(ctx, rt.GrantID, now); err != nil && !isNotFound(err) {
				s.writeOAuthError(w, r, err)
				return
			}
		}
	}
	w.WriteHeader(http.StatusOK)
}
