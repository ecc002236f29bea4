package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/errs"
)

// session is who signed in to the pages. It is a row of the sessions
// table; the cookie carries only a random id, of which the row keeps the
// hash (auth.HashSecret), so a copy of the table gives no usable cookie.
// Signing out deletes the row, so the cookie is refused at once on every
// node; a password change deletes every row of the user. What the session
// names (the user) is loaded again on every request, so a disabled user is
// out at once.
type session struct {
	Area   string // areaAdmin or areaPatient: the signed-in part of the site
	UserID string
	// Hash is the row's key: the hash of the cookie's id. The CSRF token
	// of the session's forms is a MAC of it.
	Hash string
	// Seen and Expires bound the session: the idle timeout after Seen
	// (renewed on use), the absolute Expires after sign-in.
	Seen, Expires time.Time
}

const (
	areaAdmin   = "admin"
	areaPatient = "patient"
)

// accountOf is the authorization server's account a page session's
// area signs in, so that its password change ends the session.
func accountOf(area string) string {
	if area == areaAdmin {
		return auth.AccountStaff
	}
	return auth.AccountPatient
}

// Cookie names. The admin and portal sessions are separate cookies with
// their own paths, so signing in to one never touches the other.
const (
	adminCookie  = "emp_admin"
	portalCookie = "emp_portal"
	csrfCookie   = "emp_csrf"
)

// settingSessionKey holds the base64url key of the pages' CSRF tokens (a MAC
// of the session, or before a sign-in of the browser's CSRF cookie), made on
// first use and shared by every node through the settings.
const settingSessionKey = "web_session_key"

// signingKey returns the key every node uses. A node that finds none offers
// a new one with InitSetting, which keeps the first stored and returns it:
// of nodes starting together, all use the winner's key, never the one they
// made themselves, so a form served by one node is accepted by every other.
// Only a value read from the database is cached.
func (s *Site) signingKey(ctx context.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key != nil {
		return s.key, nil
	}
	v, err := s.st.Setting(ctx, settingSessionKey)
	if errs.KindOf(err) == errs.NotFound {
		raw := make([]byte, 32)
		if _, err := io.ReadFull(s.rand, raw); err != nil {
			return nil, err
		}
		v, err = s.st.InitSetting(ctx, settingSessionKey, base64.RawURLEncoding.EncodeToString(raw))
	}
	if err != nil {
		return nil, err
	}
	key, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(key) < 32 {
		return nil, errors.New("web: the session key setting is malformed")
	}
	s.key = key
	return key, nil
}

func (s *Site) mac(ctx context.Context, purpose string, data []byte) ([]byte, error) {
	key, err := s.signingKey(ctx)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write(data)
	return m.Sum(nil), nil
}

func (s *Site) cookie(name, value, path string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge, HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode}
}

func cookiePath(area string) (name, path string) {
	if area == areaAdmin {
		return adminCookie, "/admin"
	}
	return portalCookie, "/portal"
}

// startSession starts a session of the user: a new row and its cookie.
// The browser's previous session of the area, if any, ends (no fixation:
// an id planted before the sign-in is worth nothing after it).
func (s *Site) startSession(w http.ResponseWriter, r *http.Request, area, userID string) error {
	ctx := r.Context()
	name, path := cookiePath(area)
	if c, err := r.Cookie(name); err == nil && c.Value != "" {
		if err := s.st.EndSession(ctx, auth.HashSecret(c.Value)); err != nil {
			return err
		}
	}
	raw := make([]byte, 32)
	if _, err := io.ReadFull(s.rand, raw); err != nil {
		return err
	}
	v := base64.RawURLEncoding.EncodeToString(raw)
	now := s.now()
	end := now.Add(s.max)
	idle := now.Add(s.idle)
	if idle.After(end) {
		idle = end
	}
	if err := s.st.CreateSession(ctx, auth.Session{Hash: auth.HashSecret(v), Purpose: area, Account: accountOf(area), UserID: userID,
		CreatedAt: now, SeenAt: now, IdleExpiresAt: idle, ExpiresAt: end}); err != nil {
		return err
	}
	http.SetCookie(w, s.cookie(name, v, path, int(s.max/time.Second)))
	return nil
}

