package scope

import (
	"errors"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/errs"
)

const (
	obsCat  = "http://terminology.hl7.org/CodeSystem/observation-category"
	condCat = "http://terminology.hl7.org/CodeSystem/condition-category"
)

func TestParseValid(t *testing.T) {
	tests := []struct {
		in        string
		ctx       Context
		target    Target
		resource  string
		perms     Perms
		op        string
		v1        bool
		query     string
		params    []Param
		nonResSym string
	}{
		{in: "patient/Observation.read", ctx: Patient, target: FHIR, resource: "Observation", perms: PermsV1Read, v1: true},
		{in: "user/Patient.write", ctx: User, target: FHIR, resource: "Patient", perms: PermsV1Write, v1: true},
		{in: "user/Patient.*", ctx: User, target: FHIR, resource: "Patient", perms: PermsAll, v1: true},
		{in: "user/*.read", ctx: User, target: Wildcard, resource: "*", perms: PermsV1Read, v1: true},
		{in: "system/*.*", ctx: System, target: Wildcard, resource: "*", perms: PermsAll, v1: true},
		{in: "patient/Observation.rs", ctx: Patient, target: FHIR, resource: "Observation", perms: PermRead | PermSearch},
		{in: "user/*.cruds", ctx: User, target: Wildcard, resource: "*", perms: PermsAll},
		{in: "system/Group.c", ctx: System, target: FHIR, resource: "Group", perms: PermCreate},
		{in: "user/Encounter.cud", ctx: User, target: FHIR, resource: "Encounter", perms: PermsV1Write},
		{in: "user/Encounter.ud", ctx: User, target: FHIR, resource: "Encounter", perms: PermUpdate | PermDelete},
		{in: "patient/Patient.s", ctx: Patient, target: FHIR, resource: "Patient", perms: PermSearch},
		{
			in: "patient/Observation.rs?category=" + obsCat + "|laboratory", ctx: Patient, target: FHIR, resource: "Observation",
			perms: PermRead | PermSearch, query: "category=" + obsCat + "|laboratory",
			params: []Param{{Name: "category", Value: obsCat + "|laboratory"}},
		},
		{
			in: "user/Condition.rs?category=problem-list-item&clinical-status=active", ctx: User, target: FHIR, resource: "Condition",
			perms: PermRead | PermSearch, query: "category=problem-list-item&clinical-status=active",
			params: []Param{{Name: "category", Value: "problem-list-item"}, {Name: "clinical-status", Value: "active"}},
		},
		{
			in: "patient/Observation.s?code=%7C1234", ctx: Patient, target: FHIR, resource: "Observation",
			perms: PermSearch, query: "code=%7C1234", params: []Param{{Name: "code", Value: "|1234"}},
		},
		{in: "system/*.$export", ctx: System, target: Wildcard, resource: "*", op: "$export"},
		{in: "system/Patient.$export", ctx: System, target: FHIR, resource: "Patient", op: "$export"},
		{in: "system/Group.$export", ctx: System, target: FHIR, resource: "Group", op: "$export"},
		{in: "system/*.$bulkdata-status", ctx: System, target: Wildcard, resource: "*", op: "$bulkdata-status"},
		{in: "patient/DocumentReference.$docref", ctx: Patient, target: FHIR, resource: "DocumentReference", op: "$docref"},
		{in: "user/insurance.$swap-insurance", ctx: User, target: API, resource: "insurance", op: "$swap-insurance"},
		{in: "user/allergy.read", ctx: User, target: API, resource: "allergy", perms: PermsV1Read, v1: true},
		{in: "user/soap_note.write", ctx: User, target: API, resource: "soap_note", perms: PermsV1Write, v1: true},
		{in: "patient/encounter.read", ctx: Patient, target: API, resource: "encounter", perms: PermsV1Read, v1: true},
		{in: "user/medical_problem.cruds", ctx: User, target: API, resource: "medical_problem", perms: PermsAll},
		{in: "openid", target: NonResource, nonResSym: "openid"},
		{in: "fhirUser", target: NonResource, nonResSym: "fhirUser"},
		{in: "profile", target: NonResource, nonResSym: "profile"},
		{in: "launch", target: NonResource, nonResSym: "launch"},
		{in: "launch/patient", target: NonResource, nonResSym: "launch/patient"},
		{in: "launch/encounter", target: NonResource, nonResSym: "launch/encounter"},
		{in: "offline_access", target: NonResource, nonResSym: "offline_access"},
		{in: "online_access", target: NonResource, nonResSym: "online_access"},
		{in: "api:fhir", target: NonResource, nonResSym: "api:fhir"},
		{in: "api:oemr", target: NonResource, nonResSym: "api:oemr"},
		{in: "api:port", target: NonResource, nonResSym: "api:port"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			s, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if s.Context != tt.ctx || s.Target != tt.target || s.Resource != tt.resource || s.Perms != tt.perms ||
				s.Operation != tt.op || s.V1 != tt.v1 || s.Name != tt.nonResSym {
				t.Errorf("got %+v", s)
			}
			if s.Filter.Query != tt.query {
				t.Errorf("query = %q, want %q", s.Filter.Query, tt.query)
			}
			if len(s.Filter.Params) != len(tt.params) {
				t.Fatalf("params = %v, want %v", s.Filter.Params, tt.params)
			}
			for i, p := range tt.params {
				if s.Filter.Params[i] != p {
					t.Errorf("param %d = %v, want %v", i, s.Filter.Params[i], p)
				}
			}
			if got := s.String(); got != tt.in {
				t.Errorf("String() = %q, want the input back", got)
			}
			if s.IsResource() != (tt.target != NonResource) {
				t.Errorf("IsResource() = %v", s.IsResource())
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "empty scope"},
		{"patient/Observation.read user/Patient.read", "white space"},
		{"email", "unknown scope"},
		{"Openid", "unknown scope"},
		{"launch/diagnosticreport", "unsupported launch context"},
		{"practitioner/Observation.read", "start with patient/, user/ or system/"},
		{"patient/Observation", "missing access"},
		{"patient/Observation.", "missing access"},
		{"patient/.read", "missing resource type"},
		{"patient/Observations.read", "unknown FHIR R4 resource type"},
		{"patient/Documents.read", "unknown FHIR R4 resource type"},
		{"patient/Document.write", "Document scopes grant reading only"},
		{"user/Document.cruds", "Document scopes grant reading only"},
		{"system/Document.$export", "Document scopes grant reading only"},
		{"patient/Document.rs?category=x", "Document scope takes no granular query"},
		{"patient/observation-x.read", "malformed resource name"},
		{"patient/soap note.read", "white space"},
		{"patient/_note.read", "malformed resource name"},
		{"patient/Observation.sr", "letters of cruds in that order"},
		{"patient/Observation.rr", "letters of cruds in that order"},
		{"patient/Observation.rsx", "letters of cruds in that order"},
		{"patient/Observation.R", "letters of cruds in that order"},
		{"patient/Observation.reads", "letters of cruds in that order"},
		{"patient/Observation.dc", "letters of cruds in that order"},
		{"patient/Observation.$", "malformed operation"},
		{"patient/Observation.$1x", "malformed operation"},
		{"system/*.$export?_type=Patient", "operation scope takes no granular query"},
		{"patient/Observation.read?category=laboratory", "SMART v2 access letters"},
		{"patient/*.rs?category=laboratory", "need a FHIR resource type"},
		{"user/vital.rs?category=laboratory", "need a FHIR resource type"},
		{"patient/Observation.rs?", "empty granular query"},
		{"patient/Observation.rs?category", "not name=value"},
		{"patient/Observation.rs?=laboratory", "not name=value"},
		{"patient/Observation.rs?category=", "empty value"},
		{"patient/Observation.rs?category=|", "empty value"},
		{"patient/Observation.rs?category=a|b|c", "at most one"},
		{"patient/Observation.rs?category=a,b", "one value per parameter"},
		{"patient/Observation.rs?category:not=a", "not a search parameter name"},
		{"patient/Observation.rs?category=a&", "not name=value"},
		{"patient/Observation.rs?category=%zz", "malformed escape"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse(tt.in)
			if err == nil {
				t.Fatal("Parse succeeded")
			}
			var e *errs.Error
			if !errors.As(err, &e) || e.Kind != errs.Invalid || e.Field != "scope" {
				t.Fatalf("error %v is not an Invalid *errs.Error on field scope", err)
			}
			if !strings.Contains(e.Message, tt.want) {
				t.Errorf("message %q does not mention %q", e.Message, tt.want)
			}
			if tt.in != "" && !strings.Contains(e.Message, tt.in) {
				t.Errorf("message %q does not name the scope", e.Message)
			}
		})
	}
}

