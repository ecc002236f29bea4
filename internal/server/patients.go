package server

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/store"
)

// patientDirectory shows the authorization server's patient picker the
// Patient resources of the store.
type patientDirectory struct{ st *store.Store }

// SearchPatients matches the query against any part of a patient's name:
// each word must start a given or family name ("ann sm" finds Anne Smith).
func (d patientDirectory) SearchPatients(ctx context.Context, query string, limit int) ([]auth.PatientSummary, error) {
	params := url.Values{"_count": {itoa(limit)}, "_sort": {"family"}}
	for _, w := range strings.Fields(query) {
		params.Add("name", w)
	}
	q, err := search.Parse("Patient", params, search.Options{})
	if err != nil {
		return nil, err
	}
	res, err := d.st.Search(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]auth.PatientSummary, 0, len(res.Resources))
	for _, r := range res.Resources {
		out = append(out, summarize(r))
	}
	return out, nil
}

func (d patientDirectory) Patient(ctx context.Context, id string) (auth.PatientSummary, error) {
	r, err := d.st.Read(ctx, "Patient", id, search.Compartment{})
	if err != nil {
		return auth.PatientSummary{}, err
	}
	return summarize(r), nil
}

// summarize reads the display fields of a stored Patient: the official (or
// first) name as "Given Family".
func summarize(r *store.Resource) auth.PatientSummary {
	var p struct {
		Name []struct {
			Use    string   `json:"use"`
			Text   string   `json:"text"`
			Family string   `json:"family"`
			Given  []string `json:"given"`
		} `json:"name"`
		BirthDate string `json:"birthDate"`
		Gender    string `json:"gender"`
	}
	_ = json.Unmarshal(r.Body, &p) // a stored resource is valid JSON
	s := auth.PatientSummary{ID: r.ID, BirthDate: p.BirthDate, Gender: p.Gender}
	best := -1
	for i, n := range p.Name {
		if best < 0 || n.Use == "official" && p.Name[best].Use != "official" {
			best = i
		}
	}
	if best >= 0 {
		n := p.Name[best]
		s.Name = strings.TrimSpace(strings.Join(append(append([]string{}, n.Given...), n.Family), " "))
		if s.Name == "" {
			s.Name = n.Text
		}
	}
	if s.Name == "" {
		s.Name = "Patient " + r.ID
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }
