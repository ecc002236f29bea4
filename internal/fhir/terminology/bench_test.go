package terminology

import "testing"

// BenchmarkExpand expands the largest carried value set of a hierarchical
// code system (v3 ActCode, whole) and selects a picker's page from it: the
// work of one $expand with a filter, and of one nested $expand.
func BenchmarkExpand(b *testing.B) {
	tb, err := Builtin()
	if err != nil {
		b.Fatal(err)
	}
	const url = "http://terminology.hl7.org/ValueSet/v3-ActCode"
	all, err := tb.Expand(url)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d codes", len(all))
	b.Run("filter page", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			codes, err := tb.Expand(url)
			if err != nil {
				b.Fatal(err)
			}
			Select(codes, Options{Filter: "encounter", Count: 20, ActiveOnly: true, DisplayLanguage: "de"})
		}
	})
	b.Run("nested", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			codes, err := tb.Expand(url)
			if err != nil {
				b.Fatal(err)
			}
			_, page := Select(codes, Options{Count: len(codes)})
			tb.Nest(page)
		}
	})
}
