package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/emedpractice/emp/internal/fhir/search"
)

// patientLookupMax bounds one lookup's answer: a person picks from a
// screenful, and narrows the search when the one they want is not there.
const patientLookupMax = 20

type patientLookupView struct {
	Frame
	Name, BirthDate, Identifier string
	// For is the page the chosen patient goes back to ("users" or
	// "apilog").
	For      string
	Searched bool
	Results  []patientHit
}

// patientHit is one patient found, with the link that takes its id back to
// the page that asked.
type patientHit struct {
	ID, Name, BirthDate, Gender, MRN string
	Use                              string
}

// patientLookup is GET /admin/patients: find a patient by name, birth date
// or identifier (any of them, all must match), for every administration
// form that needs a patient's id. The records are searched as the FHIR
// face searches them (name matches the start of any part of a name).
func (s *Site) patientLookup(w http.ResponseWriter, r *http.Request, p *page) {
	q := r.URL.Query()
	v := patientLookupView{Frame: p.Frame, Name: strings.TrimSpace(q.Get("name")), BirthDate: strings.TrimSpace(q.Get("birthdate")),
		Identifier: strings.TrimSpace(q.Get("identifier")), For: q.Get("for")}
	v.Title, v.Current = "Find a patient", "users"
	if v.For == "apilog" {
		v.Current = "apilog"
	} else {
		v.For = "users"
	}
	params := url.Values{"_count": {"20"}, "_sort": {"family"}}
	if v.Name != "" {
		params.Set("name", v.Name)
	}
	if v.BirthDate != "" {
		params.Set("birthdate", v.BirthDate)
	}
	if v.Identifier != "" {
		params.Set("identifier", v.Identifier)
	}
	if len(params) == 2 {
		s.render(w, r, http.StatusOK, "patients", v)
		return
	}
	v.Searched = true
	sq, err := search.Parse("Patient", params, search.Options{})
	if err != nil {
		v.Error = "Enter a name, a birth date as 1970-01-31, or an identifier such as a record number."
		s.render(w, r, http.StatusBadRequest, "patients", v)
		return
	}
	res, err := s.store.Search(r.Context(), sq)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	for i, x := range res.Resources {
		if i == patientLookupMax {
			break
		}
		var m map[string]any
		if err := json.Unmarshal(x.Body, &m); err != nil {
			s.internal(w, r, err)
			return
		}
		h := patientHit{ID: x.ID, Name: humanName(m), BirthDate: str(m, "birthDate"), Gender: str(m, "gender")}
		for _, id := range list(m, "identifier") {
			if strings.Contains(concepts(id["type"]), "MR") || strings.Contains(concept(id["type"]), "Medical") {
				h.MRN = str(id, "value")
			}
		}
		if v.For == "apilog" {
			h.Use = "/admin/apilog?" + url.Values{"patient": {x.ID}}.Encode()
		} else {
			h.Use = "/admin/users?" + url.Values{"patient": {x.ID}}.Encode() + "#portal-credentials"
		}
		v.Results = append(v.Results, h)
	}
	s.render(w, r, http.StatusOK, "patients", v)
}
