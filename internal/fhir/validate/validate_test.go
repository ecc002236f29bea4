package validate

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/errs"
)

// check validates src as rtype and returns "Field: Message" for each error.
func check(t *testing.T, rtype, src string) []string {
	t.Helper()
	err := Resource(rtype, decode(t, []byte(src)))
	if err == nil {
		return nil
	}
	m, ok := err.(errs.Multi)
	if !ok {
		t.Fatalf("error is %T, not errs.Multi", err)
	}
	var out []string
	for _, e := range m {
		if e.Kind != errs.Invalid {
			t.Errorf("%s: kind %v, want Invalid", e.Error(), e.Kind)
		}
		out = append(out, e.Field+": "+e.Message)
	}
	return out
}

// matches reports whether got ("Field: message") is what want describes:
// "Field: fragment", where Field may end in * to match a prefix.
func matches(got, want string) bool {
	wf, wm, _ := strings.Cut(want, ": ")
	gf, gm, _ := strings.Cut(got, ": ")
	if p, ok := strings.CutSuffix(wf, "*"); ok {
		if !strings.HasPrefix(gf, p) {
			return false
		}
	} else if gf != wf {
		return false
	}
	return strings.Contains(gm, wm)
}

type badCase struct {
	name  string
	rtype string
	src   string
	want  []string // "Field: message fragment", exactly these errors in any order
}

func runCases(t *testing.T, cases []badCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rtype := c.rtype
			if rtype == "" {
				rtype = "Patient"
			}
			got := check(t, rtype, c.src)
			if len(got) != len(c.want) {
				t.Fatalf("got %d errors %q, want %d %q", len(got), got, len(c.want), c.want)
			}
			used := make([]bool, len(got))
		next:
			for _, w := range c.want {
				for i, g := range got {
					if !used[i] && matches(g, w) {
						used[i] = true
						continue next
					}
				}
				t.Errorf("no error %q in %q", w, got)
			}
		})
	}
}

const ext = `{"url":"http://example.org/x","valueString":"a"}`

func TestResourceType(t *testing.T) {
	runCases(t, []badCase{
		{"missing", "", `{"id":"a"}`, []string{`resourceType: is required`}},
		{"mismatch", "", `{"resourceType":"Observation","status":"final"}`, []string{`resourceType: is "Observation" but must be "Patient"`}},
		{"not a string", "", `{"resourceType":5}`, []string{`resourceType: must be a string`}},
		{"unknown type", "Foo", `{"resourceType":"Foo"}`, []string{`resourceType: unknown resource type "Foo"`}},
		{"abstract type", "DomainResource", `{"resourceType":"DomainResource"}`, []string{`resourceType: unknown resource type`}},
		{"missing still checks the rest", "", `{"foo":1}`, []string{`resourceType: is required`, `Patient.foo: unknown element`}},
		{"resourceType inside an element", "", `{"resourceType":"Patient","name":[{"resourceType":"HumanName"}]}`, []string{`Patient.name[0].resourceType: unknown element`}},
	})
}

func TestUnknownElements(t *testing.T) {
	runCases(t, []badCase{
		{"unknown", "", `{"resourceType":"Patient","foo":1}`, []string{`Patient.foo: unknown element`}},
		{"wrong case", "", `{"resourceType":"Patient","BirthDate":"2000"}`, []string{`Patient.BirthDate: unknown element`}},
		{"choice without suffix", "", `{"resourceType":"Patient","deceased":true}`, []string{`Patient.deceased: unknown element`}},
		{"choice with wrong suffix", "", `{"resourceType":"Patient","deceasedFoo":true}`, []string{`Patient.deceasedFoo: unknown element`}},
		{"choice with a type it lacks", "", `{"resourceType":"Patient","deceasedString":"yes"}`, []string{`Patient.deceasedString: unknown element`}},
		{"choice suffix lower case", "", `{"resourceType":"Patient","deceasedboolean":true}`, []string{`Patient.deceasedboolean: unknown element`}},
		{"in a backbone", "", `{"resourceType":"Patient","contact":[{"foo":1}]}`, []string{`Patient.contact[0].foo: unknown element`}},
		{"in a datatype", "", `{"resourceType":"Patient","name":[{"first":"x"}]}`, []string{`Patient.name[0].first: unknown element`}},
		{"extra Meta fields are not R4", "", `{"resourceType":"Patient","meta":{"project":"x"}}`, []string{`Patient.meta.project: unknown element`}},
		{"SimpleQuantity has no comparator", "Observation", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"referenceRange":[{"low":{"value":1,"comparator":"<"}}]}`,
			[]string{`Observation.referenceRange[0].low.comparator: unknown element`}},
		{"two choice types", "", `{"resourceType":"Patient","deceasedBoolean":true,"deceasedDateTime":"2020"}`, []string{`Patient.deceased[x]: must have only one type`}},
		{"a choice type and the extension of another", "", `{"resourceType":"Patient","deceasedBoolean":true,"_deceasedDateTime":{"id":"a"}}`, []string{`Patient.deceased[x]: must have only one type`}},
		{"_ of a complex element", "", `{"resourceType":"Patient","_name":{"id":"a"}}`, []string{`Patient._name: unknown element`}},
		{"_ of nothing", "", `{"resourceType":"Patient","_foo":{"id":"a"}}`, []string{`Patient._foo: unknown element`}},
		{"_ of an element id", "", `{"resourceType":"Patient","name":[{"id":"a","_id":{"id":"b"}}]}`, []string{`Patient.name[0]._id: unknown element`}},
		{"_ of Extension.url", "", `{"resourceType":"Patient","extension":[{"url":"http://x","_url":{"id":"b"},"valueString":"a"}]}`, []string{`Patient.extension[0]._url: unknown element`}},
		{"lone underscore", "", `{"resourceType":"Patient","_":1}`, []string{`Patient._: unknown element`}},
		{"many", "", `{"resourceType":"Patient","a":1,"b":2,"c":3}`, []string{`Patient.a: unknown element`, `Patient.b: unknown element`, `Patient.c: unknown element`}},
	})
}

func TestCardinality(t *testing.T) {
	runCases(t, []badCase{
		{"array as single", "", `{"resourceType":"Patient","name":{"family":"x"}}`, []string{`Patient.name: must be an array`}},
		{"string as array", "", `{"resourceType":"Patient","name":"John"}`, []string{`Patient.name: must be an array`}},
		{"single as array", "", `{"resourceType":"Patient","gender":["male"]}`, []string{`Patient.gender: must be a single value`}},
		{"empty array", "", `{"resourceType":"Patient","name":[]}`, []string{`Patient.name: must not be an empty array`}},
		{"null in array", "", `{"resourceType":"Patient","name":[{"family":"x"},null]}`, []string{`Patient.name[1]: must not be null`}},
		{"null value", "", `{"resourceType":"Patient","birthDate":null}`, []string{`Patient.birthDate: must not be null`}},
		{"empty object", "", `{"resourceType":"Patient","name":[{}]}`, []string{`Patient.name[0]: must not be empty`}},
		{"empty resource", "", `{}`, []string{`resourceType: is required`, `Patient: must not be empty`}},
		{"empty string", "", `{"resourceType":"Patient","gender":""}`, []string{`Patient.gender: must not be empty`}},
		{"required in backbone", "", `{"resourceType":"Patient","communication":[{"preferred":true}]}`, []string{`Patient.communication[0].language: is required`}},
		{"two required", "", `{"resourceType":"Patient","link":[{"id":"a"}]}`, []string{`Patient.link[0].other: is required`, `Patient.link[0].type: is required`}},
		{"required on resource", "Observation", `{"resourceType":"Observation","valueString":"x"}`, []string{`Observation.status: is required`, `Observation.code: is required`}},
		{"required choice", "MedicationRequest", `{"resourceType":"MedicationRequest","status":"active","intent":"order","subject":{"reference":"Patient/1"}}`,
			[]string{`MedicationRequest.medication[x]: is required`}},
		{"required in nested backbone", "Observation", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"component":[{"valueString":"x"}]}`,
			[]string{`Observation.component[0].code: is required`}},
		{"object as complex", "", `{"resourceType":"Patient","maritalStatus":"M"}`, []string{`Patient.maritalStatus: must be an object`}},
		{"array of strings as complex", "", `{"resourceType":"Patient","identifier":["123"]}`, []string{`Patient.identifier[0]: must be an object`}},
		{"narrative needs div", "", `{"resourceType":"Patient","text":{"status":"generated"}}`, []string{`Patient.text.div: is required`}},
	})
}

func TestPrimitives(t *testing.T) {
	obs := func(member string) string {
		return `{"resourceType":"Observation","status":"final","code":{"text":"x"},` + member + `}`
	}
	extv := func(member string) string {
		return `{"resourceType":"Patient","extension":[{"url":"http://example.org/x",` + member + `}]}`
	}
	runCases(t, []badCase{
		{"month 13", "", `{"resourceType":"Patient","birthDate":"2024-13-01"}`, []string{`Patient.birthDate: not a valid date: "2024-13-01"`}},
		{"February 30", "", `{"resourceType":"Patient","birthDate":"2024-02-30"}`, []string{`Patient.birthDate: not a valid date: "2024-02-30"`}},
		{"February 29 of a common year", "", `{"resourceType":"Patient","birthDate":"2023-02-29"}`, []string{`Patient.birthDate: not a valid date`}},
		{"February 29 1900", "", `{"resourceType":"Patient","birthDate":"1900-02-29"}`, []string{`Patient.birthDate: not a valid date`}},
		{"April 31", "", `{"resourceType":"Patient","birthDate":"2024-04-31"}`, []string{`Patient.birthDate: not a valid date`}},
		{"year 0000", "", `{"resourceType":"Patient","birthDate":"0000"}`, []string{`Patient.birthDate: not a valid date`}},
		{"date with time", "", `{"resourceType":"Patient","birthDate":"2024-01-01T00:00:00Z"}`, []string{`Patient.birthDate: not a valid date`}},
		{"date as number", "", `{"resourceType":"Patient","birthDate":2024}`, []string{`Patient.birthDate: must be a JSON string`}},
		{"boolean as string", "", `{"resourceType":"Patient","active":"true"}`, []string{`Patient.active: must be a JSON boolean`}},
		{"string as number", "", `{"resourceType":"Patient","name":[{"family":5}]}`, []string{`Patient.name[0].family: must be a JSON string`}},
		{"string as object", "", `{"resourceType":"Patient","gender":{"code":"male"}}`, []string{`Patient.gender: must be a JSON string`}},
		{"empty given", "", `{"resourceType":"Patient","name":[{"given":["a",""]}]}`, []string{`Patient.name[0].given[1]: must not be empty`}},
		{"blank given", "", `{"resourceType":"Patient","name":[{"given":["a"," \t "]}]}`, []string{`Patient.name[0].given[1]: must not be only whitespace`}},
		{"form feed in string", "", `{"resourceType":"Patient","name":[{"family":"a\fb"}]}`, []string{`Patient.name[0].family: must not contain control characters`}},
		{"id with space", "", `{"resourceType":"Patient","id":"a b"}`, []string{`Patient.id: not a valid id: "a b"`}},
		{"id too long", "", `{"resourceType":"Patient","id":"` + strings.Repeat("a", 65) + `"}`, []string{`Patient.id: not a valid id`}},
		{"id underscore", "", `{"resourceType":"Patient","id":"a_b"}`, []string{`Patient.id: not a valid id`}},
		{"code with double space", "", `{"resourceType":"Patient","gender":"ma  le"}`, []string{`Patient.gender: not a valid code`}},
		{"code with trailing space", "", `{"resourceType":"Patient","gender":"male "}`, []string{`Patient.gender: not a valid code`}},
		{"uri with space", "", `{"resourceType":"Patient","implicitRules":"http://a b"}`, []string{`Patient.implicitRules: not a valid uri`}},
		{"url with newline", "", `{"resourceType":"Patient","telecom":[{"system":"url","value":"x"}],"photo":[{"url":"http://a\nb"}]}`, []string{`Patient.photo[0].url: not a valid url`}},
		{"canonical with space", "", `{"resourceType":"Patient","meta":{"profile":["http://a b"]}}`, []string{`Patient.meta.profile[0]: not a valid canonical`}},
		{"instant without zone", "", `{"resourceType":"Patient","meta":{"lastUpdated":"2024-01-01T10:00:00"}}`, []string{`Patient.meta.lastUpdated: not a valid instant`}},
		{"instant date only", "", `{"resourceType":"Patient","meta":{"lastUpdated":"2024-01-01"}}`, []string{`Patient.meta.lastUpdated: not a valid instant`}},
		{"instant on a missing day", "", `{"resourceType":"Patient","meta":{"lastUpdated":"2023-02-29T10:00:00Z"}}`, []string{`Patient.meta.lastUpdated: not a valid instant`}},
		{"versionId", "", `{"resourceType":"Patient","meta":{"versionId":"1 2"}}`, []string{`Patient.meta.versionId: not a valid id`}},
		{"base64", "", `{"resourceType":"Patient","photo":[{"data":"abc"}]}`, []string{`Patient.photo[0].data: not a valid base64Binary: "abc"`}},
		{"base64 bad char", "", `{"resourceType":"Patient","photo":[{"data":"ab.d"}]}`, []string{`Patient.photo[0].data: not a valid base64Binary`}},
		{"unsignedInt negative", "", `{"resourceType":"Patient","photo":[{"size":-1}]}`, []string{`Patient.photo[0].size: not a valid unsignedInt: "-1"`}},
		{"unsignedInt fraction", "", `{"resourceType":"Patient","photo":[{"size":1.5}]}`, []string{`Patient.photo[0].size: not a valid unsignedInt`}},
		{"unsignedInt too big", "", `{"resourceType":"Patient","photo":[{"size":2147483648}]}`, []string{`Patient.photo[0].size: out of range for unsignedInt`}},
		{"unsignedInt as string", "", `{"resourceType":"Patient","photo":[{"size":"5"}]}`, []string{`Patient.photo[0].size: must be a JSON number`}},
		{"integer fraction", "", `{"resourceType":"Patient","multipleBirthInteger":1.5}`, []string{`Patient.multipleBirthInteger: not a valid integer: "1.5"`}},
		{"integer exponent", "", `{"resourceType":"Patient","multipleBirthInteger":1e2}`, []string{`Patient.multipleBirthInteger: not a valid integer`}},
		{"integer too big", "", `{"resourceType":"Patient","multipleBirthInteger":3000000000}`, []string{`Patient.multipleBirthInteger: out of range for integer`}},
		{"integer too small", "", `{"resourceType":"Patient","multipleBirthInteger":-2147483649}`, []string{`Patient.multipleBirthInteger: out of range`}},
		{"decimal as string", "Observation", obs(`"valueQuantity":{"value":"5"}`), []string{`Observation.valueQuantity.value: must be a JSON number`}},
		{"decimal as boolean", "Observation", obs(`"valueQuantity":{"value":true}`), []string{`Observation.valueQuantity.value: must be a JSON number`}},
		{"dateTime without seconds", "Observation", obs(`"effectiveDateTime":"2024-01-01T10:00Z"`), []string{`Observation.effectiveDateTime: not a valid dateTime`}},
		{"dateTime without zone", "Observation", obs(`"effectiveDateTime":"2024-01-01T10:00:00"`), []string{`Observation.effectiveDateTime: not a valid dateTime`}},
		{"dateTime hour 24", "Observation", obs(`"effectiveDateTime":"2024-01-01T24:00:00Z"`), []string{`Observation.effectiveDateTime: not a valid dateTime`}},
		{"dateTime zone +15", "Observation", obs(`"effectiveDateTime":"2024-01-01T10:00:00+15:00"`), []string{`Observation.effectiveDateTime: not a valid dateTime`}},
		{"dateTime time on a month", "Observation", obs(`"effectiveDateTime":"2024-01T10:00:00Z"`), []string{`Observation.effectiveDateTime: not a valid dateTime`}},
		{"dateTime impossible", "Observation", obs(`"effectiveDateTime":"2024-06-31T10:00:00Z"`), []string{`Observation.effectiveDateTime: not a valid dateTime`}},
		{"time", "Observation", obs(`"valueTime":"25:00:00"`), []string{`Observation.valueTime: not a valid time`}},
		{"code in coding", "Observation", obs(`"category":[{"coding":[{"system":"http://x","code":" a"}]}]`), []string{`Observation.category[0].coding[0].code: not a valid code`}},
		{"positiveInt zero", "MedicationRequest", `{"resourceType":"MedicationRequest","status":"active","intent":"order","subject":{"reference":"Patient/1"},"medicationCodeableConcept":{"text":"x"},"dosageInstruction":[{"timing":{"repeat":{"count":0}}}]}`,
			[]string{`MedicationRequest.dosageInstruction[0].timing.repeat.count: not a valid positiveInt: "0"`}},
		{"oid", "", extv(`"valueOid":"1.2.3"`), []string{`Patient.extension[0].valueOid: not a valid oid`}},
		{"uuid", "", extv(`"valueUuid":"urn:uuid:ABC"`), []string{`Patient.extension[0].valueUuid: not a valid uuid`}},
		{"xhtml not a div", "", `{"resourceType":"Patient","text":{"status":"generated","div":"hello"}}`, []string{`Patient.text.div: must be an XHTML <div> element`}},
		{"long value is shortened", "", `{"resourceType":"Patient","id":"` + strings.Repeat("é", 100) + `"}`, []string{`Patient.id: …`}},
	})
}

func TestPrimitiveExtensions(t *testing.T) {
	runCases(t, []badCase{
		{"not an object", "", `{"resourceType":"Patient","birthDate":"2020","_birthDate":"x"}`, []string{`Patient._birthDate: must be an object`}},
		{"unknown inside", "", `{"resourceType":"Patient","birthDate":"2020","_birthDate":{"foo":1}}`, []string{`Patient._birthDate.foo: unknown element`}},
		{"empty", "", `{"resourceType":"Patient","birthDate":"2020","_birthDate":{}}`, []string{`Patient._birthDate: must not be empty`}},
		{"null", "", `{"resourceType":"Patient","birthDate":"2020","_birthDate":null}`, []string{`Patient._birthDate: must not be null`}},
		{"array for a single value", "", `{"resourceType":"Patient","birthDate":"2020","_birthDate":[{"id":"a"}]}`, []string{`Patient._birthDate: must be an object`}},
		{"extension without url", "", `{"resourceType":"Patient","_birthDate":{"extension":[{"valueCode":"unknown"}]}}`, []string{`Patient._birthDate.extension[0].url: is required`}},
		{"object for an array", "", `{"resourceType":"Patient","name":[{"given":["a"],"_given":{"id":"x"}}]}`, []string{`Patient.name[0]._given: must be an array`}},
		{"misaligned", "", `{"resourceType":"Patient","name":[{"given":["a"],"_given":[null,{"id":"x"}]}]}`, []string{`Patient.name[0]._given: must have as many items as given (1, not 2)`}},
		{"item not an object", "", `{"resourceType":"Patient","name":[{"given":["a"],"_given":["x"]}]}`, []string{`Patient.name[0]._given[0]: must be an object or null`}},
		{"null value without extension", "", `{"resourceType":"Patient","name":[{"given":["a",null]}]}`, []string{`Patient.name[0].given[1]: must not be null`}},
		{"null with null extension", "", `{"resourceType":"Patient","name":[{"given":[null],"_given":[null]}]}`, []string{`Patient.name[0].given[0]: must not be null`}},
		{"null extension alone", "", `{"resourceType":"Patient","name":[{"_given":[null]}]}`, []string{`Patient.name[0]._given[0]: must not be null`}},
		{"empty array", "", `{"resourceType":"Patient","name":[{"given":["a"],"_given":[]}]}`, []string{`Patient.name[0]._given: must not be an empty array`}},
		{"bad item", "", `{"resourceType":"Patient","name":[{"given":["a"],"_given":[{"extension":[{"url":"http://x","valueFoo":1}]}]}]}`,
			[]string{`Patient.name[0]._given[0].extension[0].valueFoo: unknown element`}},
	})
}

func TestExtensions(t *testing.T) {
	runCases(t, []badCase{
		{"no url", "", `{"resourceType":"Patient","extension":[{"valueString":"a"}]}`, []string{`Patient.extension[0].url: is required`}},
		{"bad url", "", `{"resourceType":"Patient","extension":[{"url":"http://a b","valueString":"a"}]}`, []string{`Patient.extension[0].url: not a valid uri`}},
		{"unknown value type", "", `{"resourceType":"Patient","extension":[{"url":"http://x","valueFoo":"a"}]}`, []string{`Patient.extension[0].valueFoo: unknown element`}},
		{"two values", "", `{"resourceType":"Patient","extension":[{"url":"http://x","valueString":"a","valueCode":"b"}]}`, []string{`Patient.extension[0].value[x]: must have only one type`}},
		{"bad typed value", "", `{"resourceType":"Patient","extension":[{"url":"http://x","valueBoolean":"yes"}]}`, []string{`Patient.extension[0].valueBoolean: must be a JSON boolean`}},
		{"complex value", "", `{"resourceType":"Patient","extension":[{"url":"http://x","valueCodeableConcept":{"coding":{}}}]}`, []string{`Patient.extension[0].valueCodeableConcept.coding: must be an array`}},
		{"nested without url", "", `{"resourceType":"Patient","extension":[{"url":"http://x","extension":[{"valueString":"a"}]}]}`, []string{`Patient.extension[0].extension[0].url: is required`}},
		{"not an array", "", `{"resourceType":"Patient","extension":` + ext + `}`, []string{`Patient.extension: must be an array`}},
		{"modifierExtension in backbone", "", `{"resourceType":"Patient","contact":[{"modifierExtension":[{"valueString":"a"}]}]}`, []string{`Patient.contact[0].modifierExtension[0].url: is required`}},
		{"extension in a datatype", "", `{"resourceType":"Patient","name":[{"extension":[{"url":"x","valueInteger":"1"}]}]}`, []string{`Patient.name[0].extension[0].valueInteger: must be a JSON number`}},
	})
}

func TestReferences(t *testing.T) {
	org := func(ref string) string {
		return `{"resourceType":"Patient","managingOrganization":{"reference":` + ref + `}}`
	}
	runCases(t, []badCase{
		{"space", "", org(`"Organization/1 2"`), []string{`Patient.managingOrganization.reference: not a valid reference`}},
		{"type only", "", org(`"Organization"`), []string{`Patient.managingOrganization.reference: not a valid reference: "Organization"`}},
		{"unknown type", "", org(`"Organisation/1"`), []string{`Patient.managingOrganization.reference: not a valid reference`}},
		{"bad id", "", org(`"Organization/a_b"`), []string{`Patient.managingOrganization.reference: not a valid reference`}},
		{"trailing slash", "", org(`"Organization/1/"`), []string{`Patient.managingOrganization.reference: not a valid reference`}},
		{"bad history", "", org(`"Organization/1/history/2"`), []string{`Patient.managingOrganization.reference: not a valid reference`}},
		{"empty query", "", org(`"Organization?"`), []string{`Patient.managingOrganization.reference: not a valid reference`}},
		{"empty", "", org(`""`), []string{`Patient.managingOrganization.reference: must not be empty`}},
		{"blank", "", org(`" "`), []string{`Patient.managingOrganization.reference: must not be only whitespace`}},
		{"number", "", org(`1`), []string{`Patient.managingOrganization.reference: must be a JSON string`}},
		{"unknown member", "", `{"resourceType":"Patient","managingOrganization":{"ref":"Organization/1"}}`, []string{`Patient.managingOrganization.ref: unknown element`}},
	})
	for _, ok := range []string{"Organization/1", "Organization/1/_history/2", "#", "urn:uuid:4a0e4b2c-9b7e-4d9e-8f0e-1f2d3c4b5a6f",
		"https://example.org/fhir/Organization/1", "Organization?identifier=http://x|1"} {
		if got := check(t, "Patient", org(`"`+ok+`"`)); got != nil {
			t.Errorf("reference %q: %q", ok, got)
		}
	}
}

