package auth

import (
	"net/http"
	"strconv"
	"time"

	"github.com/emedpractice/emp/internal/auth/pages"
	"github.com/emedpractice/emp/internal/loginthrottle"
	"github.com/emedpractice/emp/internal/scope"
)

// loginPage is GET /connect/login: the sign-in form of a flow.
func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	in, ok := s.loadInteraction(w, r)
	if !ok {
		return
	}
	if in.UserID != "" {
		s.next(w, r, in)
		return
	}
	s.renderLogin(w, r, in, http.StatusOK, "", "", defaultAccount(in))
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, in Interaction, status int, username, msg, account string) {
	c, err := s.store.Client(r.Context(), in.ClientID)
	if err != nil {
		s.internalPage(w, r, err)
		return
	}
	s.pages.Render(w, status, pages.Login, pages.LoginView{
		Frame:  pages.Frame{Title: "Sign in", Client: clientName(c)},
		Action: s.pageURL(s.p.login, in), CSRF: in.CSRF, Username: username, UserRole: account, Error: msg,
	})
}

// defaultAccount preselects who is likely signing in: staff for an EHR launch
// or user/ scopes, a patient otherwise.
func defaultAccount(in Interaction) string {
	if in.EHRLaunch {
		return AccountStaff
	}
	set, _ := scope.ParseListLenient(in.Scope)
	for sc := range set.All() {
		if sc.Context == scope.User {
			return AccountStaff
		}
	}
	return AccountPatient
}

// loginSubmit is POST /connect/login. Failures count against the account and
// the address; past the limits the form refuses to check passwords for a
// while. A success renews the session cookie and moves the flow on.
func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request) {
	in, ok := s.loadInteraction(w, r)
	if !ok || !s.checkCSRF(w, r, in) {
		return
	}
	if r.PostFormValue("action") == "cancel" {
		s.finish(w, r, in, errAccessDenied, "the user cancelled the sign-in")
		return
	}
	if in.UserID != "" {
		s.next(w, r, in)
		return
	}
	username, password, account := r.PostFormValue("username"), r.PostFormValue("password"), r.PostFormValue("user_role")
	if account != AccountStaff && account != AccountPatient {
		account = defaultAccount(in)
	}
	if username == "" || password == "" {
		s.renderLogin(w, r, in, http.StatusBadRequest, username, "Enter your username and password.", account)
		return
	}
	addr := s.clientIP(r)
	throttleKey := loginthrottle.Account(account, username)
	wait, counted, err := s.throttle.Check(r.Context(), throttleKey, loginthrottle.Address(addr))
	if err != nil {
		s.internalPage(w, r, err)
		return
	}
	if wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		s.renderLogin(w, r, in, http.StatusTooManyRequests, username, "Too many failed sign-ins. Try again in "+loginthrottle.Words(wait)+".", account)
		return
	}
	id, ok, err := s.checkPassword(r.Context(), account, username, password)
	if err != nil {
		s.internalPage(w, r, err)
		return
	}
	if !ok {
		if _, err := s.throttle.Failed(throttleContext(r), throttleKey, loginthrottle.Address(addr)); err != nil {
			s.internalPage(w, r, err)
			return
		}
		s.logger.InfoContext(r.Context(), "auth: sign-in failed", "kind", account, "username", username, "addr", addr)
		s.audit(r, "sign-in-failed", "", "", "kind="+account+" username="+username+" client="+in.ClientID, http.StatusUnauthorized)
		s.renderLogin(w, r, in, http.StatusUnauthorized, username, "Wrong username or password.", account)
		return
	}
	if counted {
		if err := s.throttle.Succeeded(r.Context(), throttleKey); err != nil {
			s.internalPage(w, r, err)
			return
		}
	}
	s.logger.InfoContext(r.Context(), "auth: signed in", "kind", account, "user", id.ID, "client_id", in.ClientID, "addr", addr)
	s.audit(r, "sign-in", id.ID, id.Role, "kind="+account+" client="+in.ClientID, http.StatusSeeOther)
	if id.Account == AccountPatient {
		if in.Patient != "" && in.Patient != id.Patient {
			s.finish(w, r, in, errAccessDenied, "the launch is for another patient's record")
			return
		}
		in.Patient = id.Patient
	}
	in.UserID, in.Account, in.Role, in.FHIRUser, in.AuthTime = id.ID, id.Account, id.Role, id.FHIRUser, s.now()
	sess, err := s.startLoginSession(w, r, id)
	if err != nil {
		s.internalPage(w, r, err)
		return
	}
	in.SessionHash = HashSecret(sess)
	in.LoginSession = in.SessionHash
	if err := s.store.SaveInteraction(r.Context(), in); err != nil {
		s.internalPage(w, r, err)
		return
	}
	s.next(w, r, in)
}
