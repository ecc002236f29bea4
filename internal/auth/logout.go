package auth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/emedpractice/emp/internal/auth/pages"
	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// logout is GET /authorize/logout (OpenID Connect RP-initiated logout). The
// id_token_hint names the grant (its sid), which is revoked with every token
// under it, and the browser's sessions end on the server (this server's
// sign-in, the portal hand-off and the portal session it came from), so a
// copy of their cookies is refused too, and online_access grants on them
// stop refreshing. The browser goes on to
// post_logout_redirect_uri only if the client registered that exact URI;
// otherwise it sees a signed-out page (no open redirect).
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	hint, err := s.verifyIDTokenHint(r.Context(), q.Get("id_token_hint"))
	if err != nil {
		s.logger.InfoContext(r.Context(), "auth: logout refused", "err", err)
		s.errorPage(w, http.StatusBadRequest, "Cannot sign out", "The sign-out request did not say which sign-in to end.")
		return
	}
	ctx := r.Context()
	if hint.SID != "" {
		g, err := s.store.Grant(ctx, hint.SID)
		switch {
		case err != nil && !isNotFound(err):
			s.internalPage(w, r, err)
			return
		case err == nil && g.ClientID == hint.Audience && g.Subject == hint.Subject:
			if err := s.store.RevokeGrant(ctx, g.ID, s.now()); err != nil {
				s.internalPage(w, r, err)
				return
			}
		}
	}
	if err := s.endBrowserSessions(r); err != nil {
		s.internalPage(w, r, err)
		return
	}
	s.clearSession(w)
	s.clearSSO(w)
	s.audit(r, "sign-out", hint.Subject, "", "client="+hint.Audience, http.StatusOK)
	if post := q.Get("post_logout_redirect_uri"); post != "" {
		c, err := s.store.Client(ctx, hint.Audience)
		if err == nil && slices.Contains(c.PostLogoutRedirectURIs, post) {
			http.Redirect(w, r, withParams(post, url.Values{"state": {q.Get("state")}}), http.StatusSeeOther)
			return
		}
	}
	s.pages.Render(w, http.StatusOK, pages.Message, pages.MessageView{
		Frame: pages.Frame{Title: "Signed out"}, Message: "You have been signed out, and the application's access has ended.",
	})
}

type idTokenHint struct {
	Issuer   string `json:"iss"`
	Subject  string `json:"sub"`
	Audience string
	SID      string `json:"sid"`
}

// verifyIDTokenHint checks that the hint is an id_token this server signed.
// Its expiry is not checked: a hint is often an old id_token, and it only
// names what to end.
func (s *Server) verifyIDTokenHint(ctx context.Context, hint string) (idTokenHint, error) {
	var h idTokenHint
	if hint == "" || len(hint) > maxAssertionSize {
		return h, errors.New("no usable id_token_hint")
	}
	jws, err := jose.ParseSignedCompact(hint, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return h, err
	}
	raw, err := s.keys.JWKS(ctx)
	if err != nil {
		return h, err
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(raw, &set); err != nil {
		return h, err
	}
	keys := set.Key(jws.Signatures[0].Protected.KeyID)
	if len(keys) != 1 {
		return h, errors.New("id_token_hint names no key of this server")
	}
	payload, err := jws.Verify(keys[0].Key)
	if err != nil {
		return h, err
	}
	var aud struct {
		Aud jwt.Audience `json:"aud"`
	}
	if err := json.Unmarshal(payload, &h); err != nil {
		return h, err
	}
	if err := json.Unmarshal(payload, &aud); err != nil || len(aud.Aud) != 1 {
		return h, errors.New("id_token_hint has no single aud")
	}
	h.Audience = aud.Aud[0]
	if h.Issuer != s.issuer || h.Subject == "" {
		return h, errors.New("id_token_hint is not from this issuer")
	}
	return h, nil
}
