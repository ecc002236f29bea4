package validate

import (
	"os"
	"testing"

	"github.com/emedpractice/emp/internal/fhir/fhirjson"
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

// heartRate is the body BenchmarkCreate (internal/server) writes: the
// validation share of a typical create.
const heartRate = `{"resourceType":"Observation","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-01-02T10:00:00Z","valueQuantity":{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`

// BenchmarkHeartRate is validate.Resource on the create benchmark's body,
// decoded as the server decodes it.
func BenchmarkHeartRate(b *testing.B) {
	res, err := fhirjson.Decode([]byte(heartRate))
	if err != nil {
		b.Fatal(err)
	}
	if err := Resource("Observation", res); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		Resource("Observation", res)
	}
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
