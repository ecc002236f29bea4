package fhirapi_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/store/storetest"
	"github.com/emedpractice/emp/internal/testenv"
)

// termAnswer is the part of a terminology answer the tests compare: a
// ValueSet expansion, a Parameters resource or an OperationOutcome.
type termAnswer struct {
	ResourceType string
	URL          string
	Expansion    struct {
		Total, Offset int
		Contains      []struct{ System, Code, Display string }
	}
	Parameter []struct {
		Name         string
		ValueBoolean *bool
		ValueString  string
		Part         []struct{ Name, ValueString, ValueCode string }
	}
	Issue []struct{ Code, Diagnostics string }
}

func (a termAnswer) param(name string) string {
	for _, p := range a.Parameter {
		if p.Name == name {
			if p.ValueBoolean != nil {
				if *p.ValueBoolean {
					return "true"
				}
				return "false"
			}
			if p.ValueString != "" {
				return p.ValueString
			}
			var parts []string
			for _, x := range p.Part {
				parts = append(parts, x.Name+"="+x.ValueString+x.ValueCode)
			}
			return strings.Join(parts, ",")
		}
	}
	return ""
}

func (a termAnswer) codes() string {
	var out []string
	for _, c := range a.Expansion.Contains {
		out = append(out, c.Code)
	}
	return strings.Join(out, ",")
}

