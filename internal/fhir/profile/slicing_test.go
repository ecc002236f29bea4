package profile

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// The US Core packages slice by value, pattern and type only (no profile
// or exists discriminator in 3.1.1 or 6.1.0), so these profiles are
// written here the way implementation guides built on US Core use them (a
// Bundle of US Core resources, a panel whose members are US Core labs), in
// the shape profilegen writes, and added to the loaded set: the nested
// checks run against the real US Core profiles.
const (
	summaryURL = "http://example.org/StructureDefinition/patient-summary"
	panelURL   = "http://example.org/StructureDefinition/lab-panel"
	bpURL      = "http://example.org/StructureDefinition/bp-components"
	valuesURL  = "http://example.org/StructureDefinition/component-values"
	telecomURL = "http://example.org/StructureDefinition/patient-telecom"
	nestedURL  = "http://example.org/StructureDefinition/nested"
	panelsURL  = "http://example.org/StructureDefinition/panel-bundle"
	darURL     = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
)

var testProfiles = []string{
	`{"url":"` + summaryURL + `","version":"1","name":"PatientSummary","type":"Bundle","elements":[
	  {"id":"Bundle","min":0,"max":"*"},
	  {"id":"Bundle.entry","min":1,"max":"*","slicing":{"discriminator":[{"type":"profile","path":"resource"}],"rules":"closed"}},
	  {"id":"Bundle.entry:patient","min":1,"max":"1"},
	  {"id":"Bundle.entry:patient.resource","min":1,"max":"1","types":["Patient"],"profiles":["` + USCore + `us-core-patient"]},
	  {"id":"Bundle.entry:labs","min":0,"max":"*"},
	  {"id":"Bundle.entry:labs.resource","min":1,"max":"1","types":["Observation"],"profiles":["` + USCore + `us-core-observation-lab"]},
	  {"id":"Bundle.entry:notes","min":0,"max":"*"},
	  {"id":"Bundle.entry:notes.resource","min":1,"max":"1","types":["DocumentReference"],"profiles":["http://example.org/StructureDefinition/not-here"]}]}`,
	`{"url":"` + panelURL + `","version":"1","name":"LabPanel","type":"Observation","elements":[
	  {"id":"Observation","min":0,"max":"*"},
	  {"id":"Observation.hasMember","min":0,"max":"*","slicing":{"discriminator":[{"type":"profile","path":"resolve()"}],"rules":"open"}},
	  {"id":"Observation.hasMember:lab","min":2,"max":"*","types":["Reference"],"targetProfiles":["` + USCore + `us-core-observation-lab"]},
	  {"id":"Observation.hasMember:any","min":0,"max":"1","types":["Reference"],"targetProfiles":["http://hl7.org/fhir/StructureDefinition/Observation"]}]}`,
	`{"url":"` + bpURL + `","version":"1","name":"BPComponents","type":"Observation","elements":[
	  {"id":"Observation","min":0,"max":"*"},
	  {"id":"Observation.component","min":0,"max":"*","slicing":{"discriminator":[{"type":"exists","path":"dataAbsentReason"}],"rules":"closed"}},
	  {"id":"Observation.component:measured","min":2,"max":"*"},
	  {"id":"Observation.component:measured.dataAbsentReason","min":0,"max":"0"},
	  {"id":"Observation.component:measured.value[x]","min":1,"max":"1","types":["Quantity"]},
	  {"id":"Observation.component:absent","min":0,"max":"1"},
	  {"id":"Observation.component:absent.dataAbsentReason","min":1,"max":"1"}]}`,
	`{"url":"` + valuesURL + `","version":"1","name":"ComponentValues","type":"Observation","elements":[
	  {"id":"Observation","min":0,"max":"*"},
	  {"id":"Observation.component","min":0,"max":"*","slicing":{"discriminator":[{"type":"type","path":"value"}],"rules":"open"}},
	  {"id":"Observation.component:quantity","min":1,"max":"1"},
	  {"id":"Observation.component:quantity.value[x]","min":1,"max":"1","types":["Quantity"]},
	  {"id":"Observation.component:text","min":0,"max":"1"},
	  {"id":"Observation.component:text.value[x]","min":1,"max":"1","types":["string"]}]}`,
	`{"url":"` + telecomURL + `","version":"1","name":"PatientTelecom","type":"Patient","elements":[
	  {"id":"Patient","min":0,"max":"*"},
	  {"id":"Patient.telecom","min":0,"max":"*","slicing":{"discriminator":[{"type":"exists","path":"extension('` + darURL + `')"}],"rules":"open"}},
	  {"id":"Patient.telecom:unknown","min":0,"max":"1"},
	  {"id":"Patient.telecom:unknown.extension:dar","min":1,"max":"1","types":["Extension"],"profiles":["` + darURL + `"]},
	  {"id":"Patient.telecom:known","min":1,"max":"*"},
	  {"id":"Patient.telecom:known.extension:dar","min":0,"max":"0","types":["Extension"],"profiles":["` + darURL + `"]}]}`,
	`{"url":"` + panelsURL + `","version":"1","name":"PanelBundle","type":"Bundle","elements":[
	  {"id":"Bundle","min":0,"max":"*"},
	  {"id":"Bundle.entry","min":0,"max":"*","slicing":{"discriminator":[{"type":"profile","path":"resource"}],"rules":"open"}},
	  {"id":"Bundle.entry:panel","min":1,"max":"1"},
	  {"id":"Bundle.entry:panel.resource","min":1,"max":"1","types":["Observation"],"profiles":["` + panelURL + `"]}]}`,
	`{"url":"` + nestedURL + `","version":"1","name":"Nested","type":"Bundle","elements":[
	  {"id":"Bundle","min":0,"max":"*"},
	  {"id":"Bundle.entry","min":0,"max":"*","slicing":{"discriminator":[{"type":"profile","path":"resource"}],"rules":"open"}},
	  {"id":"Bundle.entry:inner","min":0,"max":"*"},
	  {"id":"Bundle.entry:inner.resource","min":1,"max":"1","types":["Bundle"],"profiles":["` + nestedURL + `"]}]}`,
}

