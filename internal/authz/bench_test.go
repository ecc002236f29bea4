package authz

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/scope"
)

// A realistic grant: Inferno's standalone patient launch scopes.
const benchScopes = "launch/patient openid fhirUser offline_access patient/Medication.rs patient/AllergyIntolerance.rs " +
	"patient/CarePlan.rs patient/CareTeam.rs patient/Condition.rs patient/Coverage.rs patient/Device.rs " +
	"patient/DiagnosticReport.rs patient/DocumentReference.rs patient/Encounter.rs patient/Goal.rs " +
	"patient/Immunization.rs patient/Location.rs patient/MedicationDispense.rs patient/MedicationRequest.rs " +
	"patient/Observation.rs patient/Organization.rs patient/Patient.rs patient/Practitioner.rs " +
	"patient/PractitionerRole.rs patient/Procedure.rs patient/Provenance.rs patient/QuestionnaireResponse.rs " +
	"patient/RelatedPerson.rs patient/ServiceRequest.rs patient/Specimen.rs"

// benchEnv is an env whose clock stands still, so tokens stay valid however
// long a benchmark runs.
func benchEnv(b *testing.B) *env { return newEnv(b) }

func benchClaims(e *env) Claims {
	now := e.clock.Now()
	return Claims{Issuer: testIssuer, Audience: testAudience, Subject: "pu-1", ClientID: "app", Scope: benchScopes,
		Patient: "p-1", Role: RolePatient, IssuedAt: now, Expiry: now.Add(time.Hour)}
}

func BenchmarkSignAccessToken(b *testing.B) {
	e := benchEnv(b)
	c := benchClaims(e)
	e.sign(b, c) // creates the key
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.keys.SignAccessToken(bg, c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSignClientCredentials is the backend services token: few scopes.
func BenchmarkSignClientCredentials(b *testing.B) {
	e := benchEnv(b)
	c := benchClaims(e)
	c.Scope, c.Role, c.Patient = "system/*.rs system/*.$export", RoleSystem, ""
	e.sign(b, c)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.keys.SignAccessToken(bg, c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSignIDToken(b *testing.B) {
	e := benchEnv(b)
	claims := map[string]any{"iss": testIssuer, "sub": "u", "aud": "app", "exp": 2000000000, "iat": 1, "fhirUser": testAudience + "/Patient/p-1"}
	if _, err := e.keys.SignIDToken(bg, claims); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		e.keys.SignIDToken(bg, claims)
	}
}

func BenchmarkVerifyUncached(b *testing.B) {
	e := benchEnv(b)
	tok := e.sign(b, benchClaims(e))
	v := NewVerifier(VerifierConfig{Keys: e.keys, Issuer: testIssuer, Audience: testAudience, Now: e.clock.Now, CacheSize: -1, Revocation: e.rev})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(bg, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyCached is what most requests pay: hash, cache hit, the
// revocation lookup (in memory here), and the decision.
func BenchmarkVerifyCached(b *testing.B) {
	e := benchEnv(b)
	tok := e.sign(b, benchClaims(e))
	r := httptest.NewRequest("GET", "/fhir/r4/Observation/1", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	if _, err := e.v.Authenticate(r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			p, err := e.v.Authenticate(r)
			if err != nil {
				b.Fatal(err)
			}
			if err := p.CanFHIR("Observation", scope.Read); err != nil {
				b.Fatal(err)
			}
			p.PatientRestriction()
			p.SearchFilters("Observation")
		}
	})
}
