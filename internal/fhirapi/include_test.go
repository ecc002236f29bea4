package fhirapi_test

import (
	"github.com/emedpractice/emp/internal/testenv"

	"context"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/seed"
	"github.com/emedpractice/emp/internal/server"

	"github.com/emedpractice/emp/internal/store/storetest"
)

func TestIncludeAndRevinclude(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		admin := ts.Token("user/*.cruds", "")
		puts := []string{
			`{"resourceType":"Patient","id":"a"}`,
			`{"resourceType":"Patient","id":"b"}`,
			`{"resourceType":"Practitioner","id":"doc"}`,
			`{"resourceType":"Medication","id":"med1","code":{"text":"aspirin"}}`,
			`{"resourceType":"MedicationRequest","id":"mr1","status":"active","intent":"order","subject":{"reference":"Patient/a"},"medicationReference":{"reference":"Medication/med1"},"requester":{"reference":"Practitioner/doc"}}`,
			`{"resourceType":"Provenance","id":"prov-a","target":[{"reference":"Patient/a"}],"recorded":"2024-01-01T00:00:00Z","agent":[{"who":{"reference":"Practitioner/doc"}}]}`,
			`{"resourceType":"Provenance","id":"prov-b","target":[{"reference":"Patient/b"}],"recorded":"2024-01-01T00:00:00Z","agent":[{"who":{"reference":"Practitioner/doc"}}]}`,
			`{"resourceType":"Observation","id":"lab-a","status":"final","category":[{"coding":[{"system":"` + obsCategory + `","code":"laboratory"}]}],"code":{"text":"glucose"},"subject":{"reference":"Patient/a"}}`,
			`{"resourceType":"Observation","id":"vital-a","status":"final","category":[{"coding":[{"system":"` + obsCategory + `","code":"vital-signs"}]}],"code":{"text":"pulse"},"subject":{"reference":"Patient/a"}}`,
			`{"resourceType":"Observation","id":"lab-b","status":"final","category":[{"coding":[{"system":"` + obsCategory + `","code":"laboratory"}]}],"code":{"text":"glucose"},"subject":{"reference":"Patient/b"}}`,
			`{"resourceType":"DiagnosticReport","id":"dr-a","status":"final","code":{"text":"panel"},"subject":{"reference":"Patient/a"},"result":[{"reference":"Observation/lab-a"},{"reference":"Observation/vital-a"},{"reference":"Observation/lab-b"},{"reference":"Observation/missing"}]}`,
		}
		for _, body := range puts {
			typ := strings.Split(strings.Split(body, `"resourceType":"`)[1], `"`)[0]
			id := strings.Split(strings.Split(body, `"id":"`)[1], `"`)[0]
			if r := ts.Do("PUT", "/fhir/r4/"+typ+"/"+id, admin, body); r.Status != 201 {
				t.Fatalf("PUT %s/%s: %d %s", typ, id, r.Status, r.Body)
			}
		}
		tests := []struct {
			name, query, token string
			want               string
		}{
			{"include medication", "/fhir/r4/MedicationRequest?patient=a&_include=MedicationRequest:medication", admin,
				"match MedicationRequest/mr1,include Medication/med1"},
			{"include two params", "/fhir/r4/MedicationRequest?_include=MedicationRequest:medication&_include=MedicationRequest:requester:Practitioner", admin,
				"match MedicationRequest/mr1,include Medication/med1,include Practitioner/doc"},
			{"revinclude provenance", "/fhir/r4/Patient?_id=a&_revinclude=Provenance:target", admin,
				"match Patient/a,include Provenance/prov-a"},
			{"patient token: own provenance only", "/fhir/r4/Patient?_revinclude=Provenance:target", ts.Token("patient/*.rs", "a"),
				"match Patient/a,include Provenance/prov-a"},
			{"type not granted is left out", "/fhir/r4/Patient?_id=a&_revinclude=Provenance:target", ts.Token("patient/Patient.rs", "a"),
				"match Patient/a"},
			{"include reads every target at once", "/fhir/r4/DiagnosticReport?_include=DiagnosticReport:result", admin,
				"match DiagnosticReport/dr-a,include Observation/lab-a,include Observation/vital-a,include Observation/lab-b"},
			{"patient token: another patient's target left out", "/fhir/r4/DiagnosticReport?_include=DiagnosticReport:result", ts.Token("patient/*.rs", "a"),
				"match DiagnosticReport/dr-a,include Observation/lab-a,include Observation/vital-a"},
			{"granular scope filters the targets", "/fhir/r4/DiagnosticReport?_include=DiagnosticReport:result",
				ts.Token("patient/DiagnosticReport.rs patient/Observation.rs?category="+obsCategory+"|laboratory", "a"),
				"match DiagnosticReport/dr-a,include Observation/lab-a"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := ts.Do("GET", tt.query, tt.token, "")
				if r.Status != 200 {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				if got := strings.Join(testenv.Entries(t, r), ","); got != tt.want {
					t.Errorf("entries = %s, want %s", got, tt.want)
				}
			})
		}
		for _, bad := range []string{
			"/fhir/r4/MedicationRequest?_include=MedicationRequest:status",
			"/fhir/r4/MedicationRequest?_include=Patient:organization",
			"/fhir/r4/MedicationRequest?_include=MedicationRequest:*",
			"/fhir/r4/Patient?_revinclude=Provenance:nothing",
			"/fhir/r4/Patient?_include:iterate=Patient:*",
			"/fhir/r4/Patient?_include:iterate=Patient:nothing",
			"/fhir/r4/Patient?_revinclude:iterate=Observation:encounter:Patient",
		} {
			r := ts.Do("GET", bad, admin, "")
			if r.Status != 400 || !strings.Contains(string(r.Body), "OperationOutcome") || !strings.Contains(string(r.Body), "_include") && !strings.Contains(string(r.Body), "_revinclude") {
				t.Errorf("%s: %d %s", bad, r.Status, r.Body)
			}
		}
	})
}