// TestPermsAllOrderedSubsets checks every v2 letter combination: the 31
// ordered subsets of cruds parse to their bits, and any permutation out of
// order fails.
func TestPermsAllOrderedSubsets(t *testing.T) {
	for mask := 1; mask < 32; mask++ {
		var b strings.Builder
		for i := range 5 {
			if mask&(1<<i) != 0 {
				b.WriteByte(letters[i])
			}
		}
		s := b.String()
		p, ok := parsePerms(s)
		if !ok || int(p) != mask || p.String() != s {
			t.Errorf("parsePerms(%q) = %v, %v", s, p, ok)
		}
		if len(s) > 1 {
			rev := []byte(s)
			rev[0], rev[len(rev)-1] = rev[len(rev)-1], rev[0]
			if _, ok := parsePerms(string(rev)); ok {
				t.Errorf("parsePerms(%q) accepted letters out of order", rev)
			}
		}
	}
}

func TestV1V2Equivalence(t *testing.T) {
	pairs := [][2]string{
		{"patient/Observation.read", "patient/Observation.rs"},
		{"user/Patient.write", "user/Patient.cud"},
		{"user/Patient.*", "user/Patient.cruds"},
		{"system/*.read", "system/*.rs"},
		{"user/soap_note.write", "user/soap_note.cud"},
	}
	for _, p := range pairs {
		v1, err1 := Parse(p[0])
		v2, err2 := Parse(p[1])
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if got := v1.V2().String(); got != p[1] {
			t.Errorf("%s.V2() = %s, want %s", p[0], got, p[1])
		}
		if !v1.Covers(v2) || !v2.Covers(v1) {
			t.Errorf("%s and %s do not cover each other", p[0], p[1])
		}
		for in := Create; in <= Search; in++ {
			a := NewSet(v1).Allows(v1.Context, v1.Resource, in)
			b := NewSet(v2).Allows(v2.Context, v2.Resource, in)
			if a != b {
				t.Errorf("%s and %s disagree on %s", p[0], p[1], in)
			}
		}
	}
}

