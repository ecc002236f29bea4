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
	if len(ResourceTypes()) != 146 || IsType("SubscriptionStatus") {
		t.Errorf("%d resource types; R4 (4.0.1) has 146, without R4B's SubscriptionStatus", len(ResourceTypes()))
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

// Composites carry their components, typed by the parameters they name and
// compiled relative to the elements whose values they pair.
func TestCompositeComponents(t *testing.T) {
	type comp struct {
		code string
		typ  ParamType
		step string // first step of the component's first path
	}
	tests := []struct {
		rtype, code string
		base        []string // first step of each base path, "" for the resource
		comps       []comp
	}{
		{"Observation", "code-value-quantity", []string{""}, []comp{{"code", ParamToken, "code"}, {"value-quantity", ParamQuantity, "valueQuantity"}}},
		{"Observation", "code-value-date", []string{""}, []comp{{"code", ParamToken, "code"}, {"value-date", ParamDate, "valueDateTime"}}},
		{"Observation", "code-value-string", []string{""}, []comp{{"code", ParamToken, "code"}, {"value-string", ParamString, "valueString"}}},
		{"Observation", "component-code-value-quantity", []string{"component"}, []comp{{"component-code", ParamToken, "code"}, {"component-value-quantity", ParamQuantity, "valueQuantity"}}},
		{"Observation", "combo-code-value-concept", []string{"", "component"}, []comp{{"combo-code", ParamToken, "code"}, {"combo-value-concept", ParamToken, "valueCodeableConcept"}}},
		{"Group", "characteristic-value", []string{"characteristic"}, []comp{{"characteristic", ParamToken, "code"}, {"value", ParamToken, "valueCodeableConcept"}}},
		{"ValueSet", "context-type-value", []string{"useContext"}, []comp{{"context-type", ParamToken, "code"}, {"context", ParamToken, "valueCodeableConcept"}}},
	}
	for _, tt := range tests {
		p, ok := LookupSearchParam(tt.rtype, tt.code)
		if !ok || p.Type != ParamComposite {
			t.Errorf("%s.%s is not a composite", tt.rtype, tt.code)
			continue
		}
		if len(p.Paths) != len(tt.base) {
			t.Errorf("%s.%s has %d base paths, want %d", tt.rtype, tt.code, len(p.Paths), len(tt.base))
			continue
		}
		for i, b := range tt.base {
			got := ""
			if len(p.Paths[i].Steps) > 0 {
				got = p.Paths[i].Steps[0].Name
			}
			if got != b {
				t.Errorf("%s.%s base %d starts at %q, want %q", tt.rtype, tt.code, i, got, b)
			}
		}
		if len(p.Components) != len(tt.comps) {
			t.Errorf("%s.%s has %d components, want %d", tt.rtype, tt.code, len(p.Components), len(tt.comps))
			continue
		}
		for i, c := range tt.comps {
			got := p.Components[i]
			if got.Code != c.code || got.Type != c.typ || len(got.Paths) == 0 || got.Paths[0].Steps[0].Name != c.step {
				t.Errorf("%s.%s component %d = %+v, want %+v", tt.rtype, tt.code, i, got, c)
			}
		}
	}
	// The published DocumentReference relationship pairs each component
	// with the other's element; the generator pairs them as R5 corrected
	// them: relatesto with relatesTo.target, relation with relatesTo.code.
	p, _ := LookupSearchParam("DocumentReference", "relationship")
	if p == nil || len(p.Components) != 2 ||
		p.Components[0].Code != "relatesto" || p.Components[0].Type != ParamReference || p.Components[0].Paths[0].Steps[0].Name != "target" ||
		p.Components[1].Code != "relation" || p.Components[1].Type != ParamToken || p.Components[1].Paths[0].Steps[0].Name != "code" {
		t.Errorf("DocumentReference.relationship = %+v", p)
	}
}
