package auth

import (
	"net/http"
	"net/url"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/scope"
)

// refreshGrant exchanges a refresh token (RFC 6749 6). Each use rotates the
// token; a token used twice revokes its grant, the whole family. A public
// client may refresh without naming itself: the token names its client.
// The scopes may narrow (SMART#104) and never widen.
func (s *Server) refreshGrant(r *http.Request, form url.Values) (tokenResponse, error) {
	ctx := r.Context()
	value := form.Get("refresh_token")
	if value == "" {
		return tokenResponse{}, badRequest(errInvalidRequest, "refresh_token is required")
	}
	cr, err := readClientCreds(r, form)
	if err != nil {
		return tokenResponse{}, err
	}
	hash := HashSecret(value)
	old, err := s.store.RefreshToken(ctx, hash)
	if isNotFound(err) {
		return tokenResponse{}, badRequest(errInvalidGrant, "the refresh token is not valid")
	}
	if err != nil {
		return tokenResponse{}, err
	}
	var c Client
	if cr.method == "" {
		if c, err = s.lookupClient(ctx, old.ClientID); err != nil {
			return tokenResponse{}, err
		}
		if !c.Public() {
			return tokenResponse{}, badClient("client authentication is required")
		}
		if err := clientUsable(c); err != nil {
			return tokenResponse{}, err
		}
	} else if c, err = s.authenticateClient(ctx, r, cr, []string{s.p.url(s.p.token)}); err != nil {
		return tokenResponse{}, err
	}
	now := s.now()
	switch {
	case c.ID != old.ClientID:
		return tokenResponse{}, badRequest(errInvalidGrant, "the refresh token was issued to another client")
	case !old.RotatedAt.IsZero():
		return tokenResponse{}, s.refreshReused(r, old)
	case !now.Before(old.ExpiresAt):
		return tokenResponse{}, badRequest(errInvalidGrant, "the refresh token has expired")
	}
	g, err := s.store.Grant(ctx, old.GrantID)
	if isNotFound(err) {
		return tokenResponse{}, badRequest(errInvalidGrant, "the authorization no longer exists")
	}
	if err != nil {
		return tokenResponse{}, err
	}
	if g.Revoked() {
		return tokenResponse{}, badRequest(errInvalidGrant, "the authorization was revoked")
	}
	if g.Session != "" {
		// online_access: only while the user's sign-in session lives.
		sess, live, err := s.liveSession(ctx, g.Session)
		if err != nil {
			return tokenResponse{}, err
		}
		if !live {
			return tokenResponse{}, badRequest(errInvalidGrant, "the sign-in session this online access lived on has ended")
		}
		if err := s.touchLogin(ctx, sess); err != nil {
			return tokenResponse{}, err
		}
	}
	granted, err := scope.ParseList(g.Scope)
	if err != nil {
		return tokenResponse{}, err
	}
	scopes := granted
	if form.Has("scope") {
		asked, bad := scope.ParseListLenient(form.Get("scope"))
		if len(bad) > 0 || asked.Len() == 0 || !asked.Within(granted) {
			return tokenResponse{}, badRequest(errInvalidScope, "a refresh may only ask for scopes of the original grant: %s", g.Scope)
		}
		scopes = asked
	}
	next, rt, err := s.newRefreshToken(g)
	if err != nil {
		return tokenResponse{}, err
	}
	if err := s.store.RotateRefreshToken(ctx, hash, rt, now); err != nil {
		if errs.KindOf(err) == errs.Conflict {
			return tokenResponse{}, s.refreshReused(r, old)
		}
		return tokenResponse{}, err
	}
	return s.issue(ctx, g, scopes, "", next)
}

// refreshReused answers a refresh token used a second time: someone holds a
// copy, so the whole grant is revoked (RFC 9700 4.14.2).
func (s *Server) refreshReused(r *http.Request, old RefreshToken) error {
	if err := s.store.RevokeGrant(r.Context(), old.GrantID, s.now()); err != nil && !isNotFound(err) {
		return err
	}
	s.logger.WarnContext(r.Context(), "auth: refresh token reused; grant revoked", "client_id", old.ClientID, "grant", old.GrantID)
	return badRequest(errInvalidGrant, "the refresh token was already used; the authorization is revoked")
}