// withTestProfiles is the loaded US Core profiles and the ones above.
func withTestProfiles(t *testing.T) *Set {
	t.Helper()
	s := load(t)
	for _, raw := range testProfiles {
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.UseNumber()
		var p Profile
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		s.add(&p)
	}
	return s
}

const (
	usPatient = `{"resourceType":"Patient","id":"p1","identifier":[{"system":"urn:oid:1.2.3","value":"12345"}],
	  "name":[{"family":"Shaw","given":["Amy"]}],"gender":"female"}`
	bareLab = `{"resourceType":"Observation","id":"%s","status":"final","category":[%s],
	  "code":{"coding":[{"system":"http://loinc.org","code":"2339-0"}]},"subject":{"reference":"Patient/p1"},
	  "effectiveDateTime":"2024-01-02","valueQuantity":{"value":5,"unit":"mmol/L","system":"http://unitsofmeasure.org","code":"mmol/L"}}`
	labCategory = `{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}`
)

func lab(id string) string     { return fmt.Sprintf(bareLab, id, labCategory) }
func notALab(id string) string { return fmt.Sprintf(bareLab, id, `{"text":"chemistry"}`) }
func entry(res string) string  { return `{"resource":` + res + `}` }

// fullURL is the fullUrl bundle gives its i-th entry.
func fullURL(i int) string { return fmt.Sprintf("urn:uuid:00000000-0000-4000-8000-%012d", i) }

// bundle is a collection of entries, each given a fullUrl of its own.
func bundle(es ...string) string {
	for i, e := range es {
		es[i] = `{"fullUrl":"` + fullURL(i) + `",` + strings.TrimPrefix(e, "{")
	}
	return `{"resourceType":"Bundle","type":"collection","entry":[` + strings.Join(es, ",") + `]}`
}

func observation(extra string) string {
	return `{"resourceType":"Observation","status":"final","code":{"text":"panel"},"subject":{"reference":"Patient/p1"}` + extra + `}`
}

