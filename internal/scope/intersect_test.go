package scope

import "testing"

func TestIntersect(t *testing.T) {
	lab := "category=" + obsCat + "|laboratory"
	vit := "category=" + obsCat + "|vital-signs"
	prob := "category=" + condCat + "|problem-list-item"
	tests := []struct {
		name             string
		requested, other string
		want             string
	}{
		{"equal lists", "openid patient/Patient.read", "openid patient/Patient.read", "openid patient/Patient.read"},
		{"non-resource scopes need both sides", "openid fhirUser offline_access", "openid offline_access api:fhir", "openid offline_access"},
		{"wildcard request narrows to registered types, v1 kept", "patient/*.read",
			"patient/Observation.rs patient/Condition.read user/Patient.read",
			"patient/Observation.read patient/Condition.read"},
		{"wildcard registration keeps the request", "patient/Observation.read patient/Condition.rs", "patient/*.read",
			"patient/Observation.read patient/Condition.rs"},
		{"contexts never mix", "user/Observation.read", "patient/Observation.read system/*.read", ""},
		{"letters are intersected", "user/Patient.cruds", "user/Patient.rs user/Patient.d", "user/Patient.rs user/Patient.d"},
		{"v1 request, result not expressible in v1 becomes v2", "user/Patient.read", "user/Patient.r", "user/Patient.r"},
		{"v1 write against v2 letters", "user/Patient.write", "user/Patient.cruds", "user/Patient.write"},
		{"v1 star against v1 read", "user/Patient.*", "user/Patient.read", "user/Patient.read"},
		{"no common letter", "user/Patient.c", "user/Patient.rs", ""},
		{"granular request within a plain registration", "patient/Observation.rs?" + lab, "patient/Observation.read", "patient/Observation.rs?" + lab},
		{"granular request within a wildcard registration", "patient/Observation.rs?" + lab, "patient/*.rs", "patient/Observation.rs?" + lab},
		{"plain request narrowed by granular registrations", "patient/Observation.rs",
			"patient/Observation.rs?" + lab + " patient/Observation.rs?" + vit,
			"patient/Observation.rs?" + lab + " patient/Observation.rs?" + vit},
		{"v1 request narrowed by a filter becomes v2", "patient/Observation.read", "patient/Observation.rs?" + lab, "patient/Observation.rs?" + lab},
		{"wildcard request takes registered filters", "patient/*.read", "patient/Condition.rs?" + prob, "patient/Condition.rs?" + prob},
		{"narrower filter wins", "patient/Observation.rs?category=laboratory", "patient/Observation.rs?" + lab, "patient/Observation.rs?" + lab},
		{"unrelated filters are ANDed", "patient/Observation.rs?" + lab, "patient/Observation.rs?status=final",
			"patient/Observation.rs?" + lab + "&status=final"},
		{"different filters on one value do not meet as a union", "patient/Observation.rs?" + lab, "patient/Observation.rs?" + vit,
			"patient/Observation.rs?" + lab + "&" + vit},
		{"operations meet by name", "system/*.$export system/*.$bulkdata-status", "system/*.$export", "system/*.$export"},
		{"wildcard operation narrows", "system/*.$export", "system/Patient.$export system/Group.$export", "system/Patient.$export system/Group.$export"},
		{"operations are not permissions", "system/*.$export", "system/*.*", ""},
		{"API names", "user/soap_note.write user/vital.read", "user/soap_note.cruds user/*.r", "user/soap_note.write user/vital.r"},
		{"API wildcard", "user/*.read", "user/allergy.read user/Patient.rs", "user/allergy.read user/Patient.read"},
		{"covered meets are dropped", "patient/*.read patient/Observation.read", "patient/*.read patient/Observation.rs",
			"patient/*.read"},
		{"equivalent forms are kept once", "patient/Observation.read patient/Observation.rs", "patient/Observation.rs",
			"patient/Observation.read"},
		{"empty other", "openid patient/*.read", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, other := mustSet(t, tt.requested), mustSet(t, tt.other)
			got := req.Intersect(other)
			if got.String() != tt.want {
				t.Errorf("got  %q\nwant %q", got.String(), tt.want)
			}
			// Whatever the rule, the result never exceeds either side.
			if !got.Within(req) || !got.Within(other) {
				t.Errorf("%q is not within both %q and %q", got, req, other)
			}
			// And it reads back as what it says.
			if back := mustSet(t, got.String()); back.String() != got.String() {
				t.Errorf("result does not parse back: %q", back)
			}
		})
	}
}

// TestIntersectChain is the authorization server's use: requested ∩
// registered ∩ approved, where the patient approves only the lab
// observations.
func TestIntersectChain(t *testing.T) {
	requested := mustSet(t, "launch/patient openid fhirUser offline_access patient/Patient.rs patient/Observation.rs patient/Condition.rs")
	registered := mustSet(t, "launch/patient openid fhirUser offline_access patient/*.rs")
	approved := mustSet(t, "launch/patient openid fhirUser patient/Patient.rs patient/Observation.rs?category="+obsCat+"|laboratory")
	got := requested.Intersect(registered).Intersect(approved)
	want := "launch/patient openid fhirUser patient/Patient.rs patient/Observation.rs?category=" + obsCat + "|laboratory"
	if got.String() != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if fs, unr := got.Filters(Patient, "Observation", Search); unr || len(fs) != 1 {
		t.Errorf("Observation filters = %v, %v", fs, unr)
	}
	if got.Allows(Patient, "Condition", Read) {
		t.Error("Condition allowed though not approved")
	}
}
