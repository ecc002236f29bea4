package scope

import (
	"testing"
)

func mustSet(t *testing.T, s string) Set {
	t.Helper()
	set, err := ParseList(s)
	if err != nil {
		t.Fatalf("ParseList(%q): %v", s, err)
	}
	return set
}

func mustScope(t *testing.T, s string) Scope {
	t.Helper()
	sc, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestAllows(t *testing.T) {
	tests := []struct {
		scopes   string
		ctx      Context
		resource string
		in       Interaction
		want     bool
	}{
		{"patient/Observation.read", Patient, "Observation", Read, true},
		{"patient/Observation.read", Patient, "Observation", Search, true},
		{"patient/Observation.read", Patient, "Observation", Create, false},
		{"patient/Observation.read", User, "Observation", Read, false},
		{"patient/Observation.read", Patient, "Condition", Read, false},
		{"patient/Observation.rs", Patient, "Observation", Search, true},
		{"patient/Observation.r", Patient, "Observation", Search, false},
		{"patient/Observation.s", Patient, "Observation", Read, false},
		{"user/Patient.write", User, "Patient", Create, true},
		{"user/Patient.write", User, "Patient", Update, true},
		{"user/Patient.write", User, "Patient", Delete, true},
		{"user/Patient.write", User, "Patient", Read, false},
		{"user/Patient.cu", User, "Patient", Delete, false},
		{"user/*.read", User, "Encounter", Read, true},
		{"user/*.read", User, "soap_note", Search, true},
		{"user/*.read", User, "Encounter", Update, false},
		{"system/*.*", System, "Group", Delete, true},
		{"system/*.*", User, "Group", Read, false},
		{"user/*.cruds", User, "Practitioner", Update, true},
		{"patient/Observation.rs?category=laboratory", Patient, "Observation", Search, true},
		{"patient/Observation.rs?category=laboratory", Patient, "Observation", Update, false},
		{"user/allergy.read", User, "allergy", Read, true},
		{"user/allergy.read", User, "Allergy", Read, false},
		{"user/patient.read", User, "Patient", Read, false}, // API name never grants the FHIR type
		{"user/Patient.read", User, "patient", Read, false}, // and the reverse
		{"system/*.$export", System, "Patient", Read, false},
		{"openid fhirUser", User, "Patient", Read, false},
		{"", User, "Patient", Read, false},
		{"patient/Condition.r user/Condition.s", User, "Condition", Search, true},
		{"patient/Condition.r user/Condition.s", User, "Condition", Read, false},
	}
	for _, tt := range tests {
		set := mustSet(t, tt.scopes)
		if got := set.Allows(tt.ctx, tt.resource, tt.in); got != tt.want {
			t.Errorf("%q.Allows(%s, %s, %s) = %v, want %v", tt.scopes, tt.ctx, tt.resource, tt.in, got, tt.want)
		}
	}
}

func TestFilters(t *testing.T) {
	lab := "category=" + obsCat + "|laboratory"
	vit := "category=" + obsCat + "|vital-signs"
	tests := []struct {
		name         string
		scopes       string
		ctx          Context
		resource     string
		in           Interaction
		queries      []string
		unrestricted bool
	}{
		{"plain grant", "patient/Observation.rs", Patient, "Observation", Search, nil, true},
		{"v1 grant", "patient/Observation.read", Patient, "Observation", Read, nil, true},
		{"wildcard grant", "patient/*.rs", Patient, "Observation", Search, nil, true},
		{"one filter", "patient/Observation.rs?" + lab, Patient, "Observation", Search, []string{lab}, false},
		{"two filters are ORed", "patient/Observation.rs?" + lab + " patient/Observation.rs?" + vit, Patient, "Observation", Search, []string{lab, vit}, false},
		{"a plain grant beats filters", "patient/Observation.rs?" + lab + " patient/*.read", Patient, "Observation", Search, nil, true},
		{"filters of other types do not apply", "patient/Condition.rs?category=problem-list-item patient/Observation.rs?" + lab, Patient, "Observation", Search, []string{lab}, false},
		{"filters of other contexts do not apply", "user/Observation.rs patient/Observation.rs?" + lab, Patient, "Observation", Search, []string{lab}, false},
		{"a filter on r only does not apply to s", "patient/Observation.r?" + lab + " patient/Observation.s", Patient, "Observation", Read, []string{lab}, false},
		{"nothing allowed", "patient/Condition.rs", Patient, "Observation", Search, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, unr := mustSet(t, tt.scopes).Filters(tt.ctx, tt.resource, tt.in)
			if unr != tt.unrestricted {
				t.Errorf("unrestricted = %v", unr)
			}
			if len(fs) != len(tt.queries) {
				t.Fatalf("filters = %v, want %v", fs, tt.queries)
			}
			for i, q := range tt.queries {
				if fs[i].Query != q {
					t.Errorf("filter %d = %q, want %q", i, fs[i].Query, q)
				}
			}
		})
	}
}