// TestSpecScopeList parses the scopes the published API documentation
// lists, Document.read (documents, not an R4 type) with the rest.
func TestSpecScopeList(t *testing.T) {
	list := `openid fhirUser online_access offline_access launch launch/patient api:fhir api:oemr api:port
patient/AllergyIntolerance.read patient/Appointment.read patient/CarePlan.read patient/CareTeam.read
patient/Condition.read patient/Coverage.read patient/Device.read patient/DiagnosticReport.read
patient/DocumentReference.read patient/DocumentReference.$docref patient/Encounter.read patient/Goal.read
patient/Document.read system/Document.read user/Document.read
patient/Immunization.read patient/Location.read patient/MedicationRequest.read patient/Medication.read
patient/Observation.read patient/Organization.read patient/Patient.read patient/Person.read
patient/Practitioner.read patient/Procedure.read patient/Provenance.read
system/Group.read system/Group.$export system/Patient.$export system/PractitionerRole.read
system/*.$bulkdata-status system/*.$export system/DocumentReference.$docref
user/Organization.write user/Patient.write user/Practitioner.write user/DocumentReference.$docref
user/allergy.read user/allergy.write user/appointment.read user/dental_issue.write user/document.read
user/drug.read user/encounter.write user/facility.write user/immunization.read user/insurance.write
user/insurance_company.read user/insurance_type.read user/list.read user/medical_problem.write
user/medication.read user/message.write user/patient.write user/practitioner.read user/prescription.read
user/procedure.read user/soap_note.read user/soap_note.write user/surgery.read user/transaction.write
user/vital.read user/vital.write patient/encounter.read patient/patient.read patient/appointment.read`
	set, err := ParseList(list)
	if err != nil {
		t.Fatal(err)
	}
	if set.Len() != len(strings.Fields(list)) {
		t.Errorf("Len() = %d, want %d", set.Len(), len(strings.Fields(list)))
	}
	if got := set.String(); got != strings.Join(strings.Fields(list), " ") {
		t.Errorf("String() does not give the list back:\n%s", got)
	}
}

