package fhirapi_test

import (
	"github.com/emedpractice/emp/internal/testenv"

	"slices"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/store/storetest"
)

// everythingRecords: patients pa and pb, each with observations; pa's
// encounter names a practitioner, an organization and a location, a
// medication request names a shared Medication, and one of pa's
// observations names pb's observation (derivedFrom), which must not reach
// a token confined to pa.
func everythingRecords(t *testing.T, ts *testenv.Server, admin string) {
	obs := func(id, patient, category, extra string) string {
		return `{"resourceType":"Observation","id":"` + id + `","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"` + category + `"}]}],"code":{"text":"x"},"subject":{"reference":"Patient/` + patient + `"}` + extra + `}`
	}
	ts.PutAll(t, admin,
		`{"resourceType":"Patient","id":"pa"}`,
		`{"resourceType":"Patient","id":"pb"}`,
		`{"resourceType":"Practitioner","id":"doc"}`,
		`{"resourceType":"Practitioner","id":"unused-doc"}`,
		`{"resourceType":"Organization","id":"org","name":"The practice"}`,
		`{"resourceType":"Location","id":"loc"}`,
		`{"resourceType":"Medication","id":"med"}`,
		obs("ob1", "pb", "laboratory", ""),
		obs("oa1", "pa", "laboratory", `,"performer":[{"reference":"Practitioner/doc"}]`),
		obs("oa2", "pa", "vital-signs", `,"derivedFrom":[{"reference":"Observation/ob1"}]`),
		obs("oa3", "pa", "laboratory", ""),
		`{"resourceType":"Encounter","id":"ea","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/pa"},"participant":[{"individual":{"reference":"Practitioner/doc"}}],"serviceProvider":{"reference":"Organization/org"},"location":[{"location":{"reference":"Location/loc"}}]}`,
		`{"resourceType":"MedicationRequest","id":"mra","status":"active","intent":"order","medicationReference":{"reference":"Medication/med"},"subject":{"reference":"Patient/pa"}}`,
		`{"resourceType":"Encounter","id":"eb","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/pb"}}`,
	)
}

func keys(list []testenv.Found) []string {
	var out []string
	for _, s := range list {
		out = append(out, s.Key)
	}
	slices.Sort(out)
	return out
}

// TestPatientEverything: the patient, its compartment and what it refers
// to, each once, through next links; _type; each type gated as its search
// is; a patient token reaches only its own patient.
func TestPatientEverything(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		admin := ts.Token("user/*.cruds", "")
		everythingRecords(t, ts, admin)
		aAll := []string{"Encounter/ea", "Location/loc", "Medication/med", "MedicationRequest/mra", "Observation/oa1", "Observation/oa2", "Observation/oa3", "Observation/ob1", "Organization/org", "Patient/pa", "Practitioner/doc"}
		aOwn := []string{"Encounter/ea", "Location/loc", "Medication/med", "MedicationRequest/mra", "Observation/oa1", "Observation/oa2", "Observation/oa3", "Organization/org", "Patient/pa", "Practitioner/doc"}
		for _, c := range []struct {
			name, path, token string
			want              []string
		}{
			// A user sees what pa's records refer to, pb's observation too.
			{"user, paged by 2", "/fhir/r4/Patient/pa/$everything?_count=2", admin, aAll},
			{"patient token", "/fhir/r4/Patient/pa/$everything?_count=3", ts.Token("patient/*.rs", "pa"), aOwn},
			{"_type", "/fhir/r4/Patient/pa/$everything?_type=Observation,Practitioner", ts.Token("patient/*.rs", "pa"), []string{"Observation/oa1", "Observation/oa2", "Observation/oa3", "Practitioner/doc"}},
			{"scopes leave types out", "/fhir/r4/Patient/pa/$everything", ts.Token("patient/Patient.rs patient/Observation.rs", "pa"), []string{"Observation/oa1", "Observation/oa2", "Observation/oa3", "Patient/pa"}},
			{"granular scopes filter", "/fhir/r4/Patient/pa/$everything", ts.Token("patient/Patient.rs patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory", "pa"), []string{"Observation/oa1", "Observation/oa3", "Patient/pa"}},
			{"type level, patient token", "/fhir/r4/Patient/$everything?_count=4", ts.Token("patient/*.rs", "pa"), aOwn},
			{"type level, user", "/fhir/r4/Patient/$everything?_count=5", admin, append(slices.Clone(aAll), "Encounter/eb", "Patient/pb")},
		} {
			t.Run(c.name, func(t *testing.T) {
				got := ts.SearchAll(t, c.path, c.token)
				want := slices.Clone(c.want)
				slices.Sort(want)
				if g := keys(got); !slices.Equal(g, want) {
					t.Errorf("got  %v\nwant %v", g, want)
				}
			})
		}
		// Another patient's $everything is not found for a token confined to pa.
		if r := ts.Do("GET", "/fhir/r4/Patient/pb/$everything", ts.Token("patient/*.rs", "pa"), ""); r.Status != 404 {
			t.Errorf("pa's token on pb's $everything: %d %s", r.Status, r.Body)
		}
		if r := ts.Do("GET", "/fhir/r4/Observation/oa1/$everything", admin, ""); r.Status != 404 {
			t.Errorf("Observation $everything: %d", r.Status)
		}
		if r := ts.Do("GET", "/fhir/r4/Patient/pa/$everything?_since=2999-01-01T00:00:00Z", admin, ""); r.Status != 200 || strings.Contains(string(r.Body), `"entry"`) {
			t.Errorf("_since in the future: %d %s", r.Status, r.Body)
		}
		if r := ts.Do("GET", "/fhir/r4/Patient/pa/$everything?_type=Nope", admin, ""); r.Status != 400 {
			t.Errorf("unknown _type: %d", r.Status)
		}
	})
}

