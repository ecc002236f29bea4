package fhirapi_test

import (
	"github.com/emedpractice/emp/internal/testenv"

	"encoding/json"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestPatientWritesStayInTheChart: with patient scopes every Patient a
// written resource names must be the token's patient, the resource must be
// in that patient's records, and shared types are not written at all; user
// scopes keep their rules.
func TestPatientWritesStayInTheChart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		admin := ts.Token("user/*.cruds", "")
		ts.PutAll(t, admin,
			`{"resourceType":"Patient","id":"pa"}`,
			`{"resourceType":"Patient","id":"pb"}`,
			`{"resourceType":"DocumentReference","id":"doc-b","status":"current","content":[{"attachment":{"contentType":"text/plain"}}],"subject":{"reference":"Patient/pb"}}`,
			`{"resourceType":"DocumentReference","id":"doc-a","status":"current","content":[{"attachment":{"contentType":"text/plain"}}],"subject":{"reference":"Patient/pa"}}`,
		)
		tok := ts.Token("patient/*.cruds", "pa")
		obs := func(extra string) string {
			return `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/pa"}` + extra + `}`
		}
		for _, c := range []struct {
			name, method, path, body string
			want                     int
		}{
			{"own observation", "POST", "/fhir/r4/Observation", obs(""), 201},
			{"performer is another patient", "POST", "/fhir/r4/Observation", obs(`,"performer":[{"reference":"Patient/pb"}]`), 403},
			{"another patient in an extension", "POST", "/fhir/r4/Observation", obs(`,"extension":[{"url":"http://example.org/x","valueReference":{"reference":"Patient/pb"}}]`), 403},
			{"another patient by a local absolute URL", "POST", "/fhir/r4/Observation", obs(`,"performer":[{"reference":"` + ts.App.FHIRBase + `/Patient/pb"}]`), 403},
			{"subject is another patient", "POST", "/fhir/r4/Observation", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/pb"}}`, 403},
			{"no patient at all", "POST", "/fhir/r4/Observation", `{"resourceType":"Observation","status":"final","code":{"text":"x"}}`, 403},
			{"device of another patient", "POST", "/fhir/r4/Device", `{"resourceType":"Device","patient":{"reference":"Patient/pb"}}`, 403},
			{"own device", "POST", "/fhir/r4/Device", `{"resourceType":"Device","patient":{"reference":"Patient/pa"}}`, 201},
			{"binary for another patient's document", "POST", "/fhir/r4/Binary", `{"resourceType":"Binary","contentType":"text/plain","securityContext":{"reference":"DocumentReference/doc-b"}}`, 403},
			{"binary for own document", "POST", "/fhir/r4/Binary", `{"resourceType":"Binary","contentType":"text/plain","securityContext":{"reference":"DocumentReference/doc-a"}}`, 201},
			// Another patient's existing record is not found, as a read
			// of it is: its existence does not leak.
			{"another patient's Patient", "PUT", "/fhir/r4/Patient/pb", `{"resourceType":"Patient","id":"pb","gender":"male"}`, 404},
			{"a Patient id nobody has", "PUT", "/fhir/r4/Patient/pc", `{"resourceType":"Patient","id":"pc"}`, 403},
			{"a new Patient", "POST", "/fhir/r4/Patient", `{"resourceType":"Patient"}`, 403},
			{"own Patient", "PUT", "/fhir/r4/Patient/pa", `{"resourceType":"Patient","id":"pa","gender":"female"}`, 200},
			{"a shared Practitioner", "POST", "/fhir/r4/Practitioner", `{"resourceType":"Practitioner"}`, 403},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := ts.Do(c.method, c.path, tok, c.body)
				if r.Status != c.want {
					t.Fatalf("%s %s: %d, want %d: %s", c.method, c.path, r.Status, c.want, r.Body)
				}
			})
		}
		// Nothing of the refused writes reached patient B's chart.
		for _, typ := range []string{"Observation", "Device", "Binary"} {
			for _, r := range ts.SearchAll(t, "/fhir/r4/"+typ+"?_count=100", ts.Token("patient/*.rs", "pb")) {
				if !strings.HasPrefix(r.Key, "DocumentReference/") {
					t.Errorf("patient B's chart holds %s written by A: %s", r.Key, r.Body)
				}
			}
		}
		// User scopes write shared records as before.
		if r := ts.Do("POST", "/fhir/r4/Practitioner", admin, `{"resourceType":"Practitioner"}`); r.Status != 201 {
			t.Errorf("user create of a Practitioner: %d %s", r.Status, r.Body)
		}
	})
}