func TestParseList(t *testing.T) {
	set, err := ParseList("  openid\tpatient/Patient.read   patient/Patient.read patient/Patient.rs\n")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := set.String(), "openid patient/Patient.read patient/Patient.rs"; got != want {
		t.Errorf("String() = %q, want %q (duplicates dropped, order and forms kept)", got, want)
	}
	if empty, err := ParseList(""); err != nil || empty.Len() != 0 || empty.String() != "" {
		t.Errorf("ParseList(\"\") = %v, %v", empty, err)
	}

	_, err = ParseList("openid patient/Foo.read user/Patient.sr launch")
	var multi errs.Multi
	if !errors.As(err, &multi) || len(multi) != 2 {
		t.Fatalf("err = %#v, want an errs.Multi of two", err)
	}
	if !strings.Contains(multi[0].Message, "patient/Foo.read") || !strings.Contains(multi[1].Message, "user/Patient.sr") {
		t.Errorf("errors do not name the bad scopes: %v / %v", multi[0], multi[1])
	}
	if errs.KindOf(err) != errs.Invalid {
		t.Errorf("kind = %v", errs.KindOf(err))
	}

	lenient, bad := ParseListLenient("openid patient/Foo.read user/Patient.rs")
	if lenient.String() != "openid user/Patient.rs" || len(bad) != 1 {
		t.Errorf("lenient = %q, bad = %v", lenient, bad)
	}
}

func TestInteractionNames(t *testing.T) {
	tests := []struct {
		in             Interaction
		name, let, v1w string
	}{
		{Create, "create", "c", "write"},
		{Read, "read", "r", "read"},
		{Update, "update", "u", "write"},
		{Delete, "delete", "d", "write"},
		{Search, "search", "s", "read"},
	}
	for _, tt := range tests {
		if tt.in.String() != tt.name || tt.in.Letter() != tt.let || tt.in.V1() != tt.v1w {
			t.Errorf("%d: %s %s %s", tt.in, tt.in, tt.in.Letter(), tt.in.V1())
		}
		if !Of(tt.in).Has(tt.in) || Of(tt.in).String() != tt.let {
			t.Errorf("Of(%s) = %v", tt.in, Of(tt.in))
		}
	}
	if Perms(PermsAll).Has(0) || Perms(PermsAll).Has(6) {
		t.Error("Has accepts an invalid interaction")
	}
}

func TestIsFHIRTypeAndAPIName(t *testing.T) {
	for _, s := range []string{"Patient", "Observation", "MedicationDispense", "VisionPrescription", "Bundle"} {
		if !IsFHIRType(s) {
			t.Errorf("IsFHIRType(%q) = false", s)
		}
	}
	for _, s := range []string{"patient", "Document", "SubscriptionStatus", "Resource", "DomainResource", ""} {
		if IsFHIRType(s) {
			t.Errorf("IsFHIRType(%q) = true", s)
		}
	}
	for s, want := range map[string]bool{"soap_note": true, "patient": true, "Patient": false, "_x": false, "a1": false, "": false} {
		if IsAPIName(s) != want {
			t.Errorf("IsAPIName(%q) = %v", s, !want)
		}
	}
}
