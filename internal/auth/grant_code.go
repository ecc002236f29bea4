package auth

import (
	"crypto/subtle"
	"net/http"
	"net/url"
)

// codeGrant redeems an authorization code (RFC 6749 4.1.3, RFC 7636 4.6).
// Everything that proves the presenter may redeem the code is checked
// before the code is spent: the client is authenticated, the code is read
// (not consumed) and must be this client's, with the same redirect_uri and
// a matching PKCE verifier. Only then is it consumed, atomically (a
// conditional UPDATE: of concurrent exchanges exactly one wins), so another
// client holding a stolen code, or a presenter without the verifier, can
// neither use nor burn it. A code its rightful presenter brings twice
// revokes its grant, ending whatever the first exchange issued.
func (s *Server) codeGrant(r *http.Request, form url.Values) (tokenResponse, error) {
	ctx := r.Context()
	cr, err := readClientCreds(r, form)
	if err != nil {
		return tokenResponse{}, err
	}
	c, err := s.authenticateClient(ctx, r, cr, []string{s.p.url(s.p.token)})
	if err != nil {
		return tokenResponse{}, err
	}
	code := form.Get("code")
	if code == "" {
		return tokenResponse{}, badRequest(errInvalidRequest, "code is required")
	}
	hash := HashSecret(code)
	cd, err := s.store.Code(ctx, hash)
	if isNotFound(err) {
		return tokenResponse{}, badRequest(errInvalidGrant, "the code is not valid")
	}
	if err != nil {
		return tokenResponse{}, err
	}
	switch {
	case cd.ClientID != c.ID:
		s.logger.WarnContext(ctx, "auth: authorization code presented by another client", "client_id", c.ID, "grant", cd.GrantID)
		// The same answer as for an unknown code: the presenter learns
		// nothing about another client's codes.
		return tokenResponse{}, badRequest(errInvalidGrant, "the code is not valid")
	case form.Get("redirect_uri") != cd.RedirectURI:
		return tokenResponse{}, badRequest(errInvalidGrant, "redirect_uri does not match the authorization request")
	}
	if err := checkVerifier(cd.CodeChallenge, form.Get("code_verifier"), form.Has("code_verifier")); err != nil {
		return tokenResponse{}, err
	}
	now := s.now()
	cd, replay, err := s.store.ConsumeCode(ctx, hash, now)
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
	if !now.Before(cd.ExpiresAt) {
		return tokenResponse{}, badRequest(errInvalidGrant, "the code has expired")
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
