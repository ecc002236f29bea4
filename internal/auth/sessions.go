package auth

import (
	"context"
	"net/http"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/httpx"
	"github.com/emedpractice/emp/internal/store"
)

// This server's sign-in session: a password sign-in on the login page
// starts a session kept in the store (purpose SessionLogin), named by the
// emp_auth cookie's random value. It ends at /authorize/logout, at a
// password change, after sessionIdle unused or sessionMax after sign-in.
// An online_access grant lives on it (or, through the portal's hand-off,
// on the portal's session): its refresh tokens stop when it ends.

// startLoginSession ends the browser's previous session, sets a fresh
// cookie (no fixation) and stores the session of the user who just signed
// in. It returns the new cookie's value.
func (s *Server) startLoginSession(w http.ResponseWriter, r *http.Request, id identity) (string, error) {
	ctx := r.Context()
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if err := s.store.EndSession(ctx, HashSecret(c.Value)); err != nil {
			return "", err
		}
	}
	v, err := s.newSession(w)
	if err != nil {
		return "", err
	}
	now := s.now()
	end := now.Add(s.sessionMax)
	err = s.store.CreateSession(ctx, Session{Hash: HashSecret(v), Purpose: SessionLogin, Account: id.Account, UserID: id.ID,
		CreatedAt: now, SeenAt: now, IdleExpiresAt: earliest(now.Add(s.sessionIdle), end), ExpiresAt: end})
	return v, err
}

// liveSession loads a session and reports whether it, and the session it
// was started from, if any, are still live.
func (s *Server) liveSession(ctx context.Context, hash string) (Session, bool, error) {
	now := s.now()
	sess, err := s.store.Session(ctx, hash)
	if isNotFound(err) {
		return Session{}, false, nil
	}
	if err != nil {
		return Session{}, false, err
	}
	if !sess.Live(now) {
		return sess, false, nil
	}
	if sess.Parent != "" {
		p, err := s.store.Session(ctx, sess.Parent)
		if isNotFound(err) {
			return sess, false, nil
		}
		if err != nil {
			return sess, false, err
		}
		if !p.Live(now) {
			return sess, false, nil
		}
	}
	return sess, true, nil
}

// touchLogin renews the idle expiry of this server's sign-in session in
// use, at most once a minute. The site's page sessions keep their own
// timeouts: they are renewed by their pages only.
func (s *Server) touchLogin(ctx context.Context, sess Session) error {
	now := s.now()
	if sess.Purpose != SessionLogin || now.Sub(sess.SeenAt) < time.Minute {
		return nil
	}
	err := s.store.TouchSession(ctx, sess.Hash, now, earliest(now.Add(s.sessionIdle), sess.ExpiresAt))
	if isNotFound(err) {
		return nil // ended meanwhile; the next request sees it
	}
	return err
}

// endBrowserSessions ends the sessions the request's cookies name: this
// server's sign-in and the portal hand-off together with the portal
// session it came from (signing out here signs the browser out of the
// portal too).
func (s *Server) endBrowserSessions(r *http.Request) error {
	ctx := r.Context()
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if err := s.store.EndSession(ctx, HashSecret(c.Value)); err != nil {
			return err
		}
	}
	if c, err := r.Cookie(ssoCookie); err == nil && c.Value != "" {
		h := HashSecret(c.Value)
		sess, err := s.store.Session(ctx, h)
		switch {
		case err == nil && sess.Parent != "":
			if err := s.store.EndSession(ctx, sess.Parent); err != nil {
				return err
			}
		case err != nil && !isNotFound(err):
			return err
		}
		if err := s.store.EndSession(ctx, h); err != nil {
			return err
		}
	}
	return nil
}

// SetPassword replaces a user's password (account AccountStaff or AccountPatient)
// and ends every session the user has: the site's pages, this server's
// sign-in and the hand-offs, so whoever knew the old password is out, and
// the user's online_access grants stop refreshing.
func (s *Server) SetPassword(ctx context.Context, account, userID, password string) error {
	if len(password) < minPasswordLength {
		return errs.Field("password", "a password needs at least %d characters", minPasswordLength)
	}
	if _, err := s.activeIdentity(ctx, account, userID); err != nil && errs.KindOf(err) != errs.Forbidden {
		return err
	}
	hash, err := s.passwords.Hash(password)
	if err != nil {
		return err
	}
	if err := s.store.SetPasswordHash(ctx, account, userID, hash); err != nil {
		return err
	}
	return s.store.EndUserSessions(ctx, account, userID)
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// audit records a sign-in event of this server's pages in the audit log,
// when the server was given one.
func (s *Server) audit(r *http.Request, action, actor, role, detail string, status int) {
	if s.auditor == nil {
		return
	}
	s.auditor.RecordAccess(r.Context(), store.AuditEvent{
		At: s.now(),
		RequestInfo: store.RequestInfo{RequestID: httpx.RequestIDFrom(r.Context()), Actor: actor, Role: role,
			Method: r.Method, Path: r.URL.Path},
		Action: action, Detail: detail, Status: status,
	})
}

// Auditor records audit events; *store.Store is one.
type Auditor interface {
	RecordAccess(ctx context.Context, ev store.AuditEvent)
}
