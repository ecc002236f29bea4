package auth

import (
	"net/http"
	"strings"

	"github.com/emedpractice/emp/internal/auth/pages"
)

// pickerLimit bounds the patients one search shows.
const pickerLimit = 50

// patientPage is GET /connect/patient: a clinician who launched an app
// standalone picks the patient it will work with (SMART launch/patient).
func (s *Server) patientPage(w http.ResponseWriter, r *http.Request) {
	in, ok := s.loadInteraction(w, r)
	if !ok || !s.pickerAllowed(w, r, in) {
		return
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	view := pages.PatientView{Query: q, Searched: q != ""}
	status := http.StatusOK
	if q != "" {
		found, err := s.patients.SearchPatients(r.Context(), q, pickerLimit)
		if err != nil {
			s.logger.ErrorContext(r.Context(), "auth: patient search", "err", err)
			view.Error, status = "The search failed. Try again.", http.StatusInternalServerError
		}
		for _, p := range found {
			view.Results = append(view.Results, pages.PatientRow{ID: p.ID, Name: p.Name, BirthDate: p.BirthDate, Gender: p.Gender})
		}
	}
	s.renderPicker(w, r, in, status, view)
}

func (s *Server) renderPicker(w http.ResponseWriter, r *http.Request, in Interaction, status int, view pages.PatientView) {
	c, err := s.store.Client(r.Context(), in.ClientID)
	if err != nil {
		s.internalPage(w, r, err)
		return
	}
	view.Frame = pages.Frame{Title: "Choose a patient", Client: clientName(c)}
	view.Action, view.CSRF, view.ReqID = s.p.patient, in.CSRF, in.ID
	s.pages.Render(w, status, pages.Patient, view)
}

// patientSubmit is POST /connect/patient: the chosen patient, checked to
// exist, becomes the flow's patient.
func (s *Server) patientSubmit(w http.ResponseWriter, r *http.Request) {
	in, ok := s.loadInteraction(w, r)
	if !ok || !s.checkCSRF(w, r, in) || !s.pickerAllowed(w, r, in) {
		return
	}
	if r.PostFormValue("action") == "cancel" {
		s.finish(w, r, in, errAccessDenied, "the user chose no patient")
		return
	}
	id := r.PostFormValue("patient_id")
	p, err := s.patients.Patient(r.Context(), id)
	switch {
	case id == "" || isNotFound(err):
		s.renderPicker(w, r, in, http.StatusBadRequest, pages.PatientView{Error: "Choose a patient from the list."})
		return
	case err != nil:
		s.internalPage(w, r, err)
		return
	}
	in.Patient = p.ID
	if err := s.store.SaveInteraction(r.Context(), in); err != nil {
		s.internalPage(w, r, err)
		return
	}
	s.next(w, r, in)
}

// pickerAllowed lets only a signed-in staff user without a patient in
// context use the picker; anyone else is sent on to their next step.
func (s *Server) pickerAllowed(w http.ResponseWriter, r *http.Request, in Interaction) bool {
	if in.UserID == "" || in.Account != AccountStaff || in.Patient != "" {
		s.next(w, r, in)
		return false
	}
	if s.patients == nil {
		s.finish(w, r, in, errAccessDenied, "this server cannot choose a patient")
		return false
	}
	return true
}
