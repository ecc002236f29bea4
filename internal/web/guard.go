package web

import (
	"net/http"
	"net/url"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/store"
)

// maxFormBody caps a page's form: the largest honest one, a registration
// with an inline JWKS, is a few kilobytes.
const maxFormBody = 64 << 10

// page is a request that passed its guard: the frame to render with and,
// behind a sign-in, who it is.
type page struct {
	Frame
	sess    session
	staff   auth.User
	patient auth.PatientUser
}

// guarded wraps a handler with what every page needs: a body limit and,
// for a POST, the cross-origin check and the CSRF token; then, by area, the
// signed-in user (area "" for public pages).
func (s *Site) guarded(area string, h func(http.ResponseWriter, *http.Request, *page)) http.Handler {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
		if s.refusedControls(w, r) {
			return
		}
		p := &page{}
		p.Brand = s.brand(r)
		if area != "" {
			if !s.signedIn(w, r, area, p) {
				return
			}
			// What the user just saved shows on the next page even when a
			// replica answers its lists.
			r = r.WithContext(store.WithCaller(r.Context(), "page:"+area+":"+p.sess.UserID))
		}
		if r.Method == http.MethodPost {
			if err := r.ParseForm(); err != nil {
				s.render(w, r, http.StatusBadRequest, "message", messageView{Frame: s.frame(r, "Bad request"),
					Message: "The form could not be read. It may be too large."})
				return
			}
			ok, err := s.checkCSRF(r, p.sess)
			if err != nil {
				s.internal(w, r, err)
				return
			}
			if !ok {
				s.render(w, r, http.StatusForbidden, "message", messageView{Frame: s.frame(r, "Form expired"),
					Message: "This form has expired or did not come from this site. Go back, reload the page and try again."})
				return
			}
		}
		tok, err := s.csrfToken(w, r, p.sess)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		p.CSRF = tok
		h(w, r, p)
	})
	return s.csrf.Handler(inner)
}

// signedIn loads the session's user. Without a valid session a GET goes to
// the sign-in page (coming back afterwards) and anything else is refused
// with 401; a signed-in user who is not an administrator gets 403 on the
// admin pages.
func (s *Site) signedIn(w http.ResponseWriter, r *http.Request, area string, p *page) bool {
	sess, ok, err := s.readSession(r, area)
	if err != nil {
		s.internal(w, r, err)
		return false
	}
	if ok {
		switch area {
		case areaAdmin:
			u, err := s.st.UserByID(r.Context(), sess.UserID)
			if err != nil && !isNotFound(err) {
				s.internal(w, r, err)
				return false
			}
			ok = err == nil && !u.Disabled
			if ok && u.Role != authz.RoleAdmin {
				s.render(w, r, http.StatusForbidden, "message", messageView{Frame: s.frame(r, "Not allowed"),
					Message: "Site administration is for administrators. Your account does not have that role."})
				return false
			}
			p.staff, p.User, p.Area = u, displayName(u.Name, u.Username), "admin"
			if ok {
				p.Pending = s.pendingClients(r)
			}
		case areaPatient:
			u, err := s.st.PatientUserByID(r.Context(), sess.UserID)
			if err != nil && !isNotFound(err) {
				s.internal(w, r, err)
				return false
			}
			ok = err == nil && !u.Disabled
			p.patient, p.User, p.Area = u, displayName(u.Name, u.Username), "portal"
			// The header names the patient whose record this is, as the
			// record does, rather than the account's own label.
			if ok {
				if d, err := s.demographics(r, u.Patient); err == nil && d.Name != "" {
					p.User = d.Name
				}
			}
		}
	}
	if !ok {
		s.clearSession(w, area)
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			login := "/admin/login"
			if area == areaPatient {
				login = "/patientlogin.aspx"
			}
			redirect(w, r, login+"?next="+url.QueryEscape(r.URL.RequestURI()))
			return false
		}
		s.render(w, r, http.StatusUnauthorized, "message", messageView{Frame: s.frame(r, "Signed out"),
			Message: "Your session has ended. Sign in again.", Link: "/", LinkText: "Home"})
		return false
	}
	p.sess = sess
	s.touch(r, sess)
	return true
}

func displayName(name, username string) string {
	if name != "" {
		return name
	}
	return username
}

// safeNext keeps a post-sign-in destination on this site's area: a path,
// never another origin.
func safeNext(next, prefix, fallback string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || u.Scheme != "" || u.Host != "" || len(u.Path) < len(prefix) || u.Path[:len(prefix)] != prefix {
		return fallback
	}
	if len(next) > 1 && next[1] == '/' || len(next) > 1 && next[1] == '\\' {
		return fallback
	}
	return u.RequestURI()
}
