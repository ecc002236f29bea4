package validate

import (
	"strings"
	"testing"
)

func TestRulesCompile(t *testing.T) {
	if len(rules.broken) > 0 {
		t.Errorf("invariants the engine cannot compile: %v", rules.broken)
	}
	if len(invariants) < 150 || len(bindings) < 300 {
		t.Errorf("only %d invariants and %d bindings generated", len(invariants), len(bindings))
	}
}

func TestInvariantsAndBindings(t *testing.T) {
	runCases(t, []badCase{
		{"status not in value set", "Observation", `{"resourceType":"Observation","status":"done","code":{"text":"x"}}`,
			[]string{`Observation.status: "done" is not in the required value set http://hl7.org/fhir/ValueSet/observation-status`}},
		{"gender not in value set", "", `{"resourceType":"Patient","gender":"xx"}`,
			[]string{`Patient.gender: "xx" is not in the required value set http://hl7.org/fhir/ValueSet/administrative-gender`}},
		{"obs-6", "Observation", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueString":"a","dataAbsentReason":{"text":"b"}}`,
			[]string{`Observation: obs-6: dataAbsentReason SHALL only be present if Observation.value[x] is not present`}},
		{"ext-1", "", `{"resourceType":"Patient","extension":[{"url":"http://x","valueString":"a","extension":[{"url":"y","valueString":"b"}]}]}`,
			[]string{`Patient.extension[0]: ext-1: Must have either extensions or value[x], not both`}},
		{"con-4", "Condition", `{"resourceType":"Condition","subject":{"reference":"Patient/1"},"abatementString":"gone","clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]}}`,
			[]string{`Condition: con-4: If condition is abated, then clinicalStatus must be either inactive, resolved, or remission`}},
		{"coding not in value set", "Condition", `{"resourceType":"Condition","subject":{"reference":"Patient/1"},"clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"gone"}]}}`,
			[]string{`Condition.clinicalStatus: no coding is in the required value set http://hl7.org/fhir/ValueSet/condition-clinical`}},
		{"ref-1", "", `{"resourceType":"Patient","managingOrganization":{"reference":"#org1"}}`,
			[]string{`Patient.managingOrganization: ref-1`}},
		{"ele-1", "", `{"resourceType":"Patient","name":[{"id":"n1"}]}`,
			[]string{`Patient.name[0]: ele-1`}},
		{"qty-3 in a backbone", "Observation", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"component":[{"code":{"text":"y"},"valueQuantity":{"value":1,"code":"mg"}}]}`,
			[]string{`Observation.component[0].valueQuantity: qty-3`}},
	})
	for _, ok := range []struct{ typ, body string }{
		{"Patient", `{"resourceType":"Patient","gender":"female","managingOrganization":{"reference":"#org1"},"contained":[{"resourceType":"Organization","id":"org1","name":"a"}]}`},
		{"Observation", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"dataAbsentReason":{"text":"b"}}`},
		{"Condition", `{"resourceType":"Condition","subject":{"reference":"Patient/1"},"clinicalStatus":{"text":"only text"}}`},
		{"Condition", `{"resourceType":"Condition","subject":{"reference":"Patient/1"},"clinicalStatus":{"coding":[{"system":"http://example.org","code":"z"},{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]}}`},
	} {
		if got := check(t, ok.typ, ok.body); got != nil {
			t.Errorf("%s: %q", ok.body, got)
		}
	}
}

func TestRuleErrorsNameTheRule(t *testing.T) {
	got := check(t, "Patient", `{"resourceType":"Patient","gender":"xx","extension":[{"url":"http://x"}]}`)
	joined := strings.Join(got, "\n")
	for _, want := range []string{"administrative-gender", "ext-1"} {
		if !strings.Contains(joined, want) {
			t.Errorf("%q does not name %s", joined, want)
		}
	}
}
