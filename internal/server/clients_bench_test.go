package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// BenchmarkReadClients and BenchmarkSearchClients are the read side of
// BenchmarkCreateClients: one client waiting for each answer (the latency,
// a round trip to the database included) and 32 at once (the throughput
// of the node and its database on the same cores). PostgreSQL against
// SQLite is compared at 32 clients: one client measures mostly the round
// trip SQLite does not have.
func BenchmarkReadClients(b *testing.B) {
	benchGetClients(b, "/fhir/r4/Observation/o1", "reads")
}

func BenchmarkSearchClients(b *testing.B) {
	benchGetClients(b, "/fhir/r4/Observation?patient=p1&code=http://loinc.org|8867-4&_count=10", "searches")
}

func benchGetClients(b *testing.B, path, unit string) {
	for _, d := range storetest.Dialects() {
		for _, clients := range []int{1, 32} {
			b.Run(fmt.Sprintf("%s/%d", d, clients), func(b *testing.B) {
				app, tok := benchAppOn(b, d)
				put(b, app, tok, "/fhir/r4/Patient/p1", `{"resourceType":"Patient","id":"p1","name":[{"family":"Bench"}]}`)
				put(b, app, tok, "/fhir/r4/Observation/o1", `{"resourceType":"Observation","id":"o1",`+benchObservation[len(`{"resourceType":"Observation",`):])
				for i := 0; i < 50; i++ {
					post(b, app, tok, "/fhir/r4/Observation", benchObservation, http.StatusCreated)
				}
				// One caller per client, as 32 users would be: one caller's
				// searches are held to a share of the pool (429 beyond it).
				toks := make([]string, clients)
				for i := range toks {
					t, err := app.MintToken(context.Background(), server.TokenRequest{Subject: fmt.Sprintf("bench-%d", i), ClientID: "bench", Scope: "user/*.cruds", TTL: time.Hour})
					if err != nil {
						b.Fatal(err)
					}
					toks[i] = t
				}
				var callers atomic.Int64
				get := func(tok string) bool {
					req := httptest.NewRequest("GET", path, nil)
					req.Header.Set("Authorization", "Bearer "+tok)
					rec := httptest.NewRecorder()
					app.Handler.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Errorf("GET %s: %d %.300s", path, rec.Code, rec.Body)
						return false
					}
					return true
				}
				b.ReportAllocs()
				b.SetParallelism((clients + 1) / 2) // GOMAXPROCS is 2 here
				b.ResetTimer()
				cpu0 := processCPU()
				if clients == 1 {
					for i := 0; i < b.N && get(toks[0]); i++ {
					}
				} else {
					b.RunParallel(func(pb *testing.PB) {
						tok := toks[int(callers.Add(1)-1)%len(toks)]
						for pb.Next() && get(tok) {
						}
					})
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit+"/s")
				b.ReportMetric(float64(b.N)/(processCPU()-cpu0).Seconds(), unit+"/cpu-s")
			})
		}
	}
}

func put(b *testing.B, app *server.App, tok, path, body string) {
	req := httptest.NewRequest("PUT", path, stringsReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/fhir+json")
	rec := httptest.NewRecorder()
	app.Handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusCreated && rec.Code != http.StatusOK {
		b.Fatalf("PUT %s: %d %.300s", path, rec.Code, rec.Body)
	}
}