// TestSystemHistory: every type's changes, paged; a patient token sees only
// its patient's records, nothing of another patient's or shared records.
func TestSystemHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		admin := ts.Token("user/*.cruds", "")
		everythingRecords(t, ts, admin)
		if r := ts.Do("DELETE", "/fhir/r4/Observation/oa3", admin, ""); r.Status != 204 {
			t.Fatalf("delete: %d", r.Status)
		}
		versions := func(path, token string) []string {
			var out []string
			for _, s := range ts.SearchAll(t, path, token) {
				out = append(out, s.Key)
			}
			return out
		}
		all := versions("/fhir/r4/_history?_count=4", admin)
		// 14 creates and one delete (a deleted version has no resource).
		if len(all) != 15 {
			t.Errorf("system history holds %d entries, want 15: %v", len(all), all)
		}
		mine := versions("/fhir/r4/_history?_count=3", ts.Token("patient/*.rs", "pa"))
		slices.Sort(mine)
		// A deleted record leaves the compartment, so its versions leave a
		// confined history, as they leave the type history.
		want := []string{"Encounter/ea", "MedicationRequest/mra", "Observation/oa1", "Observation/oa2", "Patient/pa"}
		if !slices.Equal(mine, want) {
			t.Errorf("pa's system history: %v, want %v", mine, want)
		}
		onlyObs := versions("/fhir/r4/_history", ts.Token("user/Observation.rs", ""))
		for _, k := range onlyObs {
			if !strings.HasPrefix(k, "Observation/") && k != "/" {
				t.Errorf("Observation scopes see %s in the system history", k)
			}
		}
		if r := ts.Do("GET", "/fhir/r4/_history?_since=nope", admin, ""); r.Status != 400 {
			t.Errorf("bad _since: %d", r.Status)
		}
		if r := ts.Do("GET", "/fhir/r4/_history", "", ""); r.Status != 401 {
			t.Errorf("no token: %d", r.Status)
		}
	})
}

// TestCompartmentSearch: Patient/[id]/[type] is [type]?patient=[id], paged
// under the compartment's own links, gated as the search of the type.
func TestCompartmentSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		admin := ts.Token("user/*.cruds", "")
		everythingRecords(t, ts, admin)
		for _, c := range []struct {
			name, path, token string
			status            int
			want              []string
		}{
			{"observations paged", "/fhir/r4/Patient/pa/Observation?_count=1", admin, 200, []string{"Observation/oa1", "Observation/oa2", "Observation/oa3"}},
			{"with a parameter", "/fhir/r4/Patient/pa/Observation?category=vital-signs", admin, 200, []string{"Observation/oa2"}},
			{"other patient", "/fhir/r4/Patient/pb/Encounter", admin, 200, []string{"Encounter/eb"}},
			{"patient token, own", "/fhir/r4/Patient/pa/Encounter", ts.Token("patient/*.rs", "pa"), 200, []string{"Encounter/ea"}},
			{"patient token, another patient", "/fhir/r4/Patient/pb/Encounter", ts.Token("patient/*.rs", "pa"), 404, nil},
			{"type not granted", "/fhir/r4/Patient/pa/Encounter", ts.Token("patient/Observation.rs", "pa"), 403, nil},
			{"shared type", "/fhir/r4/Patient/pa/Practitioner", admin, 404, nil},
			{"unknown type", "/fhir/r4/Patient/pa/Nope", admin, 404, nil},
		} {
			t.Run(c.name, func(t *testing.T) {
				if c.status != 200 {
					if r := ts.Do("GET", c.path, c.token, ""); r.Status != c.status {
						t.Fatalf("%s: %d, want %d: %s", c.path, r.Status, c.status, r.Body)
					}
					return
				}
				if g := keys(ts.SearchAll(t, c.path, c.token)); !slices.Equal(g, c.want) {
					t.Errorf("got %v, want %v", g, c.want)
				}
			})
		}
	})
}

// TestCapabilityDeclaresLoadingInteractions: patch, history-system and
// Patient/$everything are declared now that they are served.
func TestCapabilityDeclaresLoadingInteractions(t *testing.T) {
	ts := testenv.Start(t, "sqlite", nil)
	body := string(ts.Do("GET", "/fhir/r4/metadata", "", "").Body)
	for _, want := range []string{`{"code":"patch"}`, `{"code":"history-system"}`, `"name":"everything"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the CapabilityStatement does not hold %s", want)
		}
	}
}
