package fhirapi_test

import (
	"github.com/emedpractice/emp/internal/testenv"

	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/store/storetest"
)

func TestDocref(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		admin := ts.Token("user/*.cruds", "")
		doc := func(id, patient, loinc, start, end, date string) string {
			return `{"resourceType":"DocumentReference","id":"` + id + `","status":"current",
				"type":{"coding":[{"system":"http://loinc.org","code":"` + loinc + `"}]},
				"subject":{"reference":"Patient/` + patient + `"},"date":"` + date + `",
				"content":[{"attachment":{"contentType":"text/plain","data":"aGk="}}],
				"context":{"period":{"start":"` + start + `","end":"` + end + `"}}}`
		}
		for _, p := range []string{"a", "b"} {
			ts.Do("PUT", "/fhir/r4/Patient/"+p, admin, `{"resourceType":"Patient","id":"`+p+`"}`)
		}
		for _, d := range []struct{ id, patient, loinc, start, end, date string }{
			{"ccd-old", "a", "34133-9", "2023-01-01", "2023-01-02", "2023-01-02T00:00:00Z"},
			{"ccd-new", "a", "34133-9", "2024-05-01", "2024-05-02", "2024-05-02T00:00:00Z"},
			{"note-2024", "a", "11506-3", "2024-03-01", "2024-03-01", "2024-03-01T00:00:00Z"},
			{"note-2022", "a", "11506-3", "2022-03-01", "2022-03-01", "2022-03-01T00:00:00Z"},
			{"ccd-b", "b", "34133-9", "2024-06-01", "2024-06-01", "2024-06-01T00:00:00Z"},
		} {
			if r := ts.Do("PUT", "/fhir/r4/DocumentReference/"+d.id, admin, doc(d.id, d.patient, d.loinc, d.start, d.end, d.date)); r.Status != 201 {
				t.Fatalf("PUT %s: %d %s", d.id, r.Status, r.Body)
			}
		}
		tests := []struct {
			name, method, path, body, token string
			status                          int
			want                            string
		}{
			{"latest CCD", "GET", "/fhir/r4/DocumentReference/$docref?patient=a", "", admin, 200, "match DocumentReference/ccd-new"},
			{"date range", "GET", "/fhir/r4/DocumentReference/$docref?patient=a&start=2024-01-01&end=2024-12-31", "", admin, 200,
				"match DocumentReference/ccd-new,match DocumentReference/note-2024"},
			{"type", "GET", "/fhir/r4/DocumentReference/$docref?patient=Patient/a&type=http://loinc.org|11506-3", "", admin, 200,
				"match DocumentReference/note-2024,match DocumentReference/note-2022"},
			{"POST Parameters", "POST", "/fhir/r4/DocumentReference/$docref",
				`{"resourceType":"Parameters","parameter":[{"name":"patient","valueId":"a"},{"name":"start","valueDate":"2022-01-01"},{"name":"end","valueDate":"2022-12-31"}]}`,
				admin, 200, "match DocumentReference/note-2022"},
			{"patient token, own", "GET", "/fhir/r4/DocumentReference/$docref?patient=a", "", ts.Token("patient/DocumentReference.rs", "a"), 200, "match DocumentReference/ccd-new"},
			{"patient token, another's", "GET", "/fhir/r4/DocumentReference/$docref?patient=b", "", ts.Token("patient/DocumentReference.rs", "a"), 200, ""},
			{"no patient", "GET", "/fhir/r4/DocumentReference/$docref", "", admin, 400, ""},
			{"bad date", "GET", "/fhir/r4/DocumentReference/$docref?patient=a&start=yesterday", "", admin, 400, ""},
			{"unknown parameter", "GET", "/fhir/r4/DocumentReference/$docref?patient=a&colour=blue", "", admin, 400, ""},
			{"not a Parameters body", "POST", "/fhir/r4/DocumentReference/$docref", `{"resourceType":"Patient"}`, admin, 400, ""},
			{"other type", "GET", "/fhir/r4/Observation/$docref?patient=a", "", admin, 404, ""},
			{"no token", "GET", "/fhir/r4/DocumentReference/$docref?patient=a", "", "", 401, ""},
			{"type not granted", "GET", "/fhir/r4/DocumentReference/$docref?patient=a", "", ts.Token("patient/Observation.rs", "a"), 403, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := ts.Do(tt.method, tt.path, tt.token, tt.body)
				if r.Status != tt.status {
					t.Fatalf("%d, want %d: %s", r.Status, tt.status, r.Body)
				}
				if tt.status == 200 {
					if got := strings.Join(testenv.Entries(t, r), ","); got != tt.want {
						t.Errorf("entries = %q, want %q", got, tt.want)
					}
				}
			})
		}
		if r := ts.Do("GET", "/fhir/r4/metadata", "", ""); !strings.Contains(string(r.Body), "OperationDefinition/docref") {
			t.Error("CapabilityStatement does not declare $docref")
		}
	})
}
