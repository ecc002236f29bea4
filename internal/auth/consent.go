package auth

import (
	"net/http"
	"net/url"

	"github.com/emedpractice/emp/internal/auth/pages"
	"github.com/emedpractice/emp/internal/scope"
)

// grantable is what the flow's user may grant now: the offered scopes that
// fit who signed in and the context (see fitScopes).
func grantable(in Interaction) scope.Set {
	set, _ := scope.ParseListLenient(in.Scope)
	return fitScopes(set, launchContext{account: in.Account, patient: in.Patient, encounter: in.Encounter, ehr: in.EHRLaunch})
}

// consentPage is GET /connect/consent: the user sees what the app asks for
// and may untick any resource scope, choose categories of Condition and
// Observation instead of the whole type, and decline offline access.
func (s *Server) consentPage(w http.ResponseWriter, r *http.Request) {
	in, ok := s.loadInteraction(w, r)
	if !ok {
		return
	}
	if in.UserID == "" || (in.Account == AccountStaff && in.Patient == "" && wantsPatient(in.Scope)) {
		s.next(w, r, in)
		return
	}
	c, err := s.store.Client(r.Context(), in.ClientID)
	if err != nil {
		s.internalPage(w, r, err)
		return
	}
	view := pages.ConsentView{
		Frame:  pages.Frame{Title: "Allow access", Client: clientName(c)},
		Action: s.pageURL(s.p.consent, in), CSRF: in.CSRF,
		User: s.userLabel(r, in), Patient: s.patientLabel(r, in),
		OfflineUntil: s.now().Add(s.refreshTTL).Format("2 January 2006"),
		PatientUser:  in.Account == AccountPatient,
	}
	see := pages.ScopeGroup{ID: "see", Title: "What it may see"}
	change := pages.ScopeGroup{ID: "change", Title: "What it may add or change"}
	for sc := range grantable(in).All() {
		switch {
		case sc.Target == scope.NonResource && sc.Name == scope.OfflineAccess:
			view.Offline = &pages.ScopeRow{Value: sc.String(), Technical: sc.String(), Label: "Keep access while I am away", Checked: true}
		case sc.Target == scope.NonResource:
			if sc.Name == scope.OnlineAccess {
				view.Online = true
			}
			if l := alwaysLabel(sc.Name); l != "" {
				view.Always = append(view.Always, l)
			}
		default:
			words, _ := DescribeScope(sc)
			row := pages.ScopeRow{Value: sc.String(), Technical: sc.String(), Label: words.What, How: words.How,
				Checked: true, Categories: categoryRows(sc)}
			view.Scopes = append(view.Scopes, row)
			if words.Change {
				change.Rows = append(change.Rows, row)
			} else {
				see.Rows = append(see.Rows, row)
			}
		}
	}
	for _, g := range []pages.ScopeGroup{see, change} {
		if len(g.Rows) > 0 {
			view.Groups = append(view.Groups, g)
		}
	}
	s.pages.Render(w, http.StatusOK, pages.Consent, view)
}

// consentSubmit is POST /connect/consent. The ticked scopes must lie within
// what was offered (a forged form gets nothing more); the grant is their
// intersection with the offer, stored with the launch context, and the
// browser goes back to the client with a one-minute code.
func (s *Server) consentSubmit(w http.ResponseWriter, r *http.Request) {
	in, ok := s.loadInteraction(w, r)
	if !ok || !s.checkCSRF(w, r, in) {
		return
	}
	if in.UserID == "" || (in.Account == AccountStaff && in.Patient == "" && wantsPatient(in.Scope)) {
		s.next(w, r, in)
		return
	}
	if r.PostFormValue("decision") != "allow" {
		s.finish(w, r, in, errAccessDenied, "the user denied access")
		return
	}
	offer := grantable(in)
	chosen := make([]scope.Scope, 0, offer.Len())
	for sc := range offer.All() {
		// Identity and launch scopes are not the user's to untick here.
		// online_access is kept too: it ends with the sign-in session.
		if sc.Target == scope.NonResource && sc.Name != scope.OfflineAccess {
			chosen = append(chosen, sc)
		}
	}
	for _, v := range r.PostForm["scope"] {
		sc, err := scope.Parse(v)
		if err != nil || !offer.Contains(sc) {
			s.errorPage(w, http.StatusBadRequest, "Bad request", "The form asked for a scope that was not offered.")
			return
		}
		chosen = append(chosen, sc)
	}
	granted := offer.Intersect(scope.NewSet(chosen...))
	session := ""
	if granted.Has(scope.OnlineAccess) {
		switch {
		case granted.Has(scope.OfflineAccess):
			// Offline access outlives the session: online_access adds nothing.
		case in.LoginSession != "":
			session = in.LoginSession
		default:
			granted = keepScopes(granted, func(sc scope.Scope) bool { return sc.Target != scope.NonResource || sc.Name != scope.OnlineAccess })
		}
	}
	ctx := r.Context()
	now := s.now()
	gid, err := s.rand.id()
	if err != nil {
		s.internalPage(w, r, err)
		return
	}
	g := Grant{
		ID: gid, ClientID: in.ClientID, GrantType: GrantAuthorizationCode, Subject: in.UserID, Role: in.Role,
		FHIRUser: in.FHIRUser, Scope: granted.String(), Patient: in.Patient, Encounter: in.Encounter,
		Intent: in.Intent, FHIRContext: in.FHIRContext, NeedPatientBanner: !in.EHRLaunch,
		AuthTime: in.AuthTime, CreatedAt: now, Session: session,
	}
	code, err := s.rand.secret()
	if err != nil {
		s.internalPage(w, r, err)
		return
	}
	cd := Code{
		Hash: HashSecret(code), GrantID: g.ID, ClientID: in.ClientID, RedirectURI: in.RedirectURI,
		CodeChallenge: in.CodeChallenge, Nonce: in.Nonce, CreatedAt: now, ExpiresAt: now.Add(s.codeTTL),
	}
	if err := s.store.CreateGrant(ctx, g); err != nil {
		s.internalPage(w, r, err)
		return
	}
	if err := s.store.CreateCode(ctx, cd); err != nil {
		s.internalPage(w, r, err)
		return
	}
	s.store.DeleteInteraction(ctx, in.ID)
	noStore(w) // the Location carries the code
	http.Redirect(w, r, withParams(in.RedirectURI, url.Values{"code": {code}, "state": {in.State}}), http.StatusSeeOther)
}

// userLabel names who signed in.
func (s *Server) userLabel(r *http.Request, in Interaction) string {
	id, err := s.identityOf(r.Context(), in.UserID, in.Role)
	if err != nil {
		return in.UserID
	}
	if id.Name != "" {
		return id.Name + " (" + id.Username + ")"
	}
	return id.Username
}

// patientLabel names the patient in context, by name when the directory
// knows them.
func (s *Server) patientLabel(r *http.Request, in Interaction) string {
	if in.Patient == "" {
		return ""
	}
	if s.patients != nil {
		if p, err := s.patients.Patient(r.Context(), in.Patient); err == nil && p.Name != "" {
			return p.Name
		}
	}
	return "patient " + in.Patient
}