func TestAllowsOperation(t *testing.T) {
	tests := []struct {
		scopes       string
		ctx          Context
		resource, op string
		want         bool
	}{
		{"system/*.$export", System, "", "$export", true},
		{"system/*.$export", System, "*", "$export", true},
		{"system/*.$export", System, "Patient", "$export", true},
		{"system/*.$export", System, "Group", "$export", true},
		{"system/*.$export", User, "Patient", "$export", false},
		{"system/Patient.$export", System, "Patient", "$export", true},
		{"system/Patient.$export", System, "Group", "$export", false},
		{"system/Patient.$export", System, "", "$export", false},
		{"system/Group.$export", System, "Group", "$export", true},
		{"system/*.$bulkdata-status", System, "", "$bulkdata-status", true},
		{"system/*.$bulkdata-status", System, "", "$export", false},
		{"patient/DocumentReference.$docref", Patient, "DocumentReference", "$docref", true},
		{"patient/DocumentReference.$docref", User, "DocumentReference", "$docref", false},
		{"system/*.*", System, "Patient", "$export", false}, // access letters grant no operation
		{"system/*.read", System, "", "$export", false},
	}
	for _, tt := range tests {
		if got := mustSet(t, tt.scopes).AllowsOperation(tt.ctx, tt.resource, tt.op); got != tt.want {
			t.Errorf("%q.AllowsOperation(%s, %q, %s) = %v, want %v", tt.scopes, tt.ctx, tt.resource, tt.op, got, tt.want)
		}
	}
}

// TestDocumentScopes: a Document scope (the product's patient/Document.read
// and its v2 form) reads and searches DocumentReference and Binary, writes
// nothing and reaches no other type.
func TestDocumentScopes(t *testing.T) {
	tests := []struct {
		scopes   string
		ctx      Context
		resource string
		in       Interaction
		want     bool
	}{
		{"patient/Document.read", Patient, "DocumentReference", Read, true},
		{"patient/Document.read", Patient, "DocumentReference", Search, true},
		{"patient/Document.read", Patient, "Binary", Read, true},
		{"patient/Document.read", Patient, "Binary", Search, true},
		{"patient/Document.read", Patient, "DocumentManifest", Read, false},
		{"patient/Document.read", Patient, "Observation", Read, false},
		{"patient/Document.read", Patient, "DocumentReference", Create, false},
		{"patient/Document.read", User, "DocumentReference", Read, false},
		{"user/Document.rs", User, "Binary", Read, true},
		{"user/Document.r", User, "DocumentReference", Search, false},
		{"system/Document.s", System, "DocumentReference", Search, true},
	}
	for _, tt := range tests {
		set := mustSet(t, tt.scopes)
		if got := set.Allows(tt.ctx, tt.resource, tt.in); got != tt.want {
			t.Errorf("%q.Allows(%s, %s, %s) = %v, want %v", tt.scopes, tt.ctx, tt.resource, tt.in, got, tt.want)
		}
		if _, unr := set.Filters(tt.ctx, tt.resource, tt.in); unr != tt.want {
			t.Errorf("%q.Filters(%s, %s, %s) unrestricted = %v, want %v", tt.scopes, tt.ctx, tt.resource, tt.in, unr, tt.want)
		}
	}
	if got := mustSet(t, "patient/Document.read").String(); got != "patient/Document.read" {
		t.Errorf("String() = %q", got)
	}
}

func TestHas(t *testing.T) {
	set := mustSet(t, "openid launch/patient api:oemr user/Patient.read")
	for name, want := range map[string]bool{"openid": true, "launch/patient": true, "api:oemr": true, "launch": false, "api:fhir": false, "user/Patient.read": false} {
		if set.Has(name) != want {
			t.Errorf("Has(%q) = %v", name, !want)
		}
	}
}

func TestCoversAndWithin(t *testing.T) {
	lab := "category=" + obsCat + "|laboratory"
	tests := []struct {
		a, b string
		want bool
	}{
		{"patient/Observation.read", "patient/Observation.rs?" + lab, true},
		{"patient/Observation.rs?" + lab, "patient/Observation.read", false},
		{"patient/*.rs", "patient/Observation.r", true},
		{"patient/Observation.rs", "patient/*.r", false},
		{"patient/*.rs", "user/Observation.r", false},
		{"user/*.cruds", "user/soap_note.write", true},
		{"system/*.$export", "system/Patient.$export", true},
		{"system/Patient.$export", "system/*.$export", false},
		{"system/*.*", "system/*.$export", false},
		{"openid", "openid", true},
		{"openid", "fhirUser", false},
		{"patient/Observation.rs?category=laboratory", "patient/Observation.rs?category=" + obsCat + "|laboratory", true},
		{"patient/Observation.rs?category=" + obsCat + "|", "patient/Observation.rs?category=" + obsCat + "|laboratory", true},
		{"patient/Observation.rs?category=" + obsCat + "|laboratory", "patient/Observation.rs?category=laboratory", false},
		{"patient/Observation.rs?category=|laboratory", "patient/Observation.rs?category=" + obsCat + "|laboratory", false},
		{"patient/Observation.rs?" + lab, "patient/Observation.rs?" + lab + "&status=final", true},
		{"patient/Observation.rs?" + lab + "&status=final", "patient/Observation.rs?" + lab, false},
		{"patient/Observation.rs?" + lab, "patient/Observation.rs?code=" + lab, false},
	}
	for _, tt := range tests {
		if got := mustScope(t, tt.a).Covers(mustScope(t, tt.b)); got != tt.want {
			t.Errorf("%s covers %s = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
	granted := mustSet(t, "patient/Observation.rs?"+lab+" openid")
	if !granted.Within(mustSet(t, "openid patient/Observation.read")) {
		t.Error("granular grant not within a plain registration")
	}
	if granted.Within(mustSet(t, "patient/Observation.read")) {
		t.Error("openid within a set without it")
	}
}
