package fhirpath

import "testing"

// TestResolveOutsideTheResource: a reference the evaluation cannot fetch
// resolves to a resource of the type it names, and iif called on a
// collection evaluates its arguments on it, so R4's ctm-1 (as published)
// holds for a Practitioner member and fails for a Patient one.
func TestResolveOutsideTheResource(t *testing.T) {
	const ctm1 = "participant.all(onBehalfOf.exists() implies (member.resolve().iif(empty(), true, ofType(Practitioner).exists())))"
	for _, c := range []struct {
		member string
		want   bool
	}{
		{"Practitioner/1", true},
		{"https://other.example.org/fhir/Practitioner/1/_history/2", true},
		{"Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|123", true},
		{"urn:uuid:7d0a5f4c-2b1e-4b6f-9d0e-2f4b8a1c3e5d", true}, // nothing known: empty, so iif's true
		{"Patient/1", false},
		{"Organization?name=x", false},
	} {
		res := map[string]any{"resourceType": "CareTeam", "participant": []any{map[string]any{
			"member":     map[string]any{"reference": c.member},
			"onBehalfOf": map[string]any{"reference": "Organization/2"},
		}}}
		e, err := Compile(ctm1)
		if err != nil {
			t.Fatal(err)
		}
		r := Resource(res)
		out, err := e.Evaluate(r, []Item{r}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != 1 || out[0].val != c.want {
			t.Errorf("member %s: ctm-1 = %v, want %v", c.member, out, c.want)
		}
	}
}
