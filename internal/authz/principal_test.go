package authz

import (
	"net/http"
	"testing"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/scope"
)

func principal(t *testing.T, role, patient, scopes string) *Principal {
	t.Helper()
	set, err := scope.ParseList(scopes)
	if err != nil {
		t.Fatal(err)
	}
	return &Principal{Claims: Claims{Role: role, Patient: patient, Scope: scopes}, Scopes: set}
}

const lab = "category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory"

func TestDecisions(t *testing.T) {
	type call int
	const (
		fhir call = iota
		api
		portal
		op
	)
	tests := []struct {
		name          string
		role, patient string
		scopes        string
		call          call
		resource      string
		in            scope.Interaction
		op            string
		want          string // "" allowed, else a Forbidden message part
	}{
		// FHIR, patients: patient/ scopes only.
		{"patient v1 read", RolePatient, "p1", "patient/Observation.read", fhir, "Observation", scope.Read, "", ""},
		{"patient v1 search", RolePatient, "p1", "patient/Observation.read", fhir, "Observation", scope.Search, "", ""},
		{"patient v2 read", RolePatient, "p1", "patient/Observation.rs", fhir, "Observation", scope.Read, "", ""},
		{"patient v2 r only, no search", RolePatient, "p1", "patient/Observation.r", fhir, "Observation", scope.Search, "",
			"search of Observation needs patient/Observation.s (SMART v1: patient/Observation.read)"},
		{"patient wildcard", RolePatient, "p1", "patient/*.rs", fhir, "Condition", scope.Search, "", ""},
		{"patient granular", RolePatient, "p1", "patient/Observation.rs?" + lab, fhir, "Observation", scope.Search, "", ""},
		{"patient cannot write with read", RolePatient, "p1", "patient/Observation.read", fhir, "Observation", scope.Create, "",
			"create of Observation needs patient/Observation.c (SMART v1: patient/Observation.write)"},
		{"patient ignores user scopes", RolePatient, "p1", "user/*.cruds", fhir, "Observation", scope.Read, "",
			"needs patient/Observation.r"},
		{"patient ignores system scopes", RolePatient, "p1", "system/*.rs", fhir, "Patient", scope.Read, "", "needs patient/Patient.r"},
		{"patient wrong type", RolePatient, "p1", "patient/Observation.rs", fhir, "Condition", scope.Read, "", "needs patient/Condition.r"},
		// FHIR, system clients: system/ scopes only.
		{"system read", RoleSystem, "", "system/*.read", fhir, "Patient", scope.Search, "", ""},
		{"system v2", RoleSystem, "", "system/Patient.rs", fhir, "Patient", scope.Read, "", ""},
		{"system ignores user scopes", RoleSystem, "", "user/*.rs", fhir, "Patient", scope.Read, "", "needs system/Patient.r"},
		{"system ignores patient scopes", RoleSystem, "p1", "patient/*.rs", fhir, "Patient", scope.Read, "", "needs system/Patient.r"},
		// FHIR, staff users.
		{"user read", RoleClinician, "", "user/Patient.read", fhir, "Patient", scope.Read, "", ""},
		{"user write", RoleAdmin, "", "user/Patient.write", fhir, "Patient", scope.Update, "", ""},
		{"user v2 cruds", RoleFrontOffice, "", "user/*.cruds", fhir, "Appointment", scope.Delete, "", ""},
		{"user without patient context ignores patient scopes", RoleClinician, "", "patient/*.rs", fhir, "Patient", scope.Read, "",
			"read of Patient needs user/Patient.r (SMART v1: user/Patient.read)"},
		{"user with patient context uses patient scopes", RoleClinician, "p1", "patient/*.rs", fhir, "Patient", scope.Read, "", ""},
		{"user with patient context, message names both", RoleClinician, "p1", "patient/Patient.rs", fhir, "Observation", scope.Read, "",
			"needs user/Observation.r or patient/Observation.r (SMART v1: user/Observation.read or patient/Observation.read)"},
		{"user ignores system scopes", RoleClinician, "", "system/*.*", fhir, "Patient", scope.Read, "", "needs user/Patient.r"},
		{"unknown role", "nurse", "", "user/*.*", fhir, "Patient", scope.Read, "", "has no access"},
		{"not a FHIR type", RoleClinician, "", "user/*.*", fhir, "patient", scope.Read, "", "not a FHIR resource type"},
		{"API scope does not grant FHIR", RoleClinician, "", "user/patient.read", fhir, "Patient", scope.Read, "", "needs user/Patient.r"},
		// FHIR and the api:* face scopes.
		{"no api scope: FHIR open", RoleClinician, "", "user/Patient.read", fhir, "Patient", scope.Read, "", ""},
		{"api:fhir", RoleClinician, "", "api:fhir user/Patient.read", fhir, "Patient", scope.Read, "", ""},
		{"api:oemr only closes FHIR", RoleClinician, "", "api:oemr user/Patient.read", fhir, "Patient", scope.Read, "", "needs scope api:fhir"},
		{"api:port only closes FHIR", RolePatient, "p1", "api:port patient/Patient.read", fhir, "Patient", scope.Read, "", "needs scope api:fhir"},
		{"api:oemr and api:fhir", RoleClinician, "", "api:oemr api:fhir user/Patient.read", fhir, "Patient", scope.Read, "", ""},
		// /api/.
		{"api read", RoleClinician, "", "api:oemr user/allergy.read", api, "allergy", scope.Read, "", ""},
		{"api list", RoleClinician, "", "api:oemr user/allergy.read", api, "allergy", scope.Search, "", ""},
		{"api write", RoleClinician, "", "api:oemr user/soap_note.write", api, "soap_note", scope.Create, "", ""},
		{"api v2", RoleAdmin, "", "api:oemr user/vital.crus", api, "vital", scope.Update, "", ""},
		{"api v2 missing d", RoleAdmin, "", "api:oemr user/vital.crus", api, "vital", scope.Delete, "",
			"delete of vital needs user/vital.d (SMART v1: user/vital.write)"},
		{"api read is not write", RoleClinician, "", "api:oemr user/allergy.read", api, "allergy", scope.Delete, "",
			"needs user/allergy.d (SMART v1: user/allergy.write)"},
		{"api wildcard", RoleClinician, "", "api:oemr user/*.read", api, "encounter", scope.Read, "", ""},
		{"api without api:oemr", RoleClinician, "", "user/allergy.read", api, "allergy", scope.Read, "", "needs scope api:oemr"},
		{"api with api:fhir only", RoleClinician, "", "api:fhir user/allergy.read", api, "allergy", scope.Read, "", "needs scope api:oemr"},
		{"api FHIR scope does not grant API name", RoleClinician, "", "api:oemr user/Patient.read", api, "patient", scope.Read, "",
			"needs user/patient.r"},
		{"api for patients refused", RolePatient, "p1", "api:oemr patient/patient.read user/patient.read", api, "patient", scope.Read, "",
			"for staff users"},
		{"api for system refused", RoleSystem, "", "api:oemr system/*.read", api, "patient", scope.Read, "", "for staff users"},
		{"api patient scopes do not count", RoleClinician, "p1", "api:oemr patient/patient.read", api, "patient", scope.Read, "",
			"needs user/patient.r"},
		{"api name check", RoleClinician, "", "api:oemr user/*.read", api, "Patient", scope.Read, "", "not an API resource name"},
		// /portal/.
		{"portal read", RolePatient, "p1", "api:port patient/encounter.read", portal, "encounter", scope.Read, "", ""},
		{"portal v2 s", RolePatient, "p1", "api:port patient/patient.s", portal, "patient", scope.Search, "", ""},
		{"portal v2 s is not r", RolePatient, "p1", "api:port patient/patient.s", portal, "patient", scope.Read, "",
			"read of patient needs patient/patient.r (SMART v1: patient/patient.read)"},
		{"portal without api:port", RolePatient, "p1", "patient/encounter.read", portal, "encounter", scope.Read, "", "needs scope api:port"},
		{"portal for users refused", RoleClinician, "p1", "api:port patient/encounter.read", portal, "encounter", scope.Read, "", "for patients"},
		{"portal FHIR scope does not count", RolePatient, "p1", "api:port patient/Encounter.read", portal, "encounter", scope.Read, "",
			"needs patient/encounter.r"},
		// Operations.
		{"system export", RoleSystem, "", "system/*.$export", op, "", 0, "$export", ""},
		{"patient-level export", RoleSystem, "", "system/Patient.$export", op, "Patient", 0, "$export", ""},
		{"group export", RoleSystem, "", "system/Group.$export", op, "Group", 0, "$export", ""},
		{"wildcard export covers group", RoleSystem, "", "system/*.$export", op, "Group", 0, "$export", ""},
		{"patient-level does not cover system-level", RoleSystem, "", "system/Patient.$export", op, "", 0, "$export",
			"$export needs system/*.$export"},
		{"group needs its scope", RoleSystem, "", "system/Patient.$export", op, "Group", 0, "$export",
			"$export needs system/Group.$export or system/*.$export"},
		{"read scopes do not export", RoleSystem, "", "system/*.read", op, "", 0, "$export", "needs system/*.$export"},
		{"status", RoleSystem, "", "system/*.$bulkdata-status", op, "*", 0, "$bulkdata-status", ""},
		{"export is not status", RoleSystem, "", "system/*.$export", op, "", 0, "$bulkdata-status", "needs system/*.$bulkdata-status"},
		{"user export scope refused to system", RoleSystem, "", "user/*.$export", op, "", 0, "$export", "needs system/*.$export"},
		{"patient docref", RolePatient, "p1", "patient/DocumentReference.$docref", op, "DocumentReference", 0, "$docref", ""},
		{"user docref", RoleClinician, "", "user/DocumentReference.$docref", op, "DocumentReference", 0, "$docref", ""},
		{"docref of another type", RolePatient, "p1", "patient/DocumentReference.$docref", op, "Patient", 0, "$docref",
			"needs patient/Patient.$docref or patient/*.$docref"},
		{"operation needs the FHIR face", RoleSystem, "", "api:oemr system/*.$export", op, "", 0, "$export", "needs scope api:fhir"},
		{"operation on a non-type", RoleSystem, "", "system/*.$export", op, "Nope", 0, "$export", "not a FHIR resource type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := principal(t, tt.role, tt.patient, tt.scopes)
			var err error
			switch tt.call {
			case fhir:
				err = p.CanFHIR(tt.resource, tt.in)
			case api:
				err = p.CanAPI(tt.resource, tt.in)
			case portal:
				err = p.CanPortal(tt.resource, tt.in)
			case op:
				err = p.CanOperation(tt.resource, tt.op)
			}
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			wantErr(t, err, errs.Forbidden, tt.want)
		})
	}
}

func TestPatientRestriction(t *testing.T) {
	tests := []struct {
		name, role, patient, scopes string
		wantID                      string
		restricted                  bool
		// for PatientRestrictionFor(Observation, Read)
		forID         string
		forRestricted bool
	}{
		{"patient", RolePatient, "p1", "patient/*.rs", "p1", true, "p1", true},
		{"patient without a patient claim sees nothing", RolePatient, "", "patient/*.rs", "", true, "", true},
		{"system", RoleSystem, "", "system/*.rs", "", false, "", false},
		{"system with a patient claim", RoleSystem, "p1", "system/*.rs", "", false, "", false},
		{"user", RoleClinician, "", "user/*.rs", "", false, "", false},
		{"user with patient context and user scopes (EHR launch)", RoleClinician, "p1", "launch user/*.rs", "", false, "", false},
		{"user with patient context and patient scopes", RoleClinician, "p1", "launch/patient patient/*.rs", "p1", true, "p1", true},
		{"user with both: conservative, exact per type", RoleClinician, "p1", "user/Observation.rs patient/Condition.rs", "p1", true, "", false},
		{"user with patient API scopes only", RoleClinician, "p1", "user/*.rs patient/encounter.read", "", false, "", false},
		{"user without patient context, patient scopes unused", RoleClinician, "", "patient/*.rs", "", false, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := principal(t, tt.role, tt.patient, tt.scopes)
			id, r := p.PatientRestriction()
			if id != tt.wantID || r != tt.restricted {
				t.Errorf("PatientRestriction() = %q, %v", id, r)
			}
			id, r = p.PatientRestrictionFor("Observation", scope.Read)
			if id != tt.forID || r != tt.forRestricted {
				t.Errorf("PatientRestrictionFor(Observation, read) = %q, %v", id, r)
			}
		})
	}
}

