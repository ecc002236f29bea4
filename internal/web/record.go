package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/store"
)

// section is one block of the portal's record view: a search in the
// patient's compartment and how each resource becomes a row.
type section struct {
	ID, Title, Empty string
	Type             string
	Params           func(today string) url.Values
	Columns          []string
	Row              func(res map[string]any) []string
}

// sections are what the portal shows, in order. Each is one keyset page of
// a store search, so the page costs the same for a patient with ten years
// of records as for a new one.
var sections = []section{
	{ID: "appointments", Title: "Upcoming appointments", Empty: "No upcoming appointments.", Type: "Appointment",
		Params: func(today string) url.Values {
			return url.Values{"date": {"ge" + today}, "_sort": {"date"}, "_count": {"5"}}
		},
		Columns: []string{"When", "What", "Status"},
		Row: func(m map[string]any) []string {
			return []string{day(str(m, "start")), first(str(m, "description"), concept(m["appointmentType"])), str(m, "status")}
		}},
	{ID: "encounters", Title: "Recent visits", Empty: "No visits on file.", Type: "Encounter",
		Params:  func(string) url.Values { return url.Values{"_sort": {"-date"}, "_count": {"5"}} },
		Columns: []string{"When", "Visit", "Status"},
		Row: func(m map[string]any) []string {
			return []string{day(str(obj(m, "period"), "start")), concepts(m["type"]), str(m, "status")}
		}},
	{ID: "problems", Title: "Problems", Empty: "No problems on file.", Type: "Condition",
		Params:  func(string) url.Values { return url.Values{"_sort": {"-recorded-date"}, "_count": {"20"}} },
		Columns: []string{"Problem", "Status", "Since"},
		Row: func(m map[string]any) []string {
			return []string{concept(m["code"]), concept(m["clinicalStatus"]), day(str(m, "onsetDateTime"))}
		}},
	// Every prescription, newest first, each with its status: showing only
	// the active ones made a patient whose courses had ended read "no
	// medications" about a record full of them.
	{ID: "medications", Title: "Medications and prescriptions", Empty: "No prescriptions on file.", Type: "MedicationRequest",
		Params: func(string) url.Values {
			return url.Values{"_sort": {"-authoredon"}, "_count": {"20"}}
		},
		Columns: []string{"Medication", "Instructions", "Prescribed", "Status"},
		Row: func(m map[string]any) []string {
			return []string{concept(m["medicationCodeableConcept"]), dosage(m), day(str(m, "authoredOn")), medStatus(str(m, "status"))}
		}},
	{ID: "allergies", Title: "Allergies", Empty: "No known allergies.", Type: "AllergyIntolerance",
		Params:  func(string) url.Values { return url.Values{"_count": {"20"}} },
		Columns: []string{"Allergy", "Criticality", "Status"},
		Row: func(m map[string]any) []string {
			return []string{concept(m["code"]), str(m, "criticality"), concept(m["clinicalStatus"])}
		}},
	{ID: "results", Title: "Recent results", Empty: "No results on file.", Type: "Observation",
		Params: func(string) url.Values {
			return url.Values{"category": {"laboratory"}, "_sort": {"-date"}, "_count": {"10"}}
		},
		Columns: []string{"Test", "Result", "Date"},
		Row: func(m map[string]any) []string {
			return []string{concept(m["code"]), value(m), day(str(m, "effectiveDateTime"))}
		}},
}

// medStatus says a prescription's status in words.
func medStatus(s string) string {
	switch s {
	case "active":
		return "Active"
	case "completed":
		return "Finished"
	case "stopped", "cancelled":
		return "Stopped"
	case "on-hold":
		return "On hold"
	case "draft":
		return "Not yet prescribed"
	case "entered-in-error":
		return "Entered in error"
	}
	return s
}

type sectionView struct {
	ID, Title, Empty string
	Columns          []string
	Rows             [][]string
	Failed           bool
}

// demographics is the portal's summary of the Patient resource.
type demographics struct {
	Name, BirthDate, Gender, Phone, Email, Address, MRN string
}

func (s *Site) readPatient(r *http.Request, id string) (*store.Resource, error) {
	return s.store.Read(r.Context(), "Patient", id, search.Compartment{Restricted: true, Patient: id})
}

func (s *Site) demographics(r *http.Request, patient string) (demographics, error) {
	res, err := s.readPatient(r, patient)
	if err != nil {
		return demographics{}, err
	}
	var m map[string]any
	if err := json.Unmarshal(res.Body, &m); err != nil {
		return demographics{}, err
	}
	d := demographics{Name: humanName(m), BirthDate: str(m, "birthDate"), Gender: str(m, "gender")}
	for _, t := range list(m, "telecom") {
		switch str(t, "system") {
		case "phone":
			d.Phone = first(d.Phone, str(t, "value"))
		case "email":
			d.Email = first(d.Email, str(t, "value"))
		}
	}
	if a := list(m, "address"); len(a) > 0 {
		var parts []string
		lineList, _ := a[0]["line"].([]any)
		for _, l := range lineList {
			if s, ok := l.(string); ok {
				parts = append(parts, s)
			}
		}
		parts = append(parts, strings.TrimSpace(str(a[0], "city")+" "+str(a[0], "state")+" "+str(a[0], "postalCode")))
		d.Address = strings.Join(parts, ", ")
	}
	for _, id := range list(m, "identifier") {
		if strings.Contains(concepts(id["type"]), "MR") || strings.Contains(concept(id["type"]), "Medical") {
			d.MRN = str(id, "value")
		}
	}
	return d, nil
}

// loadSections runs every section's search. A failing section is shown as
// unavailable (and logged) rather than failing the whole page.
func (s *Site) loadSections(r *http.Request, patient string) []sectionView {
	today := s.now().UTC().Format("2006-01-02")
	out := make([]sectionView, 0, len(sections))
	for _, sec := range sections {
		v := sectionView{ID: sec.ID, Title: sec.Title, Empty: sec.Empty, Columns: sec.Columns}
		rows, err := s.searchSection(r, sec, patient, today)
		if err != nil {
			s.logger.ErrorContext(r.Context(), "web: portal section", "section", sec.ID, "err", err)
			v.Failed = true
		}
		v.Rows = rows
		out = append(out, v)
	}
	return out
}

func (s *Site) searchSection(r *http.Request, sec section, patient, today string) ([][]string, error) {
	q, err := search.Parse(sec.Type, sec.Params(today), search.Options{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sec.Type, err)
	}
	q.Compartment = search.Compartment{Restricted: true, Patient: patient}
	res, err := s.store.Search(r.Context(), q)
	if err != nil {
		return nil, err
	}
	rows := make([][]string, 0, len(res.Resources))
	for _, x := range res.Resources {
		var m map[string]any
		if err := json.Unmarshal(x.Body, &m); err != nil {
			return nil, err
		}
		rows = append(rows, sec.Row(m))
	}
	return rows, nil
}