func TestContainedAndNested(t *testing.T) {
	runCases(t, []badCase{
		{"contained checked as its own type", "", `{"resourceType":"Patient","contained":[{"resourceType":"Medication","id":"m","foo":1}],"managingOrganization":{"reference":"#m"}}`,
			[]string{`Patient.contained[0].foo: unknown element`}},
		{"contained required", "", `{"resourceType":"Patient","contained":[{"resourceType":"Observation","id":"o"}],"managingOrganization":{"reference":"#o"}}`,
			[]string{`Patient.contained[0].status: is required`, `Patient.contained[0].code: is required`}},
		{"contained without type", "", `{"resourceType":"Patient","contained":[{"id":"m"}]}`, []string{`Patient.contained[0].resourceType: is required`}},
		{"contained unknown type", "", `{"resourceType":"Patient","contained":[{"resourceType":"Foo"}]}`, []string{`Patient.contained[0].resourceType: unknown resource type "Foo"`}},
		{"contained type not a string", "", `{"resourceType":"Patient","contained":[{"resourceType":1}]}`, []string{`Patient.contained[0].resourceType: must be a string`}},
		{"contained not an array", "", `{"resourceType":"Patient","contained":{"resourceType":"Medication"}}`, []string{`Patient.contained: must be an array`}},
		{"contained a string", "", `{"resourceType":"Patient","contained":["x"]}`, []string{`Patient.contained[0]: must be an object`}},
		{"contained bad id", "", `{"resourceType":"Patient","contained":[{"resourceType":"Medication","id":"a b"}]}`, []string{`Patient.contained[0].id: not a valid id`}},
		{"bundle entry", "Bundle", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","birthDate":"2024-02-30"}}]}`,
			[]string{`Bundle.entry[0].resource.birthDate: not a valid date`}},
		{"bundle needs type", "Bundle", `{"resourceType":"Bundle","entry":[{"fullUrl":"urn:uuid:4a0e4b2c-9b7e-4d9e-8f0e-1f2d3c4b5a6f"}]}`, []string{`Bundle.type: is required`}},
		{"bundle in bundle", "Bundle", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","x":1}}]}}]}`,
			[]string{`Bundle.entry[0].resource.entry[0].resource.x: unknown element`}},
		{"parameters resource", "Parameters", `{"resourceType":"Parameters","parameter":[{"name":"p","resource":{"resourceType":"Patient","gender":1}}]}`,
			[]string{`Parameters.parameter[0].resource.gender: must be a JSON string`}},
		{"parameters part", "Parameters", `{"resourceType":"Parameters","parameter":[{"name":"p","part":[{"valueFoo":1}]}]}`,
			[]string{`Parameters.parameter[0].part[0].valueFoo: unknown element`, `Parameters.parameter[0].part[0].name: is required`}},
		{"questionnaire item.item", "Questionnaire", `{"resourceType":"Questionnaire","status":"draft","item":[{"linkId":"1","type":"group","item":[{"linkId":"1.1","type":"string","foo":1},{"type":"string"}]}]}`,
			[]string{`Questionnaire.item[0].item[0].foo: unknown element`, `Questionnaire.item[0].item[1].linkId: is required`}},
		{"questionnaire response answer.item", "QuestionnaireResponse", `{"resourceType":"QuestionnaireResponse","status":"completed","item":[{"linkId":"1","answer":[{"valueString":"a","item":[{"linkId":"2","answer":[{"valueFoo":1}]}]}]}]}`,
			[]string{`QuestionnaireResponse.item[0].answer[0].item[0].answer[0].valueFoo: unknown element`}},
		{"timing repeat", "MedicationRequest", `{"resourceType":"MedicationRequest","status":"active","intent":"order","subject":{"reference":"Patient/1"},"medicationCodeableConcept":{"text":"x"},"dosageInstruction":[{"timing":{"repeat":{"frequency":1,"foo":2}}}]}`,
			[]string{`MedicationRequest.dosageInstruction[0].timing.repeat.foo: unknown element`}},
		{"dose quantity", "MedicationRequest", `{"resourceType":"MedicationRequest","status":"active","intent":"order","subject":{"reference":"Patient/1"},"medicationCodeableConcept":{"text":"x"},"dosageInstruction":[{"doseAndRate":[{"doseQuantity":{"value":"1"}}]}]}`,
			[]string{`MedicationRequest.dosageInstruction[0].doseAndRate[0].doseQuantity.value: must be a JSON number`}},
	})
}

func TestValidResources(t *testing.T) {
	for _, src := range []string{
		`{"resourceType":"Patient"}`,
		`{"resourceType":"Patient","birthDate":"2024-02-29"}`,
		`{"resourceType":"Patient","birthDate":"2000-02-29"}`,
		`{"resourceType":"Patient","birthDate":"2024"}`,
		`{"resourceType":"Patient","birthDate":"2024-05"}`,
		`{"resourceType":"Patient","birthDate":"0001-01-01"}`,
		`{"resourceType":"Patient","id":"A-b.9","meta":{"versionId":"1","lastUpdated":"2024-01-01T10:00:00.123+14:00"}}`,
		`{"resourceType":"Patient","deceasedDateTime":"2024-12-31T23:59:60-13:59"}`,
		`{"resourceType":"Patient","_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/data-absent-reason","valueCode":"unknown"}]}}`,
		`{"resourceType":"Patient","birthDate":"2020","_birthDate":{"id":"b"}}`,
		`{"resourceType":"Patient","id":"a","_id":{"extension":[` + ext + `]}}`,
		`{"resourceType":"Patient","name":[{"given":["a",null],"_given":[null,{"extension":[` + ext + `]}]}]}`,
		`{"resourceType":"Patient","name":[{"_given":[{"id":"g"}]}]}`,
		`{"resourceType":"Patient","extension":[{"url":"http://x","extension":[{"url":"a","valueCode":"b"},{"url":"c","valueCoding":{"code":"d"}}]}]}`,
		`{"resourceType":"Patient","modifierExtension":[` + ext + `],"contact":[{"modifierExtension":[` + ext + `],"name":{"family":"a"}}]}`,
		`{"resourceType":"Patient","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"}}`,
		`{"resourceType":"Patient","photo":[{"contentType":"image/png","data":"QUJD RA==\n","size":0}],"multipleBirthInteger":-5}`,
		`{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o","name":"x"}],"managingOrganization":{"reference":"#o"}}`,
		`{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.50e-3,"comparator":"<"}}`,
		`{"resourceType":"Observation","_status":{"extension":[` + ext + `]},"code":{"text":"x"}}`,
		`{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueTime":"23:59:59.999"}`,
		`{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:4a0e4b2c-9b7e-4d9e-8f0e-1f2d3c4b5a6f","resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}}]}`,
		`{"resourceType":"Patient","extension":[{"url":"http://x","valueOid":"urn:oid:2.16.840.1.113883"},{"url":"http://y","valueUuid":"urn:uuid:4a0e4b2c-9b7e-4d9e-8f0e-1f2d3c4b5a6f"}]}`,
	} {
		var res map[string]any
		dec := json.NewDecoder(strings.NewReader(src))
		dec.UseNumber()
		if err := dec.Decode(&res); err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		rt, _ := res["resourceType"].(string)
		if err := Resource(rt, res); err != nil {
			t.Errorf("%s:%s", src, describe(err))
		}
	}
}

