package auth

import (
	"crypto/subtle"
	"net/http"
	"net/url"
)

// codeGrant redeems an authorization code (RFC 6749 4.1.3, RFC 7636 4.6).
// The client is authenticated before the code is touched, so a stranger
// cannot burn it; then the code is consumed atomically, and a code seen
// twice revokes its grant, ending whatever the first exchange issued.
func (s *Server) codeGrant(r *http.Request, form url.Values) (tokenResponse, error) {
	ctx := r.Context()
	cr, err := readClientCreds(r, form)
	if err != nil {
		return tokenResponse{}, err
	}
	c, err := s.authenticateClient(ctx, cr, []string{s.p.url(s.p.token)})
	if err != nil {
		return tokenResponse{}, err
	}
	code := form.Get("code")
	if code == "" {
		return tokenResponse{}, badRequest(errInvalidRequest, "code is required")
	}
	now := s.now()
	cd, replay, err := s.store.ConsumeCode(ctx, HashSecret(code), now)
	if isNotFound(err) {
		return tokenResponse{}, badRequest(errInvalidGrant, "the code is not valid")
	}
	if err != nil {
		return tokenResponse{}, err
	}
	if replay {
		if err := s.store.RevokeGrant(ctx, cd.GrantID, now); err != nil && !isNotFound(err) {
			return tokenResponse{}, err
		}
		s.logger.WarnContext(ctx, "auth: authorization code replayed; grant revoked", "client_id", c.ID, "grant", cd.GrantID)
		return tokenResponse{}, badRequest(errInvalidGrant, "the code was already used; what it issued is revoked")
	}
	switch {
	case cd.ClientID != c.ID:
		return tokenResponse{}, badRequest(errInvalidGrant, "the code was issued to another client")
	case !now.Before(cd.ExpiresAt):
		return tokenResponse{}, badRequest(errInvalidGrant, "the code has expired")
	case form.Get("redirect_uri") != cd.RedirectURI:
		return tokenResponse{}, badRequest(errInvalidGrant, "redirect_uri does not match the authorization request")
	}
	if err := checkVerifier(cd.CodeChallenge, form.Get("code_verifier"), form.Has("code_verifier")); err != nil {
		return tokenResponse{}, err
	}
	g, err := s.store.Grant(ctx, cd.GrantID)
	if isNotFound(err) {
		return tokenResponse{}, badRequest(errInvalidGrant, "the authorization no longer exists")
	}
	if err != nil {
		return tokenResponse{}, err
	}
	if g.Revoked() {
		return tokenResponse{}, badRequest(errInvalidGrant, "the authorization was revoked")
	}
	return s.issueNewGrant(ctx, g, cd.Nonce)
}

// checkVerifier checks the PKCE code_verifier against the S256 challenge
// the authorization request carried. A verifier without a challenge is
// refused too: it means the challenge was stripped on the way (RFC 9700
// 2.1.1).
func checkVerifier(challenge, verifier string, sent bool) error {
	switch {
	case challenge == "" && sent:
		return badRequest(errInvalidGrant, "code_verifier sent, but the authorization request had no code_challenge")
	case challenge == "":
		return nil
	case verifier == "":
		return badRequest(errInvalidGrant, "code_verifier is required")
	case !validPKCEValue(verifier):
		return badRequest(errInvalidGrant, "code_verifier must be 43 to 128 unreserved characters")
	case subtle.ConstantTimeCompare([]byte(pkceS256(verifier)), []byte(challenge)) != 1:
		return badRequest(errInvalidGrant, "code_verifier does not match the code_challenge")
	}
	return nil
}
