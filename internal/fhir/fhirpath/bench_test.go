package fhirpath_test

import (
	"os"
	"testing"

	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/fhirpath"
	"github.com/emedpractice/emp/internal/fhir/validate"
)

// BenchmarkInvariant evaluates obs-6 and ext-1-like invariants, compiled
// once, on the specification's example Observation.
func BenchmarkInvariant(b *testing.B) {
	raw, err := os.ReadFile("testdata/Observation-example.json")
	if err != nil {
		b.Fatal(err)
	}
	res, err := fhirjson.Decode(raw)
	if err != nil {
		b.Fatal(err)
	}
	opt := &fhirpath.Options{Model: validate.Model()}
	for _, c := range []struct{ name, expr string }{
		{"obs-6", "dataAbsentReason.empty() or value.empty()"},
		{"obs-7", "value.empty() or component.code.where(coding.intersect(%resource.code.coding).exists()).empty()"},
	} {
		e := fhirpath.MustCompile(c.expr)
		root := fhirpath.Resource(res)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				ok, err := e.EvalBool(root, root, opt)
				if err != nil || !ok {
					b.Fatal(ok, err)
				}
			}
		})
	}
}
