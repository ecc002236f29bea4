package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/emedpractice/emp/internal/auth"
)

type portalView struct {
	Frame
	Patient  demographics
	Sections []sectionView
	Apps     []appRow
}

// appRow is one SMART app the patient may launch from the widget.
type appRow struct {
	ID, Name, LogoURI string
}

// portalHome is GET /portal/home: the patient's record and the SMART
// Enabled Apps widget.
func (s *Site) portalHome(w http.ResponseWriter, r *http.Request, p *page) {
	v := portalView{Frame: p.Frame}
	v.Title, v.Current = "Your health record", "home"
	v.Error = r.URL.Query().Get("error")
	if v.Error != "" {
		v.Error = "That app could not be launched. It may have been disabled; try again or choose another."
	}
	d, err := s.demographics(r, p.patient.Patient)
	if err != nil && !isNotFound(err) {
		s.internal(w, r, err)
		return
	}
	v.Patient = d
	v.Sections = s.loadSections(r, p.patient.Patient)
	if v.Apps, err = s.launchableApps(r); err != nil {
		s.internal(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "portal", v)
}

// launchableApps are the approved clients with a launch URI that may work
// with a patient: those registered for the launch scope and patient/ scopes.
func (s *Site) launchableApps(r *http.Request) ([]appRow, error) {
	cs, err := s.st.Clients(r.Context())
	if err != nil {
		return nil, err
	}
	var out []appRow
	for _, c := range cs {
		if c.Status != auth.ClientApproved || c.LaunchURI == "" || !patientLaunchable(c.Scope) {
			continue
		}
		out = append(out, appRow{ID: c.ID, Name: first(c.Name, c.ID), LogoURI: c.LogoURI})
	}
	slices.SortFunc(out, func(a, b appRow) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	return out, nil
}

func patientLaunchable(scopes string) bool {
	f := strings.Fields(scopes)
	if !slices.Contains(f, "launch") {
		return false
	}
	for _, sc := range f {
		if strings.HasPrefix(sc, "patient/") {
			return true
		}
	}
	return false
}

// portalLaunch is POST /portal/launch: an EHR launch of the chosen app with
// the signed-in patient in context. The authorization server stores the
// launch context and the browser goes to the app's launch URI with iss and
// launch.
func (s *Site) portalLaunch(w http.ResponseWriter, r *http.Request, p *page) {
	id := r.PostFormValue("client_id")
	apps, err := s.launchableApps(r)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if !slices.ContainsFunc(apps, func(a appRow) bool { return a.ID == id }) {
		s.render(w, r, http.StatusBadRequest, "message", messageView{Frame: p.Frame,
			Message: "That app cannot be launched from the portal.", Link: "/portal/home", LinkText: "Back to your record"})
		return
	}
	_, to, err := s.auth.NewLaunch(r.Context(), auth.LaunchRequest{ClientID: id, Patient: p.patient.Patient})
	if err != nil {
		if _, ok := userMessage(err); ok {
			s.logger.InfoContext(r.Context(), "web: launch refused", "client_id", id, "err", err)
			redirect(w, r, "/portal/home?error=launch")
			return
		}
		s.internal(w, r, err)
		return
	}
	// The patient signed in here: hand them over to the authorization
	// server so that the app's authorization asks only for consent.
	if err := s.auth.SignInBrowser(r.Context(), w, auth.AccountPatient, p.patient.ID, p.sess.Hash); err != nil {
		s.internal(w, r, err)
		return
	}
	s.audit(r, p, "launch", id, "EHR launch from the portal")
	redirect(w, r, to)
}
