package auth

import (
	"net/http"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/scope"
)

// userinfo is GET or POST /connect/userinfo (OpenID Connect Core 5.3): the
// signed-in user's claims, for an access token granted openid.
func (s *Server) userinfo(w http.ResponseWriter, r *http.Request) {
	noStore(w)
	p, err := s.verifier.Authenticate(r)
	if err != nil {
		if errs.KindOf(err) != errs.Unauthorized {
			s.writeOAuthError(w, r, err)
			return
		}
		bearerError(w, http.StatusUnauthorized, errInvalidToken, "a valid access token is required")
		return
	}
	if !p.Scopes.Has(scope.OpenID) || p.Role == authz.RoleSystem {
		bearerError(w, http.StatusForbidden, "insufficient_scope", "the access token was not granted openid")
		return
	}
	id, err := s.identityOf(r.Context(), p.Subject, p.Role)
	if isNotFound(err) {
		bearerError(w, http.StatusUnauthorized, errInvalidToken, "the user no longer exists")
		return
	}
	if err != nil {
		s.writeOAuthError(w, r, err)
		return
	}
	claims := map[string]any{"sub": id.ID}
	if p.Scopes.Has(scope.FHIRUser) && id.FHIRUser != "" {
		claims["fhirUser"] = s.fhirBase + "/" + id.FHIRUser
	}
	if p.Scopes.Has(scope.Profile) {
		claims["preferred_username"] = id.Username
		if id.Name != "" {
			claims["name"] = id.Name
		}
	}
	writeJSON(w, http.StatusOK, claims)
}

// bearerError answers a protected-resource error (RFC 6750 3).
func bearerError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("WWW-Authenticate", `Bearer error="`+code+`", error_description="`+desc+`"`)
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}
