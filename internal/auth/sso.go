package auth

import (
	"context"
	"net/http"
	"time"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/errs"
)

// The hand-off from the site's own pages: a patient signed in to the portal
// who launches an app should not have to sign in again on this server's
// page. The portal asks SignInBrowser to set a short-lived cookie, signed
// with the server's key, naming the user; an authorization request from that
// browser then starts as that user (consent is still asked). The cookie
// is not an access token: its audience is this server's sign-in, not the
// FHIR base, so no face accepts it.

// ssoCookie names the hand-off cookie.
const ssoCookie = "emp_sso"

// ssoTTL bounds how long after the portal sign-in hand-off the browser may
// start authorizations without the password.
const ssoTTL = 15 * time.Minute

func (s *Server) ssoAudience() string { return s.issuer + "/connect/sso" }

// SignInBrowser hands the user signed in on the site's pages (kind
// KindPatient or KindStaff, with their user id) to this server: the next
// authorization requests from the browser within a few minutes skip the
// sign-in page. A disabled or unknown user is refused.
func (s *Server) SignInBrowser(ctx context.Context, w http.ResponseWriter, kind, userID string) error {
	id, err := s.activeIdentity(ctx, kind, userID)
	if err != nil {
		return err
	}
	jti, err := s.rand.id()
	if err != nil {
		return err
	}
	now := s.now()
	tok, err := s.keys.SignAccessToken(ctx, authz.Claims{
		Issuer: s.issuer, Audience: s.ssoAudience(), Subject: id.ID, Role: id.Role, ID: jti,
		IssuedAt: now, Expiry: now.Add(ssoTTL),
	})
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Value: tok, Path: s.cookiePath(), MaxAge: int(ssoTTL / time.Second),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	return nil
}

// ssoIdentity is the user the browser's hand-off cookie names, if it is
// valid and the user may still sign in.
func (s *Server) ssoIdentity(r *http.Request) (identity, bool) {
	c, err := r.Cookie(ssoCookie)
	if err != nil || c.Value == "" {
		return identity{}, false
	}
	p, err := s.ssoVerifier.Verify(r.Context(), c.Value)
	if err != nil {
		return identity{}, false
	}
	kind := KindStaff
	if p.Role == authz.RolePatient {
		kind = KindPatient
	}
	id, err := s.activeIdentity(r.Context(), kind, p.Subject)
	if err != nil {
		return identity{}, false
	}
	return id, true
}

// activeIdentity loads a user who may sign in: known and not disabled.
func (s *Server) activeIdentity(ctx context.Context, kind, userID string) (identity, error) {
	switch kind {
	case KindPatient:
		u, err := s.store.PatientUserByID(ctx, userID)
		if err != nil {
			return identity{}, err
		}
		if u.Disabled {
			return identity{}, errs.E(errs.Forbidden, "user %s is disabled", userID)
		}
		return patientIdentity(u), nil
	case KindStaff:
		u, err := s.store.UserByID(ctx, userID)
		if err != nil {
			return identity{}, err
		}
		if u.Disabled {
			return identity{}, errs.E(errs.Forbidden, "user %s is disabled", userID)
		}
		return staffIdentity(u), nil
	}
	return identity{}, errs.Field("kind", "must be %s or %s", KindPatient, KindStaff)
}

func (s *Server) clearSSO(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Value: "", Path: s.cookiePath(), MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}