// TestGroupShowsAPatientOnlyThemselves: a patient who is a member of the
// practice's Group sees the Group with themselves as its only member,
// tagged SUBSETTED, by read, search and export; a user sees every member.
func TestGroupShowsAPatientOnlyThemselves(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		admin := ts.Token("user/*.cruds", "")
		ts.PutAll(t, admin,
			`{"resourceType":"Patient","id":"ga"}`,
			`{"resourceType":"Patient","id":"gb"}`,
			`{"resourceType":"Group","id":"panel","type":"person","actual":true,"quantity":2,"member":[{"entity":{"reference":"Patient/ga"}},{"entity":{"reference":"Patient/gb"}}]}`,
		)
		tok := ts.Token("patient/*.rs", "ga")
		check := func(where, body string) {
			t.Helper()
			if strings.Contains(body, "Patient/gb") {
				t.Errorf("%s shows the other member: %s", where, body)
			}
			if !strings.Contains(body, "Patient/ga") || !strings.Contains(body, "SUBSETTED") || !strings.Contains(body, `"quantity":1`) {
				t.Errorf("%s: want the patient alone, quantity 1, tagged SUBSETTED: %s", where, body)
			}
		}
		r := ts.Do("GET", "/fhir/r4/Group/panel", tok, "")
		if r.Status != 200 {
			t.Fatalf("read: %d %s", r.Status, r.Body)
		}
		check("read", string(r.Body))
		check("vread", string(ts.Do("GET", "/fhir/r4/Group/panel/_history/1", tok, "").Body))
		check("search", string(ts.Do("GET", "/fhir/r4/Group?member=Patient/ga", tok, "").Body))
		check("history", string(ts.Do("GET", "/fhir/r4/Group/panel/_history", tok, "").Body))
		check("_revinclude", string(ts.Do("GET", "/fhir/r4/Patient?_revinclude=Group:member", tok, "").Body))
		if body := string(ts.Do("GET", "/fhir/r4/Group/panel", admin, "").Body); !strings.Contains(body, "Patient/gb") {
			t.Errorf("a user's read lost a member: %s", body)
		}
	})
}

// TestAbsoluteReferencesAreLocalOnlyUnderThisServer: a reference to
// another server's Patient/X is not this server's Patient/X, for the
// compartment, search and _include; one under this server's base is.
func TestAbsoluteReferencesAreLocalOnlyUnderThisServer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		admin := ts.Token("user/*.cruds", "")
		ts.PutAll(t, admin,
			`{"resourceType":"Patient","id":"la"}`,
			`{"resourceType":"Observation","id":"elsewhere","status":"final","code":{"text":"x"},"subject":{"reference":"https://other.example.org/fhir/Patient/la"}}`,
			`{"resourceType":"Observation","id":"here","status":"final","code":{"text":"x"},"subject":{"reference":"`+ts.App.FHIRBase+`/Patient/la"}}`,
			`{"resourceType":"Observation","id":"alias","status":"final","code":{"text":"x"},"subject":{"reference":"`+ts.App.BaseURL+`/apis/default/fhir/r4/Patient/la"}}`,
		)
		ids := func(path, tok string) string {
			var got []string
			for _, r := range ts.SearchAll(t, path, tok) {
				got = append(got, r.Key)
			}
			return strings.Join(got, " ")
		}
		for _, c := range []struct{ name, path, token, want string }{
			{"patient token", "/fhir/r4/Observation?_sort=_id", ts.Token("patient/*.rs", "la"), "Observation/alias Observation/here"},
			{"search by relative reference", "/fhir/r4/Observation?_sort=_id&subject=Patient/la", admin, "Observation/alias Observation/here"},
			{"search by local absolute URL", "/fhir/r4/Observation?_sort=_id&subject=" + ts.App.FHIRBase + "/Patient/la", admin, "Observation/alias Observation/here"},
			{"search by the other server's URL", "/fhir/r4/Observation?_sort=_id&subject=https://other.example.org/fhir/Patient/la", admin, "Observation/elsewhere"},
			{"_include", "/fhir/r4/Observation?_id=elsewhere&_include=Observation:subject", admin, "Observation/elsewhere"},
		} {
			if got := ids(c.path, c.token); got != c.want {
				t.Errorf("%s: %s gives %q, want %q", c.name, c.path, got, c.want)
			}
		}
		r := ts.Do("GET", "/fhir/r4/Observation/elsewhere", ts.Token("patient/*.rs", "la"), "")
		if r.Status != 404 {
			var oo map[string]any
			json.Unmarshal(r.Body, &oo)
			t.Errorf("patient read of another server's patient's Observation: %d %v", r.Status, oo)
		}
	})
}
