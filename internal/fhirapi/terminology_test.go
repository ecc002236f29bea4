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
		Contains      []struct {
			System, Code, Display string
			Inactive, Abstract    bool
			Designation           []struct{ Language, Value string }
			Contains              []struct{ Code string }
		}
	}
	Parameter []struct {
		Name         string
		ValueBoolean *bool
		ValueString  string
		Part         []struct {
			Name, ValueString, ValueCode string
			ValueBoolean                 *bool
		}
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
		versioned := func(id, version, code string) string {
			return `{"resourceType":"ValueSet","id":"` + id + `","url":"http://example.org/vs/versioned","version":"` + version +
				`","status":"active","compose":{"include":[{"system":"http://hl7.org/fhir/administrative-gender","concept":[{"code":"` + code + `"}]}]}}`
		}
		ts.PutAll(t, admin, stored, snomedAll, versioned("v1", "1", "female"), versioned("v2", "2", "male"))
		readOnly := ts.Token("patient/ValueSet.r", "p1")
		const confidentiality = "http://terminology.hl7.org/ValueSet/v3-Confidentiality"
		const v2Sex = "http://terminology.hl7.org/ValueSet/v2-0001"
		displays := func(a termAnswer) string {
			var out []string
			for _, c := range a.Expansion.Contains {
				out = append(out, c.Display)
			}
			return strings.Join(out, ",")
		}
		properties := func(a termAnswer) string {
			var out []string
			for _, p := range a.Parameter {
				if p.Name != "property" {
					continue
				}
				for _, x := range p.Part {
					switch {
					case x.ValueBoolean != nil:
						out = append(out, strconv.FormatBool(*x.ValueBoolean))
					default:
						out = append(out, x.ValueCode)
					}
				}
			}
			return strings.Join(out, " ")
		}
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
			{"expand a ValueSet given in the body", "POST", "/fhir/r4/ValueSet/$expand", patient,
				`{"resourceType":"Parameters","parameter":[{"name":"valueSet","resource":` + stored + `},{"name":"count","valueInteger":2}]}`, 200,
				func(a termAnswer) string { return a.codes() + " " + itoa(a.Expansion.Total) + " " + a.URL }, "female,male 3 http://example.org/vs/picker"},
			{"validate-code against a ValueSet given in the body", "POST", "/fhir/r4/ValueSet/$validate-code", patient,
				`{"resourceType":"Parameters","parameter":[{"name":"valueSet","resource":` + stored + `},{"name":"code","valueCode":"38341003"}]}`, 200,
				func(a termAnswer) string { return a.param("result") + " " + a.param("display") }, "true Hypertension"},
			{"expand a ValueSet given in the body and a url", "POST", "/fhir/r4/ValueSet/$expand?url=" + gender, patient,
				`{"resourceType":"Parameters","parameter":[{"name":"valueSet","resource":` + stored + `}]}`, 400, nil, ""},
			{"expand a resource that is not a ValueSet", "POST", "/fhir/r4/ValueSet/$expand", patient,
				`{"resourceType":"Parameters","parameter":[{"name":"valueSet","resource":{"resourceType":"Patient"}}]}`, 400, nil, ""},
			{"expand a resource in another parameter", "POST", "/fhir/r4/ValueSet/$expand", patient,
				`{"resourceType":"Parameters","parameter":[{"name":"url","resource":` + stored + `}]}`, 400, nil, ""},
			{"expand stored value set by url", "GET", "/fhir/r4/ValueSet/$expand?url=http://example.org/vs/picker", patient, "", 200,
				func(a termAnswer) string { return a.codes() + " " + a.URL }, "female,male,38341003 http://example.org/vs/picker"},
			{"expand stored value set by url and valueSetVersion", "GET", "/fhir/r4/ValueSet/$expand?url=http://example.org/vs/versioned&valueSetVersion=1", patient, "", 200,
				func(a termAnswer) string { return a.codes() }, "female"},
			{"expand stored value set by canonical with version", "GET", "/fhir/r4/ValueSet/$expand?url=http://example.org/vs/versioned|2", patient, "", 200,
				func(a termAnswer) string { return a.codes() }, "male"},
			{"expand stored value set, version not stored", "GET", "/fhir/r4/ValueSet/$expand?url=http://example.org/vs/versioned|3", patient, "", 422,
				func(a termAnswer) string { return a.Issue[0].Code }, "not-supported"},
			{"expand stored value set, two versions named", "GET", "/fhir/r4/ValueSet/$expand?url=http://example.org/vs/versioned|2&valueSetVersion=1", patient, "", 400, nil, ""},
			{"expand by url needs a search of ValueSet for stored ones", "GET", "/fhir/r4/ValueSet/$expand?url=http://example.org/vs/picker", readOnly, "", 422,
				func(a termAnswer) string { return a.Issue[0].Code }, "not-supported"},
			{"expand by url, read only: carried value sets still answer", "GET", "/fhir/r4/ValueSet/$expand?url=" + gender, readOnly, "", 200,
				func(a termAnswer) string { return a.codes() }, "male,female,other,unknown"},
			{"expand carried value set in another version", "GET", "/fhir/r4/ValueSet/$expand?url=" + gender + "&valueSetVersion=3.0.2", patient, "", 422,
				func(a termAnswer) string { return a.Issue[0].Diagnostics }, "the value set " + gender + " is known to this server in version 4.0.1, not 3.0.2"},
			{"validate-code stored value set by url", "GET", "/fhir/r4/ValueSet/$validate-code?url=http://example.org/vs/versioned|1&code=female", patient, "", 200,
				func(a termAnswer) string { return a.param("result") }, "true"},
			{"expand inactive concepts flagged", "GET", "/fhir/r4/ValueSet/$expand?url=" + confidentiality + "&filter=celebrity", patient, "", 200,
				func(a termAnswer) string {
					c := a.Expansion.Contains[0]
					return c.Code + " " + strconv.FormatBool(c.Inactive) + " " + itoa(a.Expansion.Total)
				}, "C true 1"},
			{"expand activeOnly", "GET", "/fhir/r4/ValueSet/$expand?url=" + confidentiality + "&activeOnly=true", patient, "", 200,
				func(a termAnswer) string { return a.codes() + " " + itoa(a.Expansion.Total) }, "_Confidentiality,L,M,N,R,U,V 7"},
			{"expand activeOnly in Parameters", "POST", "/fhir/r4/ValueSet/$expand", patient,
				`{"resourceType":"Parameters","parameter":[{"name":"url","valueUri":"` + confidentiality + `"},{"name":"activeOnly","valueBoolean":true}]}`, 200,
				func(a termAnswer) string { return itoa(a.Expansion.Total) }, "7"},
			{"expand activeOnly not a boolean", "GET", "/fhir/r4/ValueSet/$expand?url=" + confidentiality + "&activeOnly=yes", patient, "", 400, nil, ""},
			{"expand abstract concepts flagged", "GET", "/fhir/r4/ValueSet/$expand?url=" + confidentiality + "&filter=_ConfidentialityByAccessKind", patient, "", 200,
				func(a termAnswer) string { return strconv.FormatBool(a.Expansion.Contains[0].Abstract) }, "true"},
			{"expand nested", "GET", "/fhir/r4/ValueSet/$expand?url=" + confidentiality + "&excludeNested=false", patient, "", 200,
				func(a termAnswer) string {
					c := a.Expansion.Contains[0]
					return a.codes() + " " + c.Contains[0].Code + " " + itoa(len(c.Contains)) + " " + itoa(a.Expansion.Total)
				}, "_Confidentiality,_ConfidentialityByAccessKind,_ConfidentialityByInfoType,_ConfidentialityModifiers L 6 20"},
			{"expand flat by default", "GET", "/fhir/r4/ValueSet/$expand?url=" + confidentiality, patient, "", 200,
				func(a termAnswer) string {
					return itoa(len(a.Expansion.Contains)) + " " + itoa(len(a.Expansion.Contains[0].Contains))
				}, "20 0"},
			{"expand nested asked, but paged: flat", "GET", "/fhir/r4/ValueSet/$expand?url=" + confidentiality + "&excludeNested=false&count=5", patient, "", 200,
				func(a termAnswer) string { return a.codes() }, "_Confidentiality,L,M,N,R"},
			{"expand nested asked, but filtered: flat", "GET", "/fhir/r4/ValueSet/$expand?url=" + confidentiality + "&excludeNested=false&filter=restricted", patient, "", 200,
				func(a termAnswer) string { return a.codes() }, "R,U,V"},
			{"expand excludeNested not a boolean", "GET", "/fhir/r4/ValueSet/$expand?url=" + confidentiality + "&excludeNested=no", patient, "", 400, nil, ""},
			{"expand excludeNotForUI", "GET", "/fhir/r4/ValueSet/$expand?url=" + confidentiality + "&excludeNotForUI=true", patient, "", 200,
				func(a termAnswer) string { return itoa(a.Expansion.Total) }, "17"},
			{"expand without designations", "GET", "/fhir/r4/ValueSet/$expand?url=" + v2Sex + "&count=2", patient, "", 200,
				func(a termAnswer) string { return itoa(len(a.Expansion.Contains[1].Designation)) }, "0"},
			{"expand includeDesignations", "GET", "/fhir/r4/ValueSet/$expand?url=" + v2Sex + "&count=2&includeDesignations=true", patient, "", 200,
				func(a termAnswer) string {
					d := a.Expansion.Contains[1].Designation
					return itoa(len(d)) + " " + d[0].Language + " " + d[0].Value
				}, "2 de weiblich"},
			{"expand displayLanguage", "GET", "/fhir/r4/ValueSet/$expand?url=" + v2Sex + "&count=3&displayLanguage=nl", patient, "", 200,
				displays, "Ambigu,Vrouw,Man"},
			{"expand displayLanguage without designations", "GET", "/fhir/r4/ValueSet/$expand?url=" + gender + "&count=2&displayLanguage=nl", patient, "", 200,
				displays, "Male,Female"},
			{"validate-code display in a language", "GET", "/fhir/r4/ValueSet/$validate-code?url=" + v2Sex + "&code=F&displayLanguage=de", patient, "", 200,
				func(a termAnswer) string { return a.param("result") + " " + a.param("display") }, "true weiblich"},
			{"validate-code abstract code", "GET", "/fhir/r4/ValueSet/$validate-code?url=" + confidentiality + "&system=http://terminology.hl7.org/CodeSystem/v3-Confidentiality&code=_ConfidentialityByInfoType", patient, "", 200,
				func(a termAnswer) string { return a.param("result") }, "false"},
			{"validate-code abstract code allowed", "GET", "/fhir/r4/ValueSet/$validate-code?url=" + confidentiality + "&code=_ConfidentialityByInfoType&abstract=true", patient, "", 200,
				func(a termAnswer) string { return a.param("result") + " " + a.param("message") },
				"true the code http://terminology.hl7.org/CodeSystem/v3-Confidentiality|_ConfidentialityByInfoType is inactive in its code system"},
			{"validate-code abstract not a boolean", "GET", "/fhir/r4/ValueSet/$validate-code?url=" + confidentiality + "&code=N&abstract=1", patient, "", 400, nil, ""},
			{"validate-code systemVersion", "GET", "/fhir/r4/ValueSet/$validate-code?url=" + v2Sex + "&system=http://terminology.hl7.org/CodeSystem/v2-0001&systemVersion=2.5&code=F", patient, "", 200,
				func(a termAnswer) string { return a.param("result") + " " + a.param("message") },
				"false the code system http://terminology.hl7.org/CodeSystem/v2-0001 is known to this server in version 2.9, not 2.5"},
			{"lookup in another version", "GET", "/fhir/r4/CodeSystem/$lookup?system=http://terminology.hl7.org/CodeSystem/v2-0001&code=M&version=2.5", patient, "", 422,
				func(a termAnswer) string { return a.Issue[0].Code }, "not-supported"},
			{"lookup in its version", "GET", "/fhir/r4/CodeSystem/$lookup?system=http://terminology.hl7.org/CodeSystem/v2-0001&code=M&version=2.9", patient, "", 200,
				func(a termAnswer) string { return a.param("display") }, "Male"},
			{"lookup display in a language", "GET", "/fhir/r4/CodeSystem/$lookup?system=http://terminology.hl7.org/CodeSystem/v2-0001&code=M&displayLanguage=de", patient, "", 200,
				func(a termAnswer) string { return a.param("display") }, "männlich"},
			{"lookup inactive and notSelectable", "GET", "/fhir/r4/CodeSystem/$lookup?system=http://terminology.hl7.org/CodeSystem/v3-Confidentiality&code=_ConfidentialityByAccessKind", patient, "", 200,
				properties, "inactive true notSelectable true"},
			{"lookup inactive child", "GET", "/fhir/r4/CodeSystem/$lookup?system=http://terminology.hl7.org/CodeSystem/v3-Confidentiality&code=B", patient, "", 200,
				properties, "parent _ConfidentialityByAccessKind inactive true"},
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
		t.Run("expand displayLanguage from Accept-Language", func(t *testing.T) {
			for header, want := range map[string]string{"de-DE, en;q=0.5": "mehrdeutig,weiblich", "*": "Ambiguous,Female"} {
				r := ts.Do("GET", "/fhir/r4/ValueSet/$expand?url="+v2Sex+"&count=2", patient, "", "Accept-Language", header)
				var a termAnswer
				if err := json.Unmarshal(r.Body, &a); err != nil || r.Status != 200 {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				if got := displays(a); got != want {
					t.Errorf("Accept-Language %s: %q, want %q", header, got, want)
				}
			}
		})
	})
}

func itoa(n int) string { return strconv.Itoa(n) }
