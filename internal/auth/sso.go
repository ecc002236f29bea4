package auth

import (
	"context"
	"net/http"
	"time"

	"github.com/emedpractice/emp/internal/errs"
)

// The hand-off from the site's own pages: a patient signed in to the portal
// who launches an app should not have to sign in again on this server's
// page. The portal asks SignInBrowser to set a short-lived cookie naming a
// hand-off session kept in the store (purpose SessionSSO, child of the portal's
// own session); an authorization request from that browser then starts as
// that user (consent is still asked). The cookie is a random value, not a
// token: no face accepts it, and once the portal session ends (sign-out,
// timeout, password change) or this server's logout ends the hand-off, a
// copy of it is refused too.

// ssoCookie names the hand-off cookie.
const ssoCookie = "emp_sso"

// ssoTTL bounds how long after the portal sign-in hand-off the browser may
// start authorizations without the password.
const ssoTTL = 15 * time.Minute

// SignInBrowser hands the user signed in on the site's pages (account
// AccountPatient or AccountStaff, with their user id) to this server: the next
// authorization requests from the browser within a few minutes skip the
// sign-in page. parent is the hash (HashSecret) of the site's session the
// user is signed in with: ending it ends the hand-off, and an online_access
// grant made through the hand-off lives as long as it. A disabled or
// unknown user is refused.
func (s *Server) SignInBrowser(ctx context.Context, w http.ResponseWriter, account, userID, parent string) error {
	id, err := s.activeIdentity(ctx, account, userID)
	if err != nil {
		return err
	}
	v, err := s.rand.secret()
	if err != nil {
		return err
	}
	now := s.now()
	if err := s.store.CreateSession(ctx, Session{Hash: HashSecret(v), Purpose: SessionSSO, Account: id.Account, UserID: id.ID,
		Parent: parent, CreatedAt: now, SeenAt: now, IdleExpiresAt: now.Add(ssoTTL), ExpiresAt: now.Add(ssoTTL)}); err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Value: v, Path: s.cookiePath(), MaxAge: int(ssoTTL / time.Second),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	return nil
}

// SignOutBrowser clears the hand-off cookie on the browser. The portal
// calls it at sign-out; the cookie's path is this server's, so the portal
// could not clear it with its own. The hand-off itself already ended with
// the portal session it is a child of.
func (s *Server) SignOutBrowser(w http.ResponseWriter) { s.clearSSO(w) }

// ssoIdentity is the user the browser's hand-off cookie names, if its
// session (and the portal session it came from) lives and the user may
// still sign in; with the hash of the session an online_access grant made
// now would live on.
func (s *Server) ssoIdentity(r *http.Request) (identity, string, bool) {
	c, err := r.Cookie(ssoCookie)
	if err != nil || c.Value == "" {
		return identity{}, "", false
	}
	sess, ok, err := s.liveSession(r.Context(), HashSecret(c.Value))
	if err != nil {
		s.logger.ErrorContext(r.Context(), "auth: hand-off session", "err", err)
	}
	if !ok || sess.Purpose != SessionSSO {
		return identity{}, "", false
	}
	id, err := s.activeIdentity(r.Context(), sess.Account, sess.UserID)
	if err != nil {
		return identity{}, "", false
	}
	if sess.Parent != "" {
		return id, sess.Parent, true
	}
	return id, sess.Hash, true
}

// activeIdentity loads a user who may sign in: known and not disabled.
func (s *Server) activeIdentity(ctx context.Context, account, userID string) (identity, error) {
	switch account {
	case AccountPatient:
		u, err := s.store.PatientUserByID(ctx, userID)
		if err != nil {
			return identity{}, err
		}
		if u.Disabled {
			return identity{}, errs.E(errs.Forbidden, "user %s is disabled", userID)
		}
		return patientIdentity(u), nil
	case AccountStaff:
		u, err := s.store.UserByID(ctx, userID)
		if err != nil {
			return identity{}, err
		}
		if u.Disabled {
			return identity{}, errs.E(errs.Forbidden, "user %s is disabled", userID)
		}
		return staffIdentity(u), nil
	}
	return identity{}, errs.Field("kind", "must be %s or %s", AccountPatient, AccountStaff)
}

func (s *Server) clearSSO(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: ssoCookie, Value: "", Path: s.cookiePath(), MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}
