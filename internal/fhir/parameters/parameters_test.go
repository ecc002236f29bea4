package parameters

import (
	"reflect"
	"strings"
	"testing"
)

func TestValues(t *testing.T) {
	got, err := Values([]byte(`{"resourceType":"Parameters","parameter":[
		{"name":"_type","valueString":"Patient,Observation"},
		{"name":"_type","valueString":"Condition"},
		{"name":"patient","valueReference":{"reference":"Patient/p1"}},
		{"name":"type","valueCoding":{"system":"http://loinc.org","code":"34133-9"}},
		{"name":"on-demand","valueBoolean":false},
		{"name":"start","valueDate":"2024-01-01"},
		{"name":"_since","valueInstant":"2024-01-01T00:00:00Z"},
		{"name":"includeAssociatedData","valueCode":"LatestProvenanceResources"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"_type": {"Patient,Observation", "Condition"}, "patient": {"Patient/p1"}, "type": {"http://loinc.org|34133-9"},
		"on-demand": {"false"}, "start": {"2024-01-01"}, "_since": {"2024-01-01T00:00:00Z"},
		"includeAssociatedData": {"LatestProvenanceResources"},
	}
	if !reflect.DeepEqual(map[string][]string(got), want) {
		t.Errorf("Values = %v\nwant %v", got, want)
	}
	for body, field := range map[string]string{
		`not json`:                   "Parameters",
		`{"resourceType":"Patient"}`: "resourceType",
		`{"resourceType":"Parameters","parameter":[{"valueString":"x"}]}`:                      "Parameters.parameter.name",
		`{"resourceType":"Parameters","parameter":[{"name":"x","valueQuantity":{"value":1}}]}`: "Parameters.parameter[0]",
	} {
		_, err := Values([]byte(body))
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("Values(%s) = %v, want an error naming %s", body, err, field)
		}
	}
}
