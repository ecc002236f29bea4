package web

import (
	"net/http"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/httpx"
	"github.com/emedpractice/emp/internal/store"
)

type loginView struct {
	Frame
	Action   string
	Next     string
	Username string
	Heading  string
	Intro    string
}

// signInForm is what differs between the two sign-in pages: who may sign
// in, where, and where they land.
type signInForm struct {
	sessionArea     string // areaAdmin or areaPatient
	action, heading string
	intro, title    string
	area, home      string // safeNext's prefix and default
	// lookup finds the account: its id, password hash and whether it may
	// sign in; refuse, when not empty, turns away a right password (a
	// staff user who is not an administrator).
	lookup func(r *http.Request, username string) (id, hash string, enabled bool, refuse string, err error)
}

// adminLogin is GET and POST /admin/login: staff users with the admin role.
func (s *Site) adminLogin(w http.ResponseWriter, r *http.Request, p *page) {
	s.signIn(w, r, p, signInForm{sessionArea: areaAdmin, action: "/admin/login", heading: "Site administration",
		intro: "Sign in with your practice account. Only administrators can use these pages.",
		title: "Sign in: site administration", area: "/admin/", home: "/admin/setup",
		lookup: func(r *http.Request, username string) (string, string, bool, string, error) {
			u, err := s.st.UserByUsername(r.Context(), username)
			refuse := ""
			if u.Role != authz.RoleAdmin {
				refuse = "Your account is not an administrator's."
			}
			return u.ID, u.PasswordHash, err == nil && !u.Disabled, refuse, err
		}})
}

// patientLogin is GET and POST /patientlogin.aspx: patient-portal users.
func (s *Site) patientLogin(w http.ResponseWriter, r *http.Request, p *page) {
	s.signIn(w, r, p, signInForm{sessionArea: areaPatient, action: "/patientlogin.aspx", heading: "Patient portal",
		intro: "Sign in to see your health record and the apps you use with it.",
		title: "Sign in: patient portal", area: "/portal/", home: "/portal/home",
		lookup: func(r *http.Request, username string) (string, string, bool, string, error) {
			u, err := s.st.PatientUserByUsername(r.Context(), username)
			return u.ID, u.PasswordHash, err == nil && !u.Disabled, "", err
		}})
}

// signIn shows a sign-in form and checks what is posted to it: throttled
// per account and address, the same work for unknown users as for known
// ones, and a session of the form's area on success.
func (s *Site) signIn(w http.ResponseWriter, r *http.Request, p *page, f signInForm) {
	v := loginView{Frame: p.Frame, Action: f.action, Next: r.FormValue("next"), Heading: f.heading, Intro: f.intro}
	v.Title = f.title
	if r.Method != http.MethodPost { // GET or HEAD: show the form
		s.render(w, r, http.StatusOK, "login", v)
		return
	}
	v.Username = r.PostFormValue("username")
	wait, counted, err := s.signInWait(r, f.sessionArea, v.Username)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if wait > 0 {
		v.Error = tooMany(wait)
		s.render(w, r, http.StatusTooManyRequests, "login", v)
		return
	}
	id, hash, enabled, refuse, err := f.lookup(r, v.Username)
	if err != nil && !isNotFound(err) {
		s.internal(w, r, err)
		return
	}
	ok, err := s.verify(enabled, hash, r.PostFormValue("password"))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if !ok {
		if err := s.signInFailed(r, f.sessionArea, v.Username); err != nil {
			s.internal(w, r, err)
			return
		}
		s.logger.InfoContext(r.Context(), "web: sign-in failed", "kind", f.sessionArea, "username", v.Username)
		s.auditSign(r, "sign-in-failed", "", "", "kind="+f.sessionArea+" username="+v.Username, http.StatusUnauthorized)
		v.Error = "Wrong username or password."
		s.render(w, r, http.StatusUnauthorized, "login", v)
		return
	}
	if err := s.signInSucceeded(r, f.sessionArea, v.Username, counted); err != nil {
		s.internal(w, r, err)
		return
	}
	if refuse != "" {
		s.auditSign(r, "sign-in-refused", id, "", "kind="+f.sessionArea+" username="+v.Username, http.StatusForbidden)
		v.Error = refuse
		s.render(w, r, http.StatusForbidden, "login", v)
		return
	}
	if err := s.startSession(w, r, f.sessionArea, id); err != nil {
		s.internal(w, r, err)
		return
	}
	s.logger.InfoContext(r.Context(), "web: signed in", "kind", f.sessionArea, "user", id)
	s.auditSign(r, "sign-in", id, roleOf(f.sessionArea), "kind="+f.sessionArea, http.StatusSeeOther)
	redirect(w, r, safeNext(v.Next, f.area, f.home))
}

// verify checks a password. For an unknown or disabled user it still
// hashes (against a hash of nothing in particular), so the time taken does
// not tell which usernames exist.
func (s *Site) verify(found bool, hash, password string) (bool, error) {
	if password == "" {
		return false, nil
	}
	if !found || hash == "" {
		h, err := s.dummyHash()
		if err != nil {
			return false, err
		}
		s.passwords.Verify(h, password)
		return false, nil
	}
	return s.passwords.Verify(hash, password)
}

func (s *Site) dummyHash() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dummy == "" {
		h, err := s.passwords.Hash("not a password anyone has")
		if err != nil {
			return "", err
		}
		s.dummy = h
	}
	return s.dummy, nil
}

// logout is POST /admin/logout and /portal/logout. The session ends on the
// server, so the old cookie is refused everywhere at once; for the portal,
// the hand-off to the authorization server ends with it (its row is the
// session's child) and its cookie, on the authorization server's path, is
// cleared.
func (s *Site) logout(area string) func(http.ResponseWriter, *http.Request, *page) {
	return func(w http.ResponseWriter, r *http.Request, p *page) {
		if err := s.endSession(w, r, p.sess); err != nil {
			s.internal(w, r, err)
			return
		}
		s.auditSign(r, "sign-out", p.sess.UserID, roleOf(area), "kind="+area, http.StatusSeeOther)
		if area == areaAdmin {
			redirect(w, r, "/admin/login")
			return
		}
		s.auth.SignOutBrowser(w)
		redirect(w, r, "/patientlogin.aspx")
	}
}

// auditSign records a sign-in, a failed or refused sign-in or a sign-out of
// the pages in the audit log, which emp audit and the API log page show.
func (s *Site) auditSign(r *http.Request, action, actor, role, detail string, status int) {
	s.store.RecordAccess(r.Context(), store.AuditEvent{
		At: s.now(),
		RequestInfo: store.RequestInfo{RequestID: httpx.RequestIDFrom(r.Context()), Actor: actor, Role: role,
			Method: r.Method, Path: r.URL.Path},
		Action: action, Detail: detail, Status: status,
	})
}

// roleOf is the audit log's role of a page session's area.
func roleOf(area string) string {
	if area == areaAdmin {
		return authz.RoleAdmin
	}
	return authz.RolePatient
}
