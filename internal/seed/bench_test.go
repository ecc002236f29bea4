package seed

import (
	"context"
	"testing"
)

// BenchmarkGenerate measures generation alone, with a sink that drops the
// resources.
func BenchmarkGenerate(b *testing.B) {
	opt := Options{Patients: 200, Seed: 1, Now: testNow}
	total := 0
	for b.Loop() {
		st, err := Generate(context.Background(), opt, func(Resource) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		total += st.Resources
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "resources/s")
}
