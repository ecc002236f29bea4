package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/errs"
)

// session is who signed in to the pages. It travels in a cookie signed with
// the site's key, so any node can check it without a lookup; what it names
// (the user) is loaded again on every request, so a disabled user is out at
// once.
type session struct {
	Kind   string `json:"k"` // kindAdmin or kindPatient
	UserID string `json:"u"`
	// Started and Seen bound the session: MaxSession after Started, the idle
	// timeout after Seen (renewed on every page).
	Started int64 `json:"s"`
	Seen    int64 `json:"t"`
}

const (
	kindAdmin   = "admin"
	kindPatient = "patient"
)

// Cookie names. The admin and portal sessions are separate cookies with
// their own paths, so signing in to one never touches the other.
const (
	adminCookie  = "emp_admin"
	portalCookie = "emp_portal"
	csrfCookie   = "emp_csrf"
)

// settingSessionKey holds the base64url session signing key, made on first
// use and shared by every node through the settings.
const settingSessionKey = "web_session_key"

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
		if err := s.st.SetSetting(ctx, settingSessionKey, base64.RawURLEncoding.EncodeToString(raw)); err != nil {
			return nil, err
		}
		// Read it back: of two nodes starting together, the last write wins
		// and both must use it.
		v, err = s.st.Setting(ctx, settingSessionKey)
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

func cookiePath(kind string) (name, path string) {
	if kind == kindAdmin {
		return adminCookie, "/admin"
	}
	return portalCookie, "/portal"
}

// startSession signs a new session for the user into its cookie.
func (s *Site) startSession(w http.ResponseWriter, r *http.Request, kind, userID string) error {
	now := s.now().Unix()
	return s.writeSession(w, r, session{Kind: kind, UserID: userID, Started: now, Seen: now})
}

func (s *Site) writeSession(w http.ResponseWriter, r *http.Request, sess session) error {
	body, _ := json.Marshal(sess)
	sig, err := s.mac(r.Context(), "session", body)
	if err != nil {
		return err
	}
	name, path := cookiePath(sess.Kind)
	v := base64.RawURLEncoding.EncodeToString(body) + "." + base64.RawURLEncoding.EncodeToString(sig)
	http.SetCookie(w, s.cookie(name, v, path, int(s.max/time.Second)))
	return nil
}

// endSession clears the kind's cookie.
func (s *Site) endSession(w http.ResponseWriter, kind string) {
	name, path := cookiePath(kind)
	http.SetCookie(w, s.cookie(name, "", path, -1))
}

// readSession checks the kind's cookie: signature, kind and both timeouts.
// ok is false when there is no valid session; err only for a fault.
func (s *Site) readSession(r *http.Request, kind string) (session, bool, error) {
	name, _ := cookiePath(kind)
	c, err := r.Cookie(name)
	if err != nil {
		return session{}, false, nil
	}
	body64, sig64, found := strings.Cut(c.Value, ".")
	if !found {
		return session{}, false, nil
	}
	body, err1 := base64.RawURLEncoding.DecodeString(body64)
	sig, err2 := base64.RawURLEncoding.DecodeString(sig64)
	if err1 != nil || err2 != nil {
		return session{}, false, nil
	}
	want, err := s.mac(r.Context(), "session", body)
	if err != nil {
		return session{}, false, err
	}
	if !hmac.Equal(sig, want) {
		return session{}, false, nil
	}
	var sess session
	if json.Unmarshal(body, &sess) != nil || sess.Kind != kind || sess.UserID == "" {
		return session{}, false, nil
	}
	now := s.now()
	if now.After(time.Unix(sess.Started, 0).Add(s.max)) || now.After(time.Unix(sess.Seen, 0).Add(s.idle)) {
		return session{}, false, nil
	}
	return sess, true, nil
}

// touch renews the idle timeout of a session that is being used.
func (s *Site) touch(w http.ResponseWriter, r *http.Request, sess session) {
	now := s.now().Unix()
	if now-sess.Seen < 60 { // at most once a minute: fewer Set-Cookie headers
		return
	}
	sess.Seen = now
	if err := s.writeSession(w, r, sess); err != nil {
		s.logger.ErrorContext(r.Context(), "web: renew session", "err", err)
	}
}

// csrfToken returns the token the page's forms carry: a MAC of the
// browser's CSRF cookie, set here when missing. A form posted without the
// cookie, or with another browser's token, fails checkCSRF.
func (s *Site) csrfToken(w http.ResponseWriter, r *http.Request) (string, error) {
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

// checkCSRF compares the form's csrf field with the cookie's MAC.
func (s *Site) checkCSRF(r *http.Request) (bool, error) {
	c, err := r.Cookie(csrfCookie)
	if err != nil || c.Value == "" {
		return false, nil
	}
	want, err := s.mac(r.Context(), "csrf", []byte(c.Value))
	if err != nil {
		return false, err
	}
	got, err := base64.RawURLEncoding.DecodeString(r.PostFormValue("csrf"))
	if err != nil {
		return false, nil
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
