package api_test

import (
	"context"
	"fmt"
	"github.com/emedpractice/emp/internal/api"
	"net/url"
	"testing"

	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
)

// fhirSearch counts the current resources matching FHIR search parameters.
func (e *testEnv) fhirSearch(rtype string, params url.Values) []fhirjson.Object {
	e.t.Helper()
	q, err := search.Parse(rtype, params, search.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	q.Count = 10000
	res, err := e.Store().Search(context.Background(), q)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []fhirjson.Object
	for _, r := range res.Resources {
		o, _ := fhirjson.Decode(r.Body)
		out = append(out, o)
	}
	return out
}

// TestSeededRecords reads records written through FHIR (the synthetic
// data set) through the API: FHIR create → API read for every type.
func TestSeededRecords(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		pts := e.SeedPatients(e.t, 1, 7)
		pa := pts[0]
		fp := e.Read(e.t, "Patient", pa)
		var p api.Patient
		e.must(200, "GET", "/api/patient/"+pa, e.staff, nil).into(t, &p)
		name := api.OfficialName(fp)
		if p.Lname != api.Str(name, "family") || p.Fname != api.Strs(name, "given")[0] || p.DOB != api.Str(fp, "birthDate") || p.Pubpid != api.MRN(fp) || p.SS == "" || p.City == "" {
			t.Errorf("seeded patient = %+v", p)
		}
		var byName []api.Patient
		e.must(200, "GET", "/api/patient?lname="+url.QueryEscape(p.Lname)+"&fname="+url.QueryEscape(p.Fname), e.staff, nil).into(t, &byName)
		if len(byName) != 1 || byName[0].UUID != pa {
			t.Errorf("search by name found %d", len(byName))
		}
		pid := fmt.Sprint(p.Pid)
		ref := url.Values{"patient": {"Patient/" + pa}}

		var encs []api.Encounter
		e.must(200, "GET", "/api/patient/"+pa+"/encounter", e.staff, nil).into(t, &encs)
		if want := len(e.fhirSearch("Encounter", ref)); len(encs) != want || want == 0 {
			t.Fatalf("%d encounters, FHIR has %d", len(encs), want)
		}
		enc := encs[len(encs)-1]
		if enc.ClassCode != "AMB" || enc.Reason == "" || enc.Date == "" || enc.FacilityID == "" || enc.ProviderID == "" {
			t.Errorf("seeded encounter = %+v", enc)
		}
		var vitals []api.Vital
		e.must(200, "GET", "/api/patient/"+pid+"/encounter/"+fmt.Sprint(enc.Encounter)+"/vital", e.staff, nil).into(t, &vitals)
		if len(vitals) == 0 || vitals[0].Pulse == "" || vitals[0].Temperature == "" || vitals[0].Weight == "" {
			t.Errorf("seeded vitals = %+v", vitals)
		}
		if len(vitals) > 0 {
			var v api.Vital
			e.must(200, "GET", "/api/patient/"+pid+"/encounter/"+enc.UUID+"/vital/"+fmt.Sprint(vitals[0].ID), e.staff, nil).into(t, &v)
			if v != vitals[0] {
				t.Errorf("vital read %+v, listed %+v", v, vitals[0])
			}
			// A set written without a panel keeps its id as it changes.
			var after api.Vital
			e.must(200, "PUT", "/api/patient/"+pid+"/encounter/"+enc.UUID+"/vital/"+v.UUID, e.staff, map[string]any{"waist_circ": "30", "note": "re-measured"}).into(t, &after)
			if after.UUID != v.UUID || after.WaistCirc != "30" || after.Note != "re-measured" || after.Pulse != v.Pulse {
				t.Errorf("vital after update %+v, before %+v", after, v)
			}
		}
		var notes []api.SoapNote
		e.must(200, "GET", "/api/patient/"+pid+"/encounter/"+enc.UUID+"/soap_note", e.staff, nil).into(t, &notes)
		if len(notes) == 0 || notes[0].Subjective == "" {
			t.Errorf("seeded soap notes = %+v", notes)
		}
		counts := []struct {
			path, rtype string
			params      url.Values
		}{
			{"/api/patient/" + pa + "/medical_problem", "Condition", url.Values{"patient": {pa}, "category": {"problem-list-item"}}},
			{"/api/patient/" + pa + "/allergy", "AllergyIntolerance", ref},
			{"/api/patient/" + pid + "/medication", "MedicationRequest", ref},
			{"/api/patient/" + pid + "/appointment", "Appointment", ref},
			{"/api/immunization?puuid=" + pa, "Immunization", ref},
			{"/api/procedure?puuid=" + pa, "Procedure", ref},
			{"/api/prescription?puuid=" + pa, "MedicationRequest", ref},
		}
		for _, c := range counts {
			var items []map[string]any
			e.must(200, "GET", c.path+sep(c.path)+"_limit=500", e.staff, nil).into(t, &items)
			if want := len(e.fhirSearch(c.rtype, c.params)); len(items) != want || want == 0 {
				t.Errorf("GET %s: %d records, FHIR has %d", c.path, len(items), want)
			}
		}
		for _, path := range []string{"/api/practitioner", "/api/facility", "/api/drug", "/api/user", "/api/appointment", "/api/allergy", "/api/medical_problem"} {
			var items []map[string]any
			e.must(200, "GET", path+"?_limit=3", e.staff, nil).into(t, &items)
			if len(items) == 0 {
				t.Errorf("GET %s: empty", path)
			}
			uuid, _ := items[0]["uuid"].(string)
			e.must(200, "GET", path+"/"+uuid, e.staff, nil)
		}
		var pr []api.Practitioner
		e.must(200, "GET", "/api/practitioner?_limit=1", e.staff, nil).into(t, &pr)
		if len(pr) != 1 || pr[0].NPI == "" || pr[0].Lname == "" {
			t.Errorf("seeded practitioner = %+v", pr)
		}
		var fac []api.Facility
		e.must(200, "GET", "/api/facility?_limit=1", e.staff, nil).into(t, &fac)
		if len(fac) != 1 || fac[0].Name == "" || fac[0].NPI == "" {
			t.Errorf("seeded facility = %+v", fac)
		}
		var imms []api.Immunization
		e.must(200, "GET", "/api/immunization?_limit=1&puuid="+pa, e.staff, nil).into(t, &imms)
		if len(imms) != 1 || imms[0].CVXCode == "" || imms[0].AdministeredDate == "" {
			t.Errorf("seeded immunization = %+v", imms)
		}
	})
}

func sep(path string) string {
	for _, c := range path {
		if c == '?' {
			return "&"
		}
	}
	return "?"
}
