package fhirapi_test

import (
	"context"
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
