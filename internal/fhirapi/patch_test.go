package fhirapi_test

import (
	"github.com/emedpractice/emp/internal/testenv"

	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestPatchOverHTTP: JSON Patch and FHIRPath Patch by id and by search,
// If-Match, validation of the result, and the gate: a patient token patches
// only its own records and another patient's are not found.
func TestPatchOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		admin := ts.Token("user/*.cruds", "")
		ts.PutAll(t, admin,
			`{"resourceType":"Patient","id":"pa","active":true,"name":[{"use":"official","family":"Doe","given":["Jane"]}],"identifier":[{"system":"urn:x","value":"a"}]}`,
			`{"resourceType":"Patient","id":"pb","identifier":[{"system":"urn:x","value":"b"}]}`,
			`{"resourceType":"Patient","id":"pc","identifier":[{"system":"urn:x","value":"b"}]}`,
		)
		const jp = "application/json-patch+json"
		fp := func(parts string) string {
			return `{"resourceType":"Parameters","parameter":[{"name":"operation","part":[` + parts + `]}]}`
		}
		patientTok := ts.Token("patient/*.cruds", "pa")
		for _, c := range []struct {
			name, path, token, ctype, body string
			headers                        []string
			want                           int
			holds                          string
		}{
			{"json patch", "/fhir/r4/Patient/pa", admin, jp, `[{"op":"test","path":"/name/0/family","value":"Doe"},{"op":"replace","path":"/active","value":false}]`, nil, 200, `"active":false`},
			{"json patch with escaped pointer", "/fhir/r4/Patient/pa", admin, jp, `[{"op":"add","path":"/name/0/given/-","value":"Q"}]`, nil, 200, `"given":["Jane","Q"]`},
			{"failed test", "/fhir/r4/Patient/pa", admin, jp, `[{"op":"test","path":"/name/0/family","value":"Roe"}]`, nil, 409, ""},
			{"fhirpath add", "/fhir/r4/Patient/pa", admin, "application/fhir+json", fp(`{"name":"type","valueCode":"add"},{"name":"path","valueString":"Patient"},{"name":"name","valueString":"birthDate"},{"name":"value","valueDate":"1970-01-02"}`), nil, 200, `"birthDate":"1970-01-02"`},
			{"fhirpath replace where", "/fhir/r4/Patient/pa", admin, "application/fhir+json", fp(`{"name":"type","valueCode":"replace"},{"name":"path","valueString":"Patient.name.where(use='official').family"},{"name":"value","valueString":"Roe"}`), nil, 200, `"family":"Roe"`},
			{"pointer to nothing", "/fhir/r4/Patient/pa", admin, jp, `[{"op":"replace","path":"/gender","value":"x"}]`, nil, 400, ""},
			{"result invalid", "/fhir/r4/Patient/pa", admin, jp, `[{"op":"add","path":"/birthDate","value":"not a date"}]`, nil, 400, ""},
			{"id changed", "/fhir/r4/Patient/pa", admin, jp, `[{"op":"replace","path":"/id","value":"zz"}]`, nil, 400, ""},
			{"stale If-Match", "/fhir/r4/Patient/pa", admin, jp, `[{"op":"replace","path":"/active","value":true}]`, []string{"If-Match", `W/"1"`}, 412, ""},
			{"current If-Match", "/fhir/r4/Patient/pa", admin, jp, `[{"op":"replace","path":"/active","value":true}]`, []string{"If-Match", `W/"5"`}, 200, `"versionId":"6"`},
			{"unknown resource", "/fhir/r4/Patient/nobody", admin, jp, `[{"op":"remove","path":"/active"}]`, nil, 404, ""},
			{"wrong content type", "/fhir/r4/Patient/pa", admin, "text/plain", `[]`, nil, 415, ""},
			{"by search, one match", "/fhir/r4/Patient?identifier=urn:x|a", admin, jp, `[{"op":"add","path":"/gender","value":"female"}]`, nil, 200, `"gender":"female"`},
			{"by search, no match", "/fhir/r4/Patient?identifier=urn:x|zzz", admin, jp, `[{"op":"add","path":"/gender","value":"female"}]`, nil, 404, ""},
			{"by search, several", "/fhir/r4/Patient?identifier=urn:x|b", admin, jp, `[{"op":"add","path":"/gender","value":"female"}]`, nil, 412, ""},
			{"patient token, own record", "/fhir/r4/Patient/pa", patientTok, jp, `[{"op":"replace","path":"/active","value":false}]`, nil, 200, `"active":false`},
			{"patient token, another patient", "/fhir/r4/Patient/pb", patientTok, jp, `[{"op":"add","path":"/active","value":false}]`, nil, 404, ""},
			{"patient token, by search finds only its own", "/fhir/r4/Patient?identifier=urn:x|b", patientTok, jp, `[{"op":"add","path":"/active","value":false}]`, nil, 404, ""},
			{"read-only token", "/fhir/r4/Patient/pa", ts.Token("user/*.rs", ""), jp, `[{"op":"add","path":"/active","value":false}]`, nil, 403, ""},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := ts.Do("PATCH", c.path, c.token, c.body, append([]string{"Content-Type", c.ctype}, c.headers...)...)
				if r.Status != c.want {
					t.Fatalf("PATCH %s: %d, want %d: %s", c.path, r.Status, c.want, r.Body)
				}
				if c.holds != "" && !strings.Contains(string(r.Body), c.holds) {
					t.Errorf("the answer does not hold %s: %s", c.holds, r.Body)
				}
			})
		}
		for _, id := range []string{"pb", "pc"} {
			if r := ts.Do("GET", "/fhir/r4/Patient/"+id, admin, ""); strings.Contains(string(r.Body), `"active"`) || strings.Contains(string(r.Body), `"gender"`) {
				t.Errorf("Patient/%s was changed: %s", id, r.Body)
			}
		}
	})
}
