package server_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkCreate is a durable FHIR create through the whole handler stack:
// the gate, decoding, validation, index extraction and the group-committed
// transaction with its history, index and audit rows, without the network.
// Run it with -cpu or a high -benchtime parallelism to see group commit
// share the fsync between concurrent creates.
func BenchmarkCreate(b *testing.B) {
	app, tok := benchApp(b)
	body := `{"resourceType":"Observation","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-01-02T10:00:00Z","valueQuantity":{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`
	b.ReportAllocs()
	b.SetParallelism(16) // 32 writers on two cores, as the load test runs
	b.ResetTimer()
	done := reportCPUPerOp(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("POST", "/fhir/r4/Observation", stringsReader(body))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/fhir+json")
			rec := httptest.NewRecorder()
			app.Handler.ServeHTTP(rec, req)
			if rec.Code != http.StatusCreated {
				b.Fatalf("POST: %d %s", rec.Code, rec.Body)
			}
		}
	})
	done()
}
