package spec

import "testing"

// The generated tables must hold what the rest of the server relies on:
// every US Core search parameter the faces use, with compiled paths.
func TestSearchParamsUsedByTheServer(t *testing.T) {
	tests := []struct {
		rtype, code string
		typ         ParamType
	}{
		{"Patient", "family", ParamString},
		{"Patient", "birthdate", ParamDate},
		{"Patient", "identifier", ParamToken},
		{"Observation", "code", ParamToken},
		{"Observation", "category", ParamToken},
		{"Observation", "patient", ParamReference},
		{"Observation", "date", ParamDate},
		{"Observation", "value-quantity", ParamQuantity},
		{"Condition", "clinical-status", ParamToken},
		{"Encounter", "date", ParamDate},
		{"MedicationRequest", "intent", ParamToken},
		{"DocumentReference", "type", ParamToken},
		{"Immunization", "date", ParamDate},
		{"Patient", "_id", ParamToken},
		{"Observation", "_lastUpdated", ParamDate},
	}
	for _, tt := range tests {
		p, ok := LookupSearchParam(tt.rtype, tt.code)
		if !ok {
			t.Errorf("%s.%s missing", tt.rtype, tt.code)
			continue
		}
		if p.Type != tt.typ {
			t.Errorf("%s.%s type = %v, want %v", tt.rtype, tt.code, p.Type, tt.typ)
		}
		if tt.code[0] != '_' && len(p.Paths) == 0 {
			t.Errorf("%s.%s has no compiled paths", tt.rtype, tt.code)
		}
	}
	if _, ok := LookupSearchParam("Patient", "shoe-size"); ok {
		t.Error("an unknown parameter was found")
	}
}

func TestResourceTypes(t *testing.T) {
	seen := map[string]bool{}
	for _, rt := range ResourceTypes() {
		if seen[rt] {
			t.Errorf("%s listed twice", rt)
		}
		seen[rt] = true
	}
	for _, want := range []string{"Patient", "Observation", "AllergyIntolerance", "DocumentReference", "Provenance", "Group", "Bundle"} {
		if !seen[want] {
			t.Errorf("%s missing from ResourceTypes", want)
		}
	}
	if len(ResourceTypes()) < 140 {
		t.Errorf("%d resource types; R4 has 145 or more", len(ResourceTypes()))
	}
}

func TestPatientCompartment(t *testing.T) {
	params := PatientCompartmentParams("Observation")
	if len(params) == 0 {
		t.Fatal("Observation has no patient compartment parameters")
	}
	if len(PatientCompartmentParams("Organization")) != 0 {
		t.Error("Organization is not in the patient compartment")
	}
}
