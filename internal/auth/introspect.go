package auth

import (
	"context"
	"net/http"
	"strings"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/errs"
)

// introspect is POST /connect/introspect (RFC 7662). The caller must
// authenticate, as a client (any method, public clients by client_id) or
// with one of its access tokens as a bearer (SMART#282), and learns only
// about its own tokens: any other token, and every unknown, expired or
// revoked one, is {"active": false} and nothing more.
func (s *Server) introspect(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	form, err := readForm(r)
	if err != nil {
		s.writeOAuthError(w, r, err)
		return
	}
	caller, err := s.caller(r, form, s.p.introspect)
	if err != nil {
		s.writeOAuthError(w, r, err)
		return
	}
	token := form.Get("token")
	if token == "" {
		s.writeOAuthError(w, r, badRequest(errInvalidRequest, "token is required"))
		return
	}
	info, err := s.inspect(r.Context(), token)
	if err != nil {
		s.writeOAuthError(w, r, err)
		return
	}
	if info == nil || info["client_id"] != caller {
		writeJSON(w, http.StatusOK, map[string]bool{"active": false})
		return
	}
	writeJSON(w, http.StatusOK, info)
}

// caller authenticates the client calling introspection or revocation: by
// a bearer access token of its own, or by client authentication with
// assertions addressed to the endpoint, the token endpoint or the issuer.
func (s *Server) caller(r *http.Request, form map[string][]string, endpoint string) (string, error) {
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		p, err := s.verifier.Authenticate(r)
		if err != nil {
			if errs.KindOf(err) == errs.Unauthorized {
				return "", badClient("the bearer token is not valid")
			}
			return "", err
		}
		return p.ClientID, nil
	}
	cr, err := readClientCreds(r, form)
	if err != nil {
		return "", err
	}
	c, err := s.authenticateClient(r.Context(), r, cr, []string{s.p.url(endpoint), s.p.url(s.p.token), s.issuer})
	if err != nil {
		return "", err
	}
	return c.ID, nil
}

// inspect describes an active token; nil when the token is not one (unknown,
// expired, revoked, malformed). Access tokens are JWTs; refresh tokens are
// opaque.
func (s *Server) inspect(ctx context.Context, token string) (map[string]any, error) {
	if strings.Contains(token, ".") {
		p, err := s.verifier.Verify(ctx, token)
		if err != nil {
			if errs.KindOf(err) == errs.Unauthorized {
				return nil, nil
			}
			return nil, err
		}
		return s.accessInfo(ctx, p)
	}
	rt, err := s.store.RefreshToken(ctx, HashSecret(token))
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if !rt.RotatedAt.IsZero() || !now.Before(rt.ExpiresAt) {
		return nil, nil
	}
	g, err := s.store.Grant(ctx, rt.GrantID)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if g.Revoked() {
		return nil, nil
	}
	info := map[string]any{
		"active": true, "token_type": "refresh_token", "client_id": rt.ClientID, "scope": g.Scope,
		"sub": g.Subject, "iss": s.issuer, "exp": rt.ExpiresAt.Unix(), "iat": rt.CreatedAt.Unix(),
	}
	s.addContext(info, g.Patient, g.Encounter, g.FHIRUser)
	if len(g.FHIRContext) > 0 {
		info["fhirContext"] = g.FHIRContext
	}
	return info, nil
}

// accessInfo describes an access token from its verified claims, with the
// fhirContext of its grant (the one launch parameter the token lacks).
func (s *Server) accessInfo(ctx context.Context, p *authz.Principal) (map[string]any, error) {
	info := map[string]any{
		"active": true, "token_type": "Bearer", "client_id": p.ClientID, "scope": p.Scope,
		"sub": p.Subject, "iss": p.Issuer, "aud": p.Audience, "exp": p.Expiry.Unix(), "iat": p.IssuedAt.Unix(),
		"jti": p.ID,
	}
	s.addContext(info, p.Patient, p.Encounter, p.FHIRUser)
	if p.Grant != "" {
		g, err := s.store.Grant(ctx, p.Grant)
		if err != nil && !isNotFound(err) {
			return nil, err
		}
		if len(g.FHIRContext) > 0 {
			info["fhirContext"] = g.FHIRContext
		}
	}
	return info, nil
}

func (s *Server) addContext(info map[string]any, patient, encounter, fhirUser string) {
	if patient != "" {
		info["patient"] = patient
	}
	if encounter != "" {
		info["encounter"] = encounter
	}
	if fhirUser != "" {
		info["fhirUser"] = s.fhirBase + "/" + fhirUser
	}
}