// Values built in Go rather than decoded with UseNumber still check.
func TestGoValues(t *testing.T) {
	res := map[string]any{"resourceType": "Patient", "multipleBirthInteger": float64(2), "photo": []any{map[string]any{"size": 3}}}
	if err := Resource("Patient", res); err != nil {
		t.Errorf("float64 and int: %v", err)
	}
	res = map[string]any{"resourceType": "Patient", "multipleBirthInteger": 2.5}
	if err := Resource("Patient", res); err == nil || !strings.Contains(err.Error(), "not a valid integer") {
		t.Errorf("2.5 as integer: %v", err)
	}
}

func TestTooManyErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"resourceType":"Patient"`)
	for i := range 2000 {
		fmt.Fprintf(&b, `,"x%04d":1`, i)
	}
	b.WriteString("}")
	res := decode(t, []byte(b.String()))
	first := Resource("Patient", res)
	m, ok := first.(errs.Multi)
	if !ok || len(m) != maxReported+1 {
		t.Fatalf("got %d errors, want %d: %v", len(m), maxReported+1, first)
	}
	if last := m[maxReported]; last.Field != "Patient" || !strings.Contains(last.Message, "more errors") {
		t.Errorf("last error %q", last.Error())
	}
	// Sorted, so the same input gives the same report.
	if m[0].Field > m[1].Field {
		t.Errorf("errors not sorted: %q, %q", m[0].Field, m[1].Field)
	}
	for range 3 {
		again := Resource("Patient", decode(t, []byte(`{"resourceType":"Patient","a":1,"b":2,"c":3,"d":4,"e":5,"f":6}`)))
		want := Resource("Patient", decode(t, []byte(`{"resourceType":"Patient","f":6,"e":5,"d":4,"c":3,"b":2,"a":1}`)))
		if !reflect.DeepEqual(again, want) {
			t.Fatalf("report depends on order:\n%v\n%v", describe(again), describe(want))
		}
	}
}

func TestRequired(t *testing.T) {
	has := func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	}
	obs := Required("Observation")
	for _, want := range []string{"status", "code"} {
		if !has(obs, want) {
			t.Errorf("Required(Observation) = %v, missing %q", obs, want)
		}
	}
	if has(obs, "subject") || has(obs, "valueQuantity") {
		t.Errorf("Required(Observation) = %v lists an optional element", obs)
	}
	if got := Required("Patient"); len(got) != 0 {
		t.Errorf("Required(Patient) = %v, want none", got)
	}
	if got := Required("NoSuchType"); got != nil {
		t.Errorf("Required(NoSuchType) = %v, want nil", got)
	}
}

func TestSummary(t *testing.T) {
	got := map[string]bool{}
	for _, n := range Summary("Patient") {
		got[n] = true
	}
	for _, want := range []string{"identifier", "name", "gender", "birthDate", "meta", "id"} {
		if !got[want] {
			t.Errorf("Summary(Patient) lacks %s", want)
		}
	}
	for _, not := range []string{"photo", "contact", "communication", "text"} {
		if got[not] {
			t.Errorf("Summary(Patient) lists %s, which is not a summary element", not)
		}
	}
}
