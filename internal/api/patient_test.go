package api_test

import (
	"context"
	"fmt"
	"github.com/emedpractice/emp/internal/api"
	"testing"

	"github.com/emedpractice/emp/internal/fhir/search"
)

func TestPatientCreateReadUpdate(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		id, pid := e.newPatient("Ada", "Lovelace")
		if pid != 1 {
			t.Errorf("first pid = %d, want 1", pid)
		}
		for _, ref := range []string{id, fmt.Sprint(pid)} {
			for _, prefix := range []string{"/api", "/apis/default/api"} {
				var p api.Patient
				e.must(200, "GET", prefix+"/patient/"+ref, e.staff, nil).into(t, &p)
				if p.Fname != "Ada" || p.Lname != "Lovelace" || p.DOB != "1980-02-03" || p.Sex != "Female" || p.UUID != id || p.Pid != pid {
					t.Errorf("GET %s/patient/%s = %+v", prefix, ref, p)
				}
			}
		}
		// The API record is a FHIR api.Patient at once.
		o := e.Read(e.t, "Patient", id)
		if o["gender"] != "female" || o["birthDate"] != "1980-02-03" {
			t.Errorf("FHIR api.Patient = %v", o)
		}
		var p api.Patient
		e.must(200, "PUT", "/api/patient/"+id, e.staff, map[string]any{"city": "London", "email": "ada@example.org"}).into(t, &p)
		if p.City != "London" || p.Email != "ada@example.org" || p.Fname != "Ada" {
			t.Errorf("after PUT: %+v", p)
		}
	})
}

func TestPatientBadInput(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		tests := []struct {
			name   string
			body   any
			fields []string
		}{
			{"empty", map[string]any{}, []string{"DOB", "fname", "lname", "sex"}},
			{"bad date and email", map[string]any{"fname": "A", "lname": "Bc", "sex": "Male", "DOB": "03/02/1980", "email": "nope"}, []string{"DOB", "email"}},
			{"short last name", map[string]any{"fname": "A", "lname": "B", "sex": "Male", "DOB": "1980-02-03"}, []string{"lname"}},
			{"object value", map[string]any{"fname": map[string]any{}, "lname": "Bc", "sex": "Male", "DOB": "1980-02-03"}, []string{"fname"}},
			{"not json", "{", []string{"request"}},
		}
		for _, tc := range tests {
			a := e.must(400, "POST", "/api/patient", e.staff, tc.body)
			for _, f := range tc.fields {
				if a.ValidationErrors[f] == nil {
					t.Errorf("%s: no error for %s: %s", tc.name, f, a.Raw)
				}
			}
			if len(a.ValidationErrors) != len(tc.fields) {
				t.Errorf("%s: errors %v, want fields %v", tc.name, a.ValidationErrors, tc.fields)
			}
		}
		if n := e.Count(e.t, "Patient"); n != 0 {
			t.Errorf("%d patients written by bad requests", n)
		}
	})
}

// TestFHIRWriteSeenByAPI checks that a change made through FHIR shows in
// the API at once, even for a record the API has just shown.
func TestFHIRWriteSeenByAPI(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		id, _ := e.newPatient("Ada", "Lovelace")
		e.must(200, "GET", "/api/patient/"+id, e.staff, nil)
		o := e.Read(e.t, "Patient", id)
		api.OfficialName(o)["family"] = "Byron"
		if _, _, err := e.Store().Update(context.Background(), "Patient", id, o, 0, search.Compartment{}); err != nil {
			t.Fatal(err)
		}
		var p api.Patient
		e.must(200, "GET", "/api/patient/"+id, e.staff, nil).into(t, &p)
		if p.Lname != "Byron" {
			t.Errorf("after a FHIR update the API shows %q", p.Lname)
		}
		var ps []api.Patient
		e.must(200, "GET", "/api/patient?lname=Byron", e.staff, nil).into(t, &ps)
		if len(ps) != 1 || ps[0].UUID != id {
			t.Errorf("search after a FHIR update: %+v", ps)
		}
		// A FHIR delete removes the record from the API.
		if err := e.Store().Delete(context.Background(), "Patient", id, search.Compartment{}); err != nil {
			t.Fatal(err)
		}
		e.must(404, "GET", "/api/patient/"+id, e.staff, nil)
	})
}
