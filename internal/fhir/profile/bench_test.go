package profile

import (
	"os"
	"testing"
)

// BenchmarkCheck checks US Core examples against the profiles they
// declare: a blood pressure (value, pattern and type slices on category,
// code and components) and a patient (extension slices).
func BenchmarkCheck(b *testing.B) {
	s, err := Load()
	if err != nil {
		b.Fatal(err)
	}
	for _, ex := range []struct{ file, profile string }{
		{"Observation-blood-pressure.json", USCore + "us-core-blood-pressure"},
		{"Patient-example.json", USCore + "us-core-patient"},
	} {
		raw, err := os.ReadFile("../validate/testdata/us-core/" + ex.file)
		if err != nil {
			b.Fatal(err)
		}
		p, ok := s.Find(ex.profile)
		if !ok {
			b.Fatal(ex.profile)
		}
		res := decode(b, string(raw))
		b.Run(ex.file, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p.Check(res)
			}
		})
	}
}
