package gate_test

import (
	"context"
	"testing"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/authz/authztest"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/gate"
	"github.com/emedpractice/emp/internal/scope"
)

// TestDecideFHIR: the per-interaction decision a Bundle entry or an
// operation asks, without an HTTP request: scopes, the patient
// confinement by type, Shared types never written with patient scopes, and
// granular scope filters.
func TestDecideFHIR(t *testing.T) {
	ti := authztest.NewIssuer(t, "https://emp.test", "https://emp.test/fhir/r4")
	principal := func(c authz.Claims) *authz.Principal {
		p, err := ti.Verifier().Verify(context.Background(), ti.Token(c))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	patient := principal(authz.Claims{Scope: "patient/Observation.rs?category=laboratory patient/Observation.c patient/Practitioner.cruds", Patient: "p1"})
	staff := principal(authz.Claims{Scope: "user/*.cruds"})
	tests := []struct {
		name       string
		p          *authz.Principal
		rtype      string
		in         scope.Interaction
		kind       errs.Kind // of the refusal; 0: allowed
		confinedTo string
		filters    int
	}{
		{"staff reads anything", staff, "Observation", scope.Read, 0, "", 0},
		{"patient reads own labs", patient, "Observation", scope.Search, 0, "p1", 1},
		{"patient creates an Observation", patient, "Observation", scope.Create, 0, "p1", 0},
		{"patient may not delete", patient, "Observation", scope.Delete, errs.Forbidden, "", 0},
		{"no scope for the type", patient, "Condition", scope.Read, errs.Forbidden, "", 0},
		{"shared type readable", patient, "Practitioner", scope.Read, 0, "", 0},
		{"shared type never written with patient scopes", patient, "Practitioner", scope.Update, errs.Forbidden, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := gate.DecideFHIR(tc.p, tc.rtype, tc.in)
			if tc.kind != 0 {
				if errs.KindOf(err) != tc.kind {
					t.Fatalf("err %v, want kind %v", err, tc.kind)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.Compartment.Restricted != (tc.confinedTo != "") || a.Compartment.Patient != tc.confinedTo || len(a.Filters) != tc.filters {
				t.Fatalf("access %+v, want confined to %q with %d filters", a, tc.confinedTo, tc.filters)
			}
		})
	}
}
