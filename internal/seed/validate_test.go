//go:build validate

// This test runs the generated data through the server's resource
// validator. It is behind the "validate" build tag until
// internal/fhir/validate exists in every build; then drop the constraint.

package seed

import (
	"testing"

	"github.com/emedpractice/emp/internal/fhir/validate"
)

func TestResourcesPassValidation(t *testing.T) {
	rs, _ := collect(t, Options{Patients: 20, Seed: 1, Now: testNow})
	failed := 0
	for _, d := range decodeAll(t, rs) {
		if err := validate.Resource(d.Type, d.obj); err != nil {
			failed++
			if failed <= 25 {
				t.Errorf("%s/%s: %v", d.Type, d.ID, err)
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d resources failed validation", failed, len(rs))
	}
}
