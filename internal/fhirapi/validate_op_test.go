package fhirapi_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/store/storetest"
	"github.com/emedpractice/emp/internal/testenv"
)

const usCorePatient = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"

const noIdentifier = `{"resourceType":"Patient","name":[{"family":"Shaw","given":["Amy"]}],"gender":"female"}`

func TestValidateOperation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		admin := ts.Token("user/*.cruds", "")
		reader := ts.Token("user/Patient.rs", "")
		params := `{"resourceType":"Parameters","parameter":[{"name":"resource","resource":` + noIdentifier +
			`},{"name":"profile","valueCanonical":"` + usCorePatient + `"},{"name":"mode","valueCode":"create"}]}`
		tests := []struct {
			name, method, path, token, body string
			status                          int
			want                            []string
		}{
			{"missing identifier named", "POST", "/fhir/r4/Patient/$validate?profile=" + usCorePatient, admin, noIdentifier,
				200, []string{`"severity":"error"`, `"Patient.identifier"`, "minimum required = 1"}},
			{"parameters form", "POST", "/fhir/r4/Patient/$validate", admin, params, 200, []string{`"Patient.identifier"`}},
			{"instance", "POST", "/fhir/r4/Patient/abc/$validate?mode=update&profile=" + usCorePatient, admin, noIdentifier,
				200, []string{`"Patient.identifier"`, `"severity":"information"`}},
			{"no profile, valid", "POST", "/fhir/r4/Patient/$validate", admin, noIdentifier, 200, []string{"no issues found"}},
			{"core errors", "POST", "/fhir/r4/Patient/$validate", admin, `{"resourceType":"Patient","gender":"xx"}`,
				200, []string{`"severity":"error"`, "Patient.gender"}},
			{"unknown profile", "POST", "/fhir/r4/Patient/$validate?profile=http://example.org/p", admin, noIdentifier,
				200, []string{"unknown profile"}},
			{"reader may validate without mode", "POST", "/fhir/r4/Patient/$validate", reader, noIdentifier, 200, nil},
			{"reader may not validate a create", "POST", "/fhir/r4/Patient/$validate?mode=create", reader, noIdentifier, 403, nil},
			{"other type denied", "POST", "/fhir/r4/Observation/$validate", reader, `{"resourceType":"Observation"}`, 403, nil},
			{"bad mode", "POST", "/fhir/r4/Patient/$validate?mode=x", admin, noIdentifier, 400, nil},
			{"GET not allowed", "GET", "/fhir/r4/Patient/$validate", admin, "", 405, nil},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				r := ts.Do(tc.method, tc.path, tc.token, tc.body)
				if r.Status != tc.status {
					t.Fatalf("%d, want %d: %s", r.Status, tc.status, r.Body)
				}
				for _, w := range tc.want {
					if !strings.Contains(string(r.Body), w) {
						t.Errorf("missing %s in %s", w, r.Body)
					}
				}
			})
		}
	})
}

func TestValidateProfilesSetting(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		admin := ts.Token("user/*.cruds", "")
		declared := strings.Replace(noIdentifier, `{"resourceType":"Patient",`,
			`{"resourceType":"Patient","meta":{"profile":["`+usCorePatient+`"]},`, 1)
		tests := []struct {
			setting, body string
			status        int
		}{
			{"", noIdentifier, 201},
			{"off", declared, 201},
			{"declared", noIdentifier, 201},
			{"declared", declared, 400},
			{"us-core", noIdentifier, 400},
		}
		for _, tc := range tests {
			if tc.setting != "" {
				if err := ts.App.Store.SetSetting(context.Background(), "validate_profiles", tc.setting); err != nil {
					t.Fatal(err)
				}
			}
			r := ts.Do("POST", "/fhir/r4/Patient", admin, tc.body)
			if r.Status != tc.status {
				t.Fatalf("%s: %d, want %d: %s", tc.setting, r.Status, tc.status, r.Body)
			}
			if tc.status == 400 && !strings.Contains(string(r.Body), "Patient.identifier") {
				t.Errorf("%s: the error does not name the element: %s", tc.setting, r.Body)
			}
		}
	})
}

// TestValidateProfilesInBundlesAndPatch: validate_profiles holds for every
// write path, not only a plain create: a transaction with one entry that
// breaks the profile is refused whole, naming the entry; a batch answers
// that entry 400 and writes the others; a PATCH that would leave the
// resource out of its profile is refused.
func TestValidateProfilesInBundlesAndPatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		admin := ts.Token("user/*.cruds", "")
		if err := ts.App.Store.SetSetting(context.Background(), "validate_profiles", "us-core"); err != nil {
			t.Fatal(err)
		}
		good := strings.Replace(noIdentifier, `"gender"`, `"identifier":[{"system":"urn:mrn","value":"1"}],"gender"`, 1)
		bundle := func(typ string) string {
			return `{"resourceType":"Bundle","type":"` + typ + `","entry":[` +
				`{"fullUrl":"urn:uuid:1","resource":` + good + `,"request":{"method":"POST","url":"Patient"}},` +
				`{"fullUrl":"urn:uuid:2","resource":` + noIdentifier + `,"request":{"method":"POST","url":"Patient"}}]}`
		}
		r := ts.Do("POST", "/fhir/r4", admin, bundle("transaction"))
		if r.Status != 400 || !strings.Contains(string(r.Body), "Bundle.entry[1].resource.identifier") {
			t.Errorf("transaction: %d %s, want 400 naming Bundle.entry[1].resource.identifier", r.Status, r.Body)
		}
		if n := countPatients(t, ts, admin); n != 0 {
			t.Errorf("a refused transaction wrote %d patients", n)
		}
		r = ts.Do("POST", "/fhir/r4", admin, bundle("batch"))
		if r.Status != 200 {
			t.Fatalf("batch: %d %s", r.Status, r.Body)
		}
		statuses := batchStatuses(t, r.Body)
		if len(statuses) != 2 || !strings.HasPrefix(statuses[0], "201") || !strings.HasPrefix(statuses[1], "400") {
			t.Errorf("batch statuses %v, want 201 then 400", statuses)
		}
		if !strings.Contains(string(r.Body), "Bundle.entry[1].resource.identifier") {
			t.Errorf("the batch entry's outcome does not name Bundle.entry[1].resource.identifier: %s", r.Body)
		}

		c := ts.Do("POST", "/fhir/r4/Patient", admin, good)
		if c.Status != 201 {
			t.Fatalf("create: %d %s", c.Status, c.Body)
		}
		loc := c.Header.Get("Location")
		id := strings.Split(loc[strings.Index(loc, "/Patient/")+len("/Patient/"):], "/")[0]
		p := ts.Do("PATCH", "/fhir/r4/Patient/"+id, admin, `[{"op":"remove","path":"/identifier"}]`,
			"Content-Type", "application/json-patch+json")
		if p.Status != 400 || !strings.Contains(string(p.Body), "Patient.identifier") {
			t.Errorf("patch: %d %s, want 400 naming Patient.identifier", p.Status, p.Body)
		}
	})
}

func countPatients(t *testing.T, ts *testenv.Server, token string) int {
	t.Helper()
	return len(testenv.Entries(t, ts.Do("GET", "/fhir/r4/Patient", token, "")))
}

// batchStatuses lists response.status of each entry of a batch-response.
func batchStatuses(t *testing.T, body []byte) []string {
	t.Helper()
	var b struct {
		Entry []struct {
			Response struct{ Status string } `json:"response"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range b.Entry {
		out = append(out, e.Response.Status)
	}
	return out
}