func component(value string) string { return `{"code":{"text":"c"},` + value + `}` }

const (
	quantity = `"valueQuantity":{"value":120,"unit":"mm[Hg]","system":"http://unitsofmeasure.org","code":"mm[Hg]"}`
	absent   = `"dataAbsentReason":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/data-absent-reason","code":"unknown"}]}`
)

func TestDiscriminators(t *testing.T) {
	s := withTestProfiles(t)
	unknownPhone := `{"system":"phone","extension":[{"url":"` + darURL + `","valueCode":"unknown"}]}`
	tests := []struct {
		name, profile, res string
		want               []string // "severity path message substring"
		noErrors           bool
	}{
		{"profile: every entry in its slice", summaryURL, bundle(entry(usPatient), entry(lab("o1")), entry(lab("o2"))), nil, true},
		{"profile: an entry conforming to no slice's profile", summaryURL,
			bundle(entry(strings.Replace(usPatient, `"identifier":[{"system":"urn:oid:1.2.3","value":"12345"}],`, "", 1)), entry(lab("o1"))),
			[]string{"error Bundle.entry[0] matches none of the slices", "error Bundle.entry Bundle.entry:patient: minimum required = 1, but only found 0"}, false},
		{"profile: a slice's maximum", summaryURL, bundle(entry(usPatient), entry(usPatient)),
			[]string{"error Bundle.entry Bundle.entry:patient: maximum allowed = 1, but found 2"}, false},
		{"profile: a resource of another type", summaryURL, bundle(entry(usPatient), entry(`{"resourceType":"Organization","name":"Acme"}`)),
			[]string{"error Bundle.entry[1] matches none of the slices",
				"warning Bundle.entry[1] the slice Bundle.entry:notes cannot be told apart: the profiles http://example.org/StructureDefinition/not-here are not loaded here"}, false},
		{"profile: an observation that is not a US Core lab", summaryURL, bundle(entry(usPatient), entry(notALab("o1"))),
			[]string{"error Bundle.entry[1] matches none of the slices"}, false},

		{"resolve() to contained labs", panelURL,
			observation(`,"contained":[` + lab("l1") + `,` + lab("l2") + `],"hasMember":[{"reference":"#l1"},{"reference":"#l2"}]`), nil, true},
		{"resolve() to a contained observation that is not a lab", panelURL,
			observation(`,"contained":[` + lab("l1") + `,` + notALab("l2") + `],"hasMember":[{"reference":"#l1"},{"reference":"#l2"}]`),
			[]string{"error Observation.hasMember Observation.hasMember:lab: minimum required = 2, but only found 1"}, false},
		{"resolve() of a reference outside the resource", panelURL,
			observation(`,"contained":[` + lab("l1") + `],"hasMember":[{"reference":"#l1"},{"reference":"Observation/elsewhere"}]`),
			[]string{"error Observation.hasMember Observation.hasMember:lab: minimum required = 2, but only found 1"}, false},
		{"resolve() to a core resource's definition", panelURL,
			observation(`,"contained":[` + lab("l1") + `,` + lab("l2") + `,` + notALab("l3") + `],` +
				`"hasMember":[{"reference":"#l1"},{"reference":"#l2"},{"reference":"#l3"}]`), nil, true},
		{"resolve() to a core resource's definition, slice maximum", panelURL,
			observation(`,"contained":[` + lab("l1") + `,` + lab("l2") + `,` + notALab("l3") + `,` + notALab("l4") + `],` +
				`"hasMember":[{"reference":"#l1"},{"reference":"#l2"},{"reference":"#l3"},{"reference":"#l4"}]`),
			[]string{"error Observation.hasMember Observation.hasMember:any: maximum allowed = 1, but found 2"}, false},

		{"exists: two measured", bpURL, observation(`,"component":[` + component(quantity) + `,` + component(quantity) + `]`), nil, true},
		{"exists: measured and absent", bpURL, observation(`,"component":[` + component(quantity) + `,` + component(absent) + `,` + component(quantity) + `]`), nil, true},
		{"exists: too few measured", bpURL, observation(`,"component":[` + component(quantity) + `,` + component(absent) + `]`),
			[]string{"error Observation.component Observation.component:measured: minimum required = 2, but only found 1"}, false},
		{"exists: two absent", bpURL, observation(`,"component":[` + component(quantity) + `,` + component(quantity) + `,` + component(absent) + `,` + component(absent) + `]`),
			[]string{"error Observation.component Observation.component:absent: maximum allowed = 1, but found 2"}, false},
		{"exists: the slice's own rules apply", bpURL, observation(`,"component":[` + component(quantity) + `,` + component(`"valueString":"high"`) + `]`),
			[]string{"error Observation.component[1].valueString type string is not allowed"}, false},
		{"exists through extension('url')", telecomURL, strings.Replace(usPatient, `"gender"`, `"telecom":[`+unknownPhone+`,{"system":"phone","value":"555"}],"gender"`, 1), nil, true},
		{"exists through extension('url'): none known", telecomURL, strings.Replace(usPatient, `"gender"`, `"telecom":[`+unknownPhone+`],"gender"`, 1),
			[]string{"error Patient.telecom Patient.telecom:known: minimum required = 1, but only found 0"}, false},

		{"type of a choice under the value", valuesURL, observation(`,"component":[` + component(`"valueString":"x"`) + `,` + component(quantity) + `]`), nil, true},
		{"type: slices counted by their type", valuesURL, observation(`,"component":[` + component(`"valueString":"x"`) + `,` + component(`"valueString":"y"`) + `]`),
			[]string{"error Observation.component Observation.component:quantity: minimum required = 1, but only found 0",
				"error Observation.component Observation.component:text: maximum allowed = 1, but found 2"}, false},

		{"resolve() from one entry to others of the Bundle", panelsURL,
			bundle(entry(observation(`,"hasMember":[{"reference":"`+fullURL(1)+`"},{"reference":"Observation/o2"}]`)), entry(lab("o1")), entry(lab("o2"))), nil, true},
		{"resolve() from one entry to others of the Bundle, one missing", panelsURL,
			bundle(entry(observation(`,"hasMember":[{"reference":"`+fullURL(1)+`"},{"reference":"Observation/o9"}]`)), entry(lab("o1")), entry(lab("o2"))),
			[]string{"error Bundle.entry Bundle.entry:panel: minimum required = 1, but only found 0"}, false},
		{"profiles naming themselves end", nestedURL,
			bundle(entry(bundle(entry(bundle(entry(bundle(entry(bundle(entry(usPatient)))))))))),
			[]string{"warning Bundle.entry[0] its profiles nest deeper than 3"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			issues := checkWanting(t, s, tc.profile, tc.res, tc.want)
			if tc.noErrors && hasError(issues) {
				t.Errorf("errors: %+v", issues)
			}
		})
	}
}

func TestParsePath(t *testing.T) {
	tests := []struct {
		path string
		want []step
		ok   bool
	}{
		{"$this", nil, true},
		{"code.coding", []step{{name: "code"}, {name: "coding"}}, true},
		{"value[x]", []step{{name: "value"}}, true},
		{"resolve()", []step{{fn: "resolve"}}, true},
		{"item.resolve().code", []step{{name: "item"}, {fn: "resolve"}, {name: "code"}}, true},
		{"value.ofType(Quantity)", []step{{name: "value"}, {fn: "ofType", arg: "Quantity"}}, true},
		{"extension('http://hl7.org/fhir/us/core/StructureDefinition/us-core-race').value",
			[]step{{name: "extension", fn: "extension", arg: "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"}, {name: "value"}}, true},
		{"modifierExtension('http://a.b/c')", []step{{name: "modifierExtension", fn: "extension", arg: "http://a.b/c"}}, true},
		{"code.where(system='x')", nil, false},
		{"first()", nil, false},
	}
	for _, tc := range tests {
		got, ok := parsePath(tc.path)
		if ok != tc.ok || (ok && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("%s: %+v %v, want %+v %v", tc.path, got, ok, tc.want, tc.ok)
		}
	}
}
