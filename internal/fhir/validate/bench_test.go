package validate

import (
	"os"
	"testing"
)

// BenchmarkInit is the package's start-up work: the element tables are
// static data, so only the spec regexes are compiled.
func BenchmarkInit(b *testing.B) {
	for b.Loop() {
		compilePatterns()
	}
}

func benchExample(b *testing.B, file string) {
	raw, err := os.ReadFile("testdata/us-core/" + file)
	if err != nil {
		b.Fatal(err)
	}
	res := decode(b, raw)
	rt := res["resourceType"].(string)
	if err := Resource(rt, res); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		Resource(rt, res)
	}
}

func BenchmarkPatient(b *testing.B)     { benchExample(b, "Patient-example.json") }
func BenchmarkObservation(b *testing.B) { benchExample(b, "Observation-blood-pressure.json") }
func BenchmarkLabResult(b *testing.B)   { benchExample(b, "Observation-serum-potassium.json") }
func BenchmarkQuestionnaire(b *testing.B) {
	benchExample(b, "Questionnaire-phq-9-example.json")
}

// BenchmarkMatcher compares a hand-written matcher with the spec regex it
// replaces, on a typical value.
func BenchmarkMatcher(b *testing.B) {
	for _, c := range []struct {
		id typeID
		s  string
	}{
		{tDateTime, "2024-06-01T10:30:00.123-05:00"},
		{tString, "Amy V. Baxter, 49 Meadow Street"},
		{tUri, "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"},
	} {
		b.Run(types[c.id].name+"/matcher", func(b *testing.B) {
			for b.Loop() {
				validString(c.id, c.s)
			}
		})
		b.Run(types[c.id].name+"/regex", func(b *testing.B) {
			for b.Loop() {
				regexes[c.id].MatchString(c.s)
			}
		})
	}
}