func TestSearchFilters(t *testing.T) {
	vit := "category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs"
	tests := []struct {
		name, role, patient, scopes string
		queries                     []string
		unrestricted                bool
	}{
		{"plain", RolePatient, "p1", "patient/Observation.rs", nil, true},
		{"v1", RolePatient, "p1", "patient/Observation.read", nil, true},
		{"granular", RolePatient, "p1", "patient/Observation.rs?" + lab, []string{lab}, false},
		{"two granular", RolePatient, "p1", "patient/Observation.rs?" + lab + " patient/Observation.rs?" + vit, []string{lab, vit}, false},
		{"granular and wildcard", RolePatient, "p1", "patient/Observation.rs?" + lab + " patient/*.rs", nil, true},
		{"user granular", RoleClinician, "", "user/Observation.rs?" + lab, []string{lab}, false},
		{"user patient-context filters join", RoleClinician, "p1", "user/Observation.rs?" + lab + " patient/Observation.rs?" + vit, []string{lab, vit}, false},
		{"user ignores patient scopes without context", RoleClinician, "", "user/Observation.rs?" + lab + " patient/Observation.rs", []string{lab}, false},
		{"system ignores others", RoleSystem, "", "system/Observation.rs?" + lab + " user/Observation.rs", []string{lab}, false},
		{"not allowed", RolePatient, "p1", "patient/Condition.rs", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, unr := principal(t, tt.role, tt.patient, tt.scopes).SearchFilters("Observation")
			if unr != tt.unrestricted || len(fs) != len(tt.queries) {
				t.Fatalf("SearchFilters = %v, %v", fs, unr)
			}
			for i, q := range tt.queries {
				if fs[i].Query != q {
					t.Errorf("filter %d = %q, want %q", i, fs[i].Query, q)
				}
			}
		})
	}
	// Read and search may be granted with different filters.
	p := principal(t, RolePatient, "p1", "patient/Observation.r patient/Observation.s?"+lab)
	if _, unr := p.Filters("Observation", scope.Read); !unr {
		t.Error("read should be unrestricted")
	}
	if fs, unr := p.Filters("Observation", scope.Search); unr || len(fs) != 1 {
		t.Error("search should be filtered")
	}
}

func TestAPIInteraction(t *testing.T) {
	tests := []struct {
		method     string
		collection bool
		want       scope.Interaction
		ok         bool
	}{
		{http.MethodGet, false, scope.Read, true},
		{http.MethodGet, true, scope.Search, true},
		{http.MethodHead, false, scope.Read, true},
		{http.MethodPost, true, scope.Create, true},
		{http.MethodPut, false, scope.Update, true},
		{http.MethodPatch, false, scope.Update, true},
		{http.MethodDelete, false, scope.Delete, true},
		{http.MethodOptions, false, 0, false},
	}
	for _, tt := range tests {
		in, ok := APIInteraction(tt.method, tt.collection)
		if in != tt.want || ok != tt.ok {
			t.Errorf("APIInteraction(%s, %v) = %v, %v", tt.method, tt.collection, in, ok)
		}
		// GET needs v1 read, the others v1 write.
		if ok && (in.V1() == "read") != (tt.method == http.MethodGet || tt.method == http.MethodHead) {
			t.Errorf("%s maps to v1 %s", tt.method, in.V1())
		}
	}
}
