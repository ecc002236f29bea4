package auth

import (
	"crypto/subtle"
	"net/http"
	"net/url"

	"github.com/emedpractice/emp/internal/auth/pages"
	"github.com/emedpractice/emp/internal/scope"
)

// sessionCookie names the browser session the flows are bound to. It holds a
// random value of which the store keeps the hash; it lives as long as the
// browser session and is renewed at sign-in (no fixation). After a password
// sign-in the same value names this server's sign-in session row
// (sessions.go), which /authorize/logout deletes.
const sessionCookie = "emp_auth"

// session returns the browser's session value, starting a session when it
// has none.
func (s *Server) session(w http.ResponseWriter, r *http.Request) (string, error) {
	if c, err := r.Cookie(sessionCookie); err == nil && len(c.Value) >= 43 {
		return c.Value, nil
	}
	return s.newSession(w)
}

// newSession sets a fresh session cookie.
func (s *Server) newSession(w http.ResponseWriter) (string, error) {
	v, err := s.rand.secret()
	if err != nil {
		return "", err
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: v, Path: s.cookiePath(), HttpOnly: true, Secure: s.secure,
		// Lax: sent on the top-level navigations of the flow (the app's
		// redirect here, our redirects between pages), never on a
		// cross-site POST.
		SameSite: http.SameSiteLaxMode,
	})
	return v, nil
}

func (s *Server) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: s.cookiePath(), MaxAge: -1,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

func (s *Server) cookiePath() string {
	u, _ := url.Parse(s.issuer)
	return u.Path + "/"
}

// loadInteraction finds the flow a page request belongs to (its id is the
// req query parameter) and checks that this browser began it. On failure it
// has answered with an error page and returns false.
func (s *Server) loadInteraction(w http.ResponseWriter, r *http.Request) (Interaction, bool) {
	id := r.URL.Query().Get("req")
	in, err := s.store.Interaction(r.Context(), id)
	switch {
	case id == "" || isNotFound(err):
		s.errorPage(w, http.StatusBadRequest, "Sign-in expired", "This sign-in is over or has expired. Start again from the application.")
		return in, false
	case err != nil:
		s.internalPage(w, r, err)
		return in, false
	case !s.now().Before(in.ExpiresAt):
		s.store.DeleteInteraction(r.Context(), in.ID)
		s.errorPage(w, http.StatusBadRequest, "Sign-in expired", "This sign-in took too long and has expired. Start again from the application.")
		return in, false
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || !secretMatches(in.SessionHash, c.Value) {
		s.errorPage(w, http.StatusBadRequest, "Sign-in not recognised", "This sign-in was started in another browser or session. Start again from the application.")
		return in, false
	}
	return in, true
}

// checkCSRF compares the form's token with the interaction's, in constant
// time. The pages' POSTs also pass http.CrossOriginProtection; the token is
// for browsers that send neither Origin nor Sec-Fetch-Site.
func (s *Server) checkCSRF(w http.ResponseWriter, r *http.Request, in Interaction) bool {
	if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(in.CSRF)) == 1 && in.CSRF != "" {
		return true
	}
	s.errorPage(w, http.StatusForbidden, "Form expired", "The form could not be checked. Go back, reload the page and try again.")
	return false
}

// pageURL is a page of the flow.
func (s *Server) pageURL(path string, in Interaction) string {
	return path + "?req=" + url.QueryEscape(in.ID)
}

// next sends the browser to the flow's next step: sign-in, then for staff
// who need a patient the picker, then consent.
func (s *Server) next(w http.ResponseWriter, r *http.Request, in Interaction) {
	path := s.p.consent
	switch {
	case in.UserID == "":
		path = s.p.login
	case in.Account == AccountStaff && in.Patient == "" && wantsPatient(in.Scope):
		path = s.p.patient
	}
	http.Redirect(w, r, s.pageURL(path, in), http.StatusSeeOther)
}

// wantsPatient reports whether the scopes need a patient in context:
// launch/patient, or any patient/ resource scope (SMART#164).
func wantsPatient(scopes string) bool {
	set, _ := scope.ParseListLenient(scopes)
	if set.Has(scope.LaunchPatient) {
		return true
	}
	for sc := range set.All() {
		if sc.Context == scope.Patient {
			return true
		}
	}
	return false
}

// finish ends the flow with an error sent back to the client (RFC 6749
// 4.1.2.1); the redirect URI was checked when the flow began.
func (s *Server) finish(w http.ResponseWriter, r *http.Request, in Interaction, code, desc string) {
	s.store.DeleteInteraction(r.Context(), in.ID)
	redirectError(w, r, in.RedirectURI, in.State, code, desc)
}

func redirectError(w http.ResponseWriter, r *http.Request, redirectURI, state, code, desc string) {
	noStore(w)
	http.Redirect(w, r, withParams(redirectURI, url.Values{"error": {code}, "error_description": {desc}, "state": {state}}), http.StatusSeeOther)
}

func (s *Server) errorPage(w http.ResponseWriter, status int, title, msg string) {
	s.pages.Render(w, status, pages.Error, pages.ErrorView{Frame: pages.Frame{Title: title}, Message: msg})
}

func (s *Server) internalPage(w http.ResponseWriter, r *http.Request, err error) {
	s.logger.ErrorContext(r.Context(), "auth: page failed", "path", r.URL.Path, "err", err)
	s.errorPage(w, http.StatusInternalServerError, "Something went wrong", "The server could not complete this step. Try again later.")
}

// clientName is what the pages call the client.
func clientName(c Client) string {
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}