// TestIncludeIterate: :iterate includes follow references from what was
// included, round after round, at most three rounds past the matches, with
// the same gates as any include.
func TestIncludeIterate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		admin := ts.Token("user/*.cruds", "")
		ts.PutAll(t, admin,
			`{"resourceType":"Organization","id":"org5","name":"Org 5"}`,
			`{"resourceType":"Organization","id":"org4","name":"Org 4","partOf":{"reference":"Organization/org5"}}`,
			`{"resourceType":"Organization","id":"org3","name":"Org 3","partOf":{"reference":"Organization/org4"}}`,
			`{"resourceType":"Organization","id":"org2","name":"Org 2","partOf":{"reference":"Organization/org3"}}`,
			`{"resourceType":"Organization","id":"org1","name":"Org 1","partOf":{"reference":"Organization/org2"}}`,
			`{"resourceType":"Practitioner","id":"doc"}`,
			`{"resourceType":"Patient","id":"a","managingOrganization":{"reference":"Organization/org1"},"generalPractitioner":[{"reference":"Practitioner/doc"}]}`,
			`{"resourceType":"Patient","id":"b"}`,
			`{"resourceType":"Medication","id":"med1","manufacturer":{"reference":"Organization/org4"}}`,
			`{"resourceType":"MedicationRequest","id":"mr1","status":"active","intent":"order","subject":{"reference":"Patient/a"},"medicationReference":{"reference":"Medication/med1"}}`,
			`{"resourceType":"Encounter","id":"enc1","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/a"}}`,
			`{"resourceType":"Observation","id":"obs1","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/a"},"encounter":{"reference":"Encounter/enc1"},"performer":[{"reference":"Patient/b"}]}`,
			`{"resourceType":"DiagnosticReport","id":"dr1","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/a"},"result":[{"reference":"Observation/obs1"}]}`,
			`{"resourceType":"Provenance","id":"prov-a","target":[{"reference":"Patient/a"}],"recorded":"2024-01-01T00:00:00Z","agent":[{"who":{"reference":"Practitioner/doc"}}]}`,
		)
		tokA := ts.Token("patient/*.rs", "a")
		tests := []struct {
			name, query, token string
			want               string
		}{
			{"include then iterate", "MedicationRequest?_include=MedicationRequest:medication&_include:iterate=Medication:manufacturer", admin,
				"match MedicationRequest/mr1,include Medication/med1,include Organization/org4"},
			{"iterate alone starts from the matches", "MedicationRequest?_include:iterate=MedicationRequest:patient&_include:iterate=Patient:general-practitioner", admin,
				"match MedicationRequest/mr1,include Patient/a,include Practitioner/doc"},
			{"three rounds at most", "MedicationRequest?_include=MedicationRequest:patient&_include:iterate=Patient:organization&_include:iterate=Organization:partof", admin,
				"match MedicationRequest/mr1,include Patient/a,include Organization/org1,include Organization/org2,include Organization/org3"},
			{"without iterate one level only", "MedicationRequest?_include=MedicationRequest:patient&_include=Patient:organization", admin, ""},
			{"revinclude iterate", "Encounter?_revinclude=Observation:encounter&_revinclude:iterate=DiagnosticReport:result", admin,
				"match Encounter/enc1,include Observation/obs1,include DiagnosticReport/dr1"},
			{"revinclude then include iterate", "Patient?_id=a&_revinclude=Provenance:target&_include:iterate=Provenance:agent", admin,
				"match Patient/a,include Provenance/prov-a,include Practitioner/doc"},
			{"admin follows the performer", "Encounter?_revinclude=Observation:encounter&_include:iterate=Observation:performer", admin,
				"match Encounter/enc1,include Observation/obs1,include Patient/b"},
			// A patient token: another patient's record is left out, and so
			// is a type the token may not read.
			{"patient: other patient left out", "Encounter?_revinclude=Observation:encounter&_include:iterate=Observation:performer", tokA,
				"match Encounter/enc1,include Observation/obs1"},
			{"patient: own records", "Encounter?_revinclude=Observation:encounter&_revinclude:iterate=DiagnosticReport:result", tokA,
				"match Encounter/enc1,include Observation/obs1,include DiagnosticReport/dr1"},
			{"type not granted is left out", "Patient?_revinclude=Provenance:target&_include:iterate=Provenance:agent", ts.Token("patient/Patient.rs patient/Provenance.rs", "a"),
				"match Patient/a,include Provenance/prov-a"},
			{"iterate type not granted is left out", "Encounter?_revinclude=Observation:encounter&_revinclude:iterate=DiagnosticReport:result", ts.Token("patient/Encounter.rs patient/Observation.rs", "a"),
				"match Encounter/enc1,include Observation/obs1"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := ts.Do("GET", "/fhir/r4/"+tt.query, tt.token, "")
				if tt.want == "" {
					if r.Status != 400 {
						t.Fatalf("%d %s", r.Status, r.Body)
					}
					return
				}
				if r.Status != 200 {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				if got := strings.Join(testenv.Entries(t, r), ","); got != tt.want {
					t.Errorf("entries = %s, want %s", got, tt.want)
				}
				if self := r.JSON(t)["link"].([]any)[0].(map[string]any)["url"].(string); strings.Contains(tt.query, ":iterate") && !strings.Contains(self, "%3Aiterate=") {
					t.Errorf("self link %s drops :iterate", self)
				}
			})
		}
	})
}

// TestSeededProvenanceReachesThePatient: a patient's app gets the Provenance
// of its records through _revinclude, as US Core asks.
func TestSeededProvenanceReachesThePatient(t *testing.T) {
	ts := testenv.Start(t, "sqlite", nil)
	if _, err := server.Seed(context.Background(), ts.App.Store, seed.Options{Patients: 1, Seed: 3, Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, nil); err != nil {
		t.Fatal(err)
	}
	patient, err := ts.App.FirstPatient(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tok := ts.Token("patient/*.rs", patient)
	r := ts.Do("GET", "/fhir/r4/Encounter?patient="+patient+"&_revinclude=Provenance:target", tok, "")
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	var provenance int
	for _, e := range testenv.Entries(t, r) {
		if strings.HasPrefix(e, "include Provenance/") {
			provenance++
		}
	}
	if provenance == 0 {
		t.Errorf("no Provenance included for the patient's own Encounters: %v", testenv.Entries(t, r))
	}
}
