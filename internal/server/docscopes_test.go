package server_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestDocumentScopesAsWritten: the scopes the product's scope list names
// for documents do what they say. DocumentReference.$docref (patient/,
// user/, system/) runs $docref, confined to the patient for patient/, and
// nothing else; Document.read (and v2 Document.rs) reads and searches
// DocumentReference and Binary, and nothing else.
func TestDocumentScopesAsWritten(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newTestServer(t, dialect)
		admin := ts.token("user/*.cruds", "")
		for _, p := range []string{"a", "b"} {
			ts.do("PUT", "/fhir/r4/Patient/"+p, admin, `{"resourceType":"Patient","id":"`+p+`"}`)
		}
		puts := map[string]string{
			"DocumentReference/ccd-a": `{"resourceType":"DocumentReference","id":"ccd-a","status":"current",
				"type":{"coding":[{"system":"http://loinc.org","code":"34133-9"}]},"subject":{"reference":"Patient/a"},
				"content":[{"attachment":{"contentType":"text/plain","url":"Binary/bin-a"}}]}`,
			"DocumentReference/ccd-b": `{"resourceType":"DocumentReference","id":"ccd-b","status":"current",
				"type":{"coding":[{"system":"http://loinc.org","code":"34133-9"}]},"subject":{"reference":"Patient/b"},
				"content":[{"attachment":{"contentType":"text/plain","url":"Binary/bin-b"}}]}`,
			"Binary/bin-a":      `{"resourceType":"Binary","id":"bin-a","contentType":"text/plain","securityContext":{"reference":"Patient/a"},"data":"aGk="}`,
			"Observation/obs-a": `{"resourceType":"Observation","id":"obs-a","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/a"}}`,
		}
		for path, body := range puts {
			if r := ts.do("PUT", "/fhir/r4/"+path, admin, body); r.status != 201 {
				t.Fatalf("PUT %s: %d %s", path, r.status, r.body)
			}
		}
		docrefPatient := ts.token("patient/DocumentReference.$docref", "a")
		docrefUser := ts.token("user/DocumentReference.$docref", "")
		docrefSystem := ts.token("system/DocumentReference.$docref", "")
		docRead := ts.token("patient/Document.read", "a")
		docRS := ts.token("user/Document.rs", "")
		tests := []struct {
			name, path, token string
			status            int
			want              string // the entries of a 200 Bundle; the id of a 200 read
		}{
			{"patient $docref, own", "/fhir/r4/DocumentReference/$docref?patient=a", docrefPatient, 200, "match DocumentReference/ccd-a"},
			{"patient $docref, another's", "/fhir/r4/DocumentReference/$docref?patient=b", docrefPatient, 200, ""},
			{"user $docref", "/fhir/r4/DocumentReference/$docref?patient=b", docrefUser, 200, "match DocumentReference/ccd-b"},
			{"system $docref", "/fhir/r4/DocumentReference/$docref?patient=b", docrefSystem, 200, "match DocumentReference/ccd-b"},
			{"$docref scope does not search", "/fhir/r4/DocumentReference?patient=a", docrefPatient, 403, ""},
			{"$docref scope does not read", "/fhir/r4/DocumentReference/ccd-a", docrefUser, 403, ""},
			{"Document.read searches DocumentReference", "/fhir/r4/DocumentReference", docRead, 200, "match DocumentReference/ccd-a"},
			{"Document.read reads DocumentReference", "/fhir/r4/DocumentReference/ccd-a", docRead, 200, "ccd-a"},
			{"Document.read runs $docref", "/fhir/r4/DocumentReference/$docref?patient=a", docRead, 200, "match DocumentReference/ccd-a"},
			{"Document.read reads Binary", "/fhir/r4/Binary/bin-a", docRead, 200, "bin-a"},
			{"Document.read does not read Observation", "/fhir/r4/Observation/obs-a", docRead, 403, ""},
			{"Document.rs reads DocumentReference", "/fhir/r4/DocumentReference/ccd-b", docRS, 200, "ccd-b"},
			{"Document.rs reads Binary", "/fhir/r4/Binary/bin-a", docRS, 200, "bin-a"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := ts.do("GET", tt.path, tt.token, "")
				if r.status != tt.status {
					t.Fatalf("%d, want %d: %s", r.status, tt.status, r.body)
				}
				if tt.status != 200 {
					return
				}
				m := r.json(t)
				if m["resourceType"] == "Bundle" {
					if got := strings.Join(entries(t, r), ","); got != tt.want {
						t.Errorf("entries = %q, want %q", got, tt.want)
					}
				} else if m["id"] != tt.want {
					t.Errorf("read %v, want %s", m["id"], tt.want)
				}
			})
		}
		// A Document scope writes nothing.
		if r := ts.do("PUT", "/fhir/r4/Binary/bin-a", docRS, puts["Binary/bin-a"]); r.status != 403 {
			t.Errorf("PUT Binary with user/Document.rs: %d %s", r.status, r.body)
		}
	})
}

// TestFHIRUnderAPIsDefault: /apis/default/fhir/r4 serves the FHIR face as
// /fhir/r4 does (reads, searches, metadata, bulk export), and the links it
// answers with stay on the canonical base.
func TestFHIRUnderAPIsDefault(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newTestServer(t, dialect)
		admin := ts.token("user/*.cruds", "")
		if r := ts.do("PUT", "/apis/default/fhir/r4/Patient/pa", admin, `{"resourceType":"Patient","id":"pa"}`); r.status != 201 {
			t.Fatalf("PUT: %d %s", r.status, r.body)
		}
		canonical := ts.app.FHIRBase
		r := ts.do("GET", "/apis/default/fhir/r4/Patient?_id=pa", admin, "")
		if r.status != 200 || !strings.Contains(string(r.body), `"fullUrl":"`+canonical+`/Patient/pa"`) {
			t.Fatalf("search: %d %s", r.status, r.body)
		}
		if r := ts.do("GET", "/apis/default/fhir/r4/Patient/pa", admin, ""); r.status != 200 {
			t.Fatalf("read: %d %s", r.status, r.body)
		}
		if r := ts.do("GET", "/apis/default/fhir/r4/metadata", "", ""); r.status != 200 || !strings.Contains(string(r.body), "CapabilityStatement") {
			t.Fatalf("metadata: %d %.200s", r.status, r.body)
		}
		if r := ts.do("GET", "/apis/default/fhir/r4/Patient", "", ""); r.status != 401 {
			t.Fatalf("no token: %d", r.status)
		}
		sys := ts.token("system/*.$export system/*.rs", "")
		r = ts.do("GET", "/apis/default/fhir/r4/$export?_type=Patient", sys, "", "Accept", "application/fhir+json", "Prefer", "respond-async")
		if r.status != 202 || !strings.HasPrefix(r.header.Get("Content-Location"), canonical+"/$bulkdata-status?job=") {
			t.Fatalf("kick-off: %d %v %s", r.status, r.header, r.body)
		}
		var o map[string]any
		json.Unmarshal(r.body, &o)
		if o["resourceType"] != "OperationOutcome" {
			t.Fatalf("kick-off body: %s", r.body)
		}
	})
}