// endSession ends the session on the server (with the portal's hand-off
// to the authorization server, a child of it) and clears its cookie.
func (s *Site) endSession(w http.ResponseWriter, r *http.Request, sess session) error {
	if err := s.st.EndSession(r.Context(), sess.Hash); err != nil {
		return err
	}
	s.clearSession(w, sess.Area)
	return nil
}

// clearSession clears the area's cookie.
func (s *Site) clearSession(w http.ResponseWriter, area string) {
	name, path := cookiePath(area)
	http.SetCookie(w, s.cookie(name, "", path, -1))
}

// sessionIDLength is the length of a session cookie's value: 32 random
// bytes in base64url.
const sessionIDLength = 43

// readSession finds the area's session by the cookie's id: the row must
// exist, be of the area, and be within both timeouts by the row's times.
// ok is false when there is no valid session; err only for a fault.
func (s *Site) readSession(r *http.Request, area string) (session, bool, error) {
	name, _ := cookiePath(area)
	c, err := r.Cookie(name)
	if err != nil || len(c.Value) != sessionIDLength {
		return session{}, false, nil
	}
	// The lookup is by the hash of the id, so the database's comparison
	// of the key leaks nothing about the id itself.
	row, err := s.st.Session(r.Context(), auth.HashSecret(c.Value))
	if isNotFound(err) {
		return session{}, false, nil
	}
	if err != nil {
		return session{}, false, err
	}
	if row.Purpose != area || row.UserID == "" || !row.Live(s.now()) {
		return session{}, false, nil
	}
	return session{Area: area, UserID: row.UserID, Hash: row.Hash, Seen: row.SeenAt, Expires: row.ExpiresAt}, true, nil
}

// touch renews the idle timeout of a session that is being used, at most
// once a minute (fewer writes), never past its absolute end.
func (s *Site) touch(r *http.Request, sess session) {
	now := s.now()
	if now.Sub(sess.Seen) < time.Minute {
		return
	}
	idle := now.Add(s.idle)
	if idle.After(sess.Expires) {
		idle = sess.Expires
	}
	if err := s.st.TouchSession(r.Context(), sess.Hash, now, idle); err != nil && !isNotFound(err) {
		s.logger.ErrorContext(r.Context(), "web: renew session", "err", err)
	}
}

// csrfToken returns the token the page's forms carry. Behind a sign-in it
// is a MAC of the session's id hash: bound to that one session, so a token
// from another session (another user's, or this browser's before it
// signed in again) is refused. Before a sign-in (the sign-in and
// registration forms) it is a MAC of the browser's own random CSRF
// cookie, set here when missing: another browser's token does not fit it.
func (s *Site) csrfToken(w http.ResponseWriter, r *http.Request, sess session) (string, error) {
	if sess.Hash != "" {
		sum, err := s.mac(r.Context(), "csrf-session", []byte(sess.Hash))
		if err != nil {
			return "", err
		}
		return base64.RawURLEncoding.EncodeToString(sum), nil
	}
	v := ""
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 22 {
		v = c.Value
	} else {
		raw := make([]byte, 24)
		if _, err := io.ReadFull(s.rand, raw); err != nil {
			return "", err
		}
		v = base64.RawURLEncoding.EncodeToString(raw)
		http.SetCookie(w, s.cookie(csrfCookie, v, "/", 0))
	}
	sum, err := s.mac(r.Context(), "csrf", []byte(v))
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}

// checkCSRF compares the form's csrf field, in constant time, with the
// token csrfToken gives for the same session (or, before a sign-in, for
// the browser's CSRF cookie).
func (s *Site) checkCSRF(r *http.Request, sess session) (bool, error) {
	var want []byte
	var err error
	if sess.Hash != "" {
		want, err = s.mac(r.Context(), "csrf-session", []byte(sess.Hash))
	} else {
		c, cerr := r.Cookie(csrfCookie)
		if cerr != nil || c.Value == "" {
			return false, nil
		}
		want, err = s.mac(r.Context(), "csrf", []byte(c.Value))
	}
	if err != nil {
		return false, err
	}
	got, err := base64.RawURLEncoding.DecodeString(r.PostFormValue("csrf"))
	if err != nil {
		return false, nil
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
