package web

import (
	"net/http"

	"github.com/emedpractice/emp/internal/authz"
)

type loginView struct {
	Frame
	Action   string
	Next     string
	Username string
	Heading  string
	Intro    string
}

// adminLogin is GET and POST /admin/login: staff users with the admin role.
func (s *Site) adminLogin(w http.ResponseWriter, r *http.Request, p *page) {
	v := loginView{Frame: p.Frame, Action: "/admin/login", Next: r.FormValue("next"), Heading: "Site administration",
		Intro: "Sign in with your practice account. Only administrators can use these pages."}
	v.Title = "Sign in: site administration"
	if r.Method != http.MethodPost { // GET or HEAD: show the form
		s.render(w, r, http.StatusOK, "login", v)
		return
	}
	v.Username = r.PostFormValue("username")
	account, addr := accountKey(kindAdmin, v.Username), addrKey(r)
	if s.throttle.blocked(account, addr) {
		v.Error = tooMany
		s.render(w, r, http.StatusTooManyRequests, "login", v)
		return
	}
	u, err := s.st.UserByUsername(r.Context(), v.Username)
	if err != nil && !isNotFound(err) {
		s.internal(w, r, err)
		return
	}
	ok, err := s.verify(err == nil && !u.Disabled, u.PasswordHash, r.PostFormValue("password"))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if !ok {
		s.throttle.failed(account, addr)
		s.logger.InfoContext(r.Context(), "web: admin sign-in failed", "username", v.Username)
		v.Error = "Wrong username or password."
		s.render(w, r, http.StatusUnauthorized, "login", v)
		return
	}
	s.throttle.succeeded(account)
	if u.Role != authz.RoleAdmin {
		v.Error = "Your account is not an administrator's."
		s.render(w, r, http.StatusForbidden, "login", v)
		return
	}
	if err := s.startSession(w, r, kindAdmin, u.ID); err != nil {
		s.internal(w, r, err)
		return
	}
	s.logger.InfoContext(r.Context(), "web: admin signed in", "user", u.ID)
	redirect(w, r, safeNext(v.Next, "/admin/", "/admin/setup"))
}

// patientLogin is GET and POST /patientlogin.aspx: patient-portal users.
func (s *Site) patientLogin(w http.ResponseWriter, r *http.Request, p *page) {
	v := loginView{Frame: p.Frame, Action: "/patientlogin.aspx", Next: r.FormValue("next"), Heading: "Patient portal",
		Intro: "Sign in to see your health record and the apps you use with it."}
	v.Title = "Sign in: patient portal"
	if r.Method != http.MethodPost { // GET or HEAD: show the form
		s.render(w, r, http.StatusOK, "login", v)
		return
	}
	v.Username = r.PostFormValue("username")
	account, addr := accountKey(kindPatient, v.Username), addrKey(r)
	if s.throttle.blocked(account, addr) {
		v.Error = tooMany
		s.render(w, r, http.StatusTooManyRequests, "login", v)
		return
	}
	u, err := s.st.PatientUserByUsername(r.Context(), v.Username)
	if err != nil && !isNotFound(err) {
		s.internal(w, r, err)
		return
	}
	ok, err := s.verify(err == nil && !u.Disabled, u.PasswordHash, r.PostFormValue("password"))
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if !ok {
		s.throttle.failed(account, addr)
		s.logger.InfoContext(r.Context(), "web: portal sign-in failed", "username", v.Username)
		v.Error = "Wrong username or password."
		s.render(w, r, http.StatusUnauthorized, "login", v)
		return
	}
	s.throttle.succeeded(account)
	if err := s.startSession(w, r, kindPatient, u.ID); err != nil {
		s.internal(w, r, err)
		return
	}
	redirect(w, r, safeNext(v.Next, "/portal/", "/portal/home"))
}

const tooMany = "Too many failed sign-ins. Wait a quarter of an hour and try again."

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

// logout is POST /admin/logout and /portal/logout.
func (s *Site) logout(kind string) func(http.ResponseWriter, *http.Request, *page) {
	return func(w http.ResponseWriter, r *http.Request, p *page) {
		s.endSession(w, kind)
		if kind == kindAdmin {
			redirect(w, r, "/admin/login")
			return
		}
		redirect(w, r, "/patientlogin.aspx")
	}
}