func TestTerminologyOperations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		admin := ts.Token("user/*.cruds", "")
		patient := ts.Token("patient/ValueSet.rs patient/CodeSystem.rs", "p1")
		noTerm := ts.Token("patient/Observation.rs", "p1")
		stored := `{"resourceType":"ValueSet","id":"picker","url":"http://example.org/vs/picker","status":"active","compose":{"include":[` +
			`{"system":"http://hl7.org/fhir/administrative-gender","concept":[{"code":"female"},{"code":"male"}]},` +
			`{"system":"http://snomed.info/sct","concept":[{"code":"38341003","display":"Hypertension"}]}]}}`
		snomedAll := `{"resourceType":"ValueSet","id":"snomed-all","status":"active","compose":{"include":[{"system":"http://snomed.info/sct"}]}}`
		ts.PutAll(t, admin, stored, snomedAll)
		const gender = "http://hl7.org/fhir/ValueSet/administrative-gender"
		const obsStatus = "http://hl7.org/fhir/ValueSet/observation-status"
		tests := []struct {
			name, method, path, token, body string
			status                          int
			check                           func(a termAnswer) string // what is compared with want
			want                            string
		}{
			{"expand R4 value set", "GET", "/fhir/r4/ValueSet/$expand?url=" + gender, patient, "", 200,
				func(a termAnswer) string { return a.codes() }, "male,female,other,unknown"},
			{"expand total", "GET", "/fhir/r4/ValueSet/$expand?url=" + gender, patient, "", 200,
				func(a termAnswer) string { return itoa(a.Expansion.Total) + " " + a.URL }, "4 " + gender},
			{"expand filter on display", "GET", "/fhir/r4/ValueSet/$expand?url=" + obsStatus + "&filter=AMEND", patient, "", 200,
				func(a termAnswer) string { return a.codes() + " " + itoa(a.Expansion.Total) }, "amended 1"},
			{"expand filter on code", "GET", "/fhir/r4/ValueSet/$expand?url=" + gender + "&filter=unk", patient, "", 200,
				func(a termAnswer) string { return a.codes() }, "unknown"},
			{"expand paging", "GET", "/fhir/r4/ValueSet/$expand?url=" + gender + "&offset=1&count=2", patient, "", 200,
				func(a termAnswer) string {
					return a.codes() + " " + itoa(a.Expansion.Total) + " " + itoa(a.Expansion.Offset)
				}, "female,other 4 1"},
			{"expand offset past the end", "GET", "/fhir/r4/ValueSet/$expand?url=" + gender + "&offset=9", patient, "", 200,
				func(a termAnswer) string { return a.codes() + "|" + itoa(a.Expansion.Total) }, "|4"},
			{"expand hierarchy from a v3 code system", "GET", "/fhir/r4/ValueSet/$expand?url=http://terminology.hl7.org/ValueSet/v3-ActEncounterCode&filter=ambulatory", patient, "", 200,
				func(a termAnswer) string { return a.codes() }, "AMB"},
			{"expand US Core value set", "GET", "/fhir/r4/ValueSet/$expand?url=http://hl7.org/fhir/us/core/ValueSet/us-core-narrative-status", patient, "", 200,
				func(a termAnswer) string { return a.codes() }, "additional,generated"},
			{"expand US Core code system", "GET", "/fhir/r4/ValueSet/$expand?url=http://hl7.org/fhir/us/core/ValueSet/us-core-documentreference-category", patient, "", 200,
				func(a termAnswer) string { return a.codes() }, "clinical-note"},
			{"expand POST Parameters", "POST", "/fhir/r4/ValueSet/$expand", patient,
				`{"resourceType":"Parameters","parameter":[{"name":"url","valueUri":"` + gender + `"},{"name":"count","valueInteger":1}]}`, 200,
				func(a termAnswer) string { return a.codes() + " " + itoa(a.Expansion.Total) }, "male 4"},
			{"expand stored value set", "GET", "/fhir/r4/ValueSet/picker/$expand", patient, "", 200,
				func(a termAnswer) string {
					return a.codes() + " " + a.Expansion.Contains[0].Display + " " + a.Expansion.Contains[2].Display
				}, "female,male,38341003 Female Hypertension"},
			{"SNOMED whole is not supported", "GET", "/fhir/r4/ValueSet/snomed-all/$expand", patient, "", 422,
				func(a termAnswer) string { return a.Issue[0].Code + " " + a.Issue[0].Diagnostics },
				"not-supported the code system http://snomed.info/sct is not available on this server, so its codes cannot be enumerated"},
			{"US Core LOINC filter is not supported", "GET", "/fhir/r4/ValueSet/$expand?url=http://hl7.org/fhir/us/core/ValueSet/us-core-laboratory-test-codes", patient, "", 422,
				func(a termAnswer) string { return a.Issue[0].Code }, "not-supported"},
			{"unknown value set", "GET", "/fhir/r4/ValueSet/$expand?url=http://example.org/none", patient, "", 422,
				func(a termAnswer) string { return a.Issue[0].Code }, "not-supported"},
			{"expand without url", "GET", "/fhir/r4/ValueSet/$expand", patient, "", 400, nil, ""},
			{"expand bad count", "GET", "/fhir/r4/ValueSet/$expand?url=" + gender + "&count=-1", patient, "", 400, nil, ""},
			{"expand unknown parameter", "GET", "/fhir/r4/ValueSet/$expand?url=" + gender + "&bogus=1", patient, "", 400, nil, ""},
			{"expand needs a ValueSet scope", "GET", "/fhir/r4/ValueSet/$expand?url=" + gender, noTerm, "", 403, nil, ""},
			{"expand needs a token", "GET", "/fhir/r4/ValueSet/$expand?url=" + gender, "", "", 401, nil, ""},
			{"expand on another type", "GET", "/fhir/r4/Patient/$expand?url=" + gender, admin, "", 404, nil, ""},
			{"expand on a missing stored value set", "GET", "/fhir/r4/ValueSet/nope/$expand", patient, "", 404, nil, ""},

			{"validate-code valid", "GET", "/fhir/r4/ValueSet/$validate-code?url=" + obsStatus + "&system=http://hl7.org/fhir/observation-status&code=final", patient, "", 200,
				func(a termAnswer) string { return a.param("result") + " " + a.param("display") }, "true Final"},
			{"validate-code invalid", "GET", "/fhir/r4/ValueSet/$validate-code?url=" + obsStatus + "&code=done", patient, "", 200,
				func(a termAnswer) string { return a.param("result") + " " + a.param("message") },
				`false the code "done" is not in the value set ` + obsStatus},
			{"validate-code wrong system", "GET", "/fhir/r4/ValueSet/$validate-code?url=" + gender + "&system=http://example.org&code=male", patient, "", 200,
				func(a termAnswer) string { return a.param("result") }, "false"},
			{"validate-code wrong display", "GET", "/fhir/r4/ValueSet/$validate-code?url=" + gender + "&code=male&display=Man", patient, "", 200,
				func(a termAnswer) string { return a.param("result") + " " + a.param("display") }, "false Male"},
			{"validate-code right display", "GET", "/fhir/r4/ValueSet/$validate-code?url=" + gender + "&code=male&display=male", patient, "", 200,
				func(a termAnswer) string { return a.param("result") }, "true"},
			{"validate-code coding", "POST", "/fhir/r4/ValueSet/$validate-code", patient,
				`{"resourceType":"Parameters","parameter":[{"name":"url","valueUri":"` + gender + `"},{"name":"coding","valueCoding":{"system":"http://hl7.org/fhir/administrative-gender","code":"other"}}]}`, 200,
				func(a termAnswer) string { return a.param("result") + " " + a.param("display") }, "true Other"},
			{"validate-code codeableConcept, second coding valid", "POST", "/fhir/r4/ValueSet/$validate-code", patient,
				`{"resourceType":"Parameters","parameter":[{"name":"url","valueUri":"` + gender + `"},{"name":"codeableConcept","valueCodeableConcept":{"coding":[{"system":"http://example.org","code":"x"},{"system":"http://hl7.org/fhir/administrative-gender","code":"female"}]}}]}`, 200,
				func(a termAnswer) string { return a.param("result") }, "true"},
			{"validate-code stored value set", "GET", "/fhir/r4/ValueSet/picker/$validate-code?system=http://snomed.info/sct&code=38341003", patient, "", 200,
				func(a termAnswer) string { return a.param("result") + " " + a.param("display") }, "true Hypertension"},
			{"validate-code without code", "GET", "/fhir/r4/ValueSet/$validate-code?url=" + gender, patient, "", 400, nil, ""},
			{"validate-code on uncarried value set", "GET", "/fhir/r4/ValueSet/$validate-code?url=http://hl7.org/fhir/us/core/ValueSet/us-core-condition-code&system=http://snomed.info/sct&code=38341003", patient, "", 422,
				func(a termAnswer) string { return a.Issue[0].Code }, "not-supported"},

			{"lookup", "GET", "/fhir/r4/CodeSystem/$lookup?system=http://hl7.org/fhir/administrative-gender&code=female", patient, "", 200,
				func(a termAnswer) string { return a.param("name") + " " + a.param("display") }, "AdministrativeGender Female"},
			{"lookup designation and parent", "GET", "/fhir/r4/CodeSystem/$lookup?system=http://terminology.hl7.org/CodeSystem/v3-ActCode&code=AMB", patient, "", 200,
				func(a termAnswer) string { return a.param("display") + " " + a.param("property") }, "ambulatory code=parent,value=_ActEncounterCode"},
			{"lookup US Core code system", "POST", "/fhir/r4/CodeSystem/$lookup", patient,
				`{"resourceType":"Parameters","parameter":[{"name":"coding","valueCoding":{"system":"http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category","code":"clinical-note"}}]}`, 200,
				func(a termAnswer) string { return a.param("display") }, "Clinical Note"},
			{"lookup unknown code", "GET", "/fhir/r4/CodeSystem/$lookup?system=http://hl7.org/fhir/administrative-gender&code=xx", patient, "", 404, nil, ""},
			{"lookup SNOMED not supported", "GET", "/fhir/r4/CodeSystem/$lookup?system=http://snomed.info/sct&code=38341003", patient, "", 422,
				func(a termAnswer) string { return a.Issue[0].Code + " " + a.Issue[0].Diagnostics },
				"not-supported the code system http://snomed.info/sct is not available on this server"},
			{"lookup needs a CodeSystem scope", "GET", "/fhir/r4/CodeSystem/$lookup?system=http://hl7.org/fhir/administrative-gender&code=female",
				ts.Token("patient/ValueSet.rs", "p1"), "", 403, nil, ""},
			{"lookup without system", "GET", "/fhir/r4/CodeSystem/$lookup?code=female", patient, "", 400, nil, ""},
			{"lookup DELETE is 405", "DELETE", "/fhir/r4/CodeSystem/$lookup", patient, "", 405, nil, ""},
			{"expand PUT is 405", "PUT", "/fhir/r4/ValueSet/picker/$expand", admin, "{}", 405, nil, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := ts.Do(tt.method, tt.path, tt.token, tt.body)
				if r.Status != tt.status {
					t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Body)
				}
				if tt.check == nil {
					return
				}
				var a termAnswer
				if err := json.Unmarshal(r.Body, &a); err != nil {
					t.Fatal(err)
				}
				if got := tt.check(a); got != tt.want {
					t.Errorf("got %q, want %q", got, tt.want)
				}
			})
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }
