package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/store"
)

// BenchmarkPatientEverything pages through Patient/$everything of a
// patient with 5,000 resources (observations, encounters and the
// practitioners they name) through the whole handler stack, 1,000 a page;
// resources/s is the figure in docs/performance.md.
func BenchmarkPatientEverything(b *testing.B) {
	app, tok := benchApp(b)
	ctx := context.Background()
	var items []store.ImportItem
	add := func(body string) {
		obj, err := fhirjson.Decode([]byte(body))
		if err != nil {
			b.Fatal(err)
		}
		items = append(items, store.ImportItem{Type: obj["resourceType"].(string), ID: obj["id"].(string), Resource: obj})
	}
	add(`{"resourceType":"Patient","id":"p1","name":[{"family":"Bench"}]}`)
	for i := 0; i < 20; i++ {
		add(fmt.Sprintf(`{"resourceType":"Practitioner","id":"doc%d"}`, i))
	}
	for i := 0; len(items) < 5000; i++ {
		if i%10 == 0 {
			add(fmt.Sprintf(`{"resourceType":"Encounter","id":"e%d","status":"finished","class":{"code":"AMB"},"subject":{"reference":"Patient/p1"},"participant":[{"individual":{"reference":"Practitioner/doc%d"}}]}`, i, i%20))
			continue
		}
		add(fmt.Sprintf(`{"resourceType":"Observation","id":"o%d","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/p1"},"encounter":{"reference":"Encounter/e%d"},"performer":[{"reference":"Practitioner/doc%d"}],"valueQuantity":{"value":72,"unit":"/min"}}`, i, i/10*10, i%20))
	}
	if err := app.Store.Import(ctx, items); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var total int
	start, cpu0 := time.Now(), processCPU()
	for i := 0; i < b.N; i++ {
		path := "/fhir/r4/Patient/p1/$everything?_count=1000"
		n := 0
		for path != "" {
			req := httptest.NewRequest("GET", path, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			app.Handler.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
			}
			var bundle struct {
				Link  []struct{ Relation, URL string }
				Entry []json.RawMessage
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &bundle); err != nil {
				b.Fatal(err)
			}
			n += len(bundle.Entry)
			path = ""
			for _, l := range bundle.Link {
				if l.Relation == "next" {
					path = strings.TrimPrefix(l.URL, "http://127.0.0.1:8300")
				}
			}
		}
		if n != 5000 {
			b.Fatalf("$everything listed %d resources, want 5000", n)
		}
		total += n
	}
	b.ReportMetric(float64(total)/time.Since(start).Seconds(), "resources/s")
	// The CPU of server and client (which decodes every page) together.
	b.ReportMetric(float64(total)/(processCPU()-cpu0).Seconds(), "resources/cpu-s")
}
