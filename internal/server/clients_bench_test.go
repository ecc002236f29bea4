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
//
// Reads are measured on PostgreSQL with the read cache on (as emp serve
// runs) and off, each of one hot resource and spread evenly over a working
// set of readWorkingSet resources.
func BenchmarkReadClients(b *testing.B) {
	for _, d := range storetest.Dialects() {
		caches := []int{0}
		if d == "postgres" {
			caches = []int{server.DefaultReadCacheMB, 0}
		}
		for _, mb := range caches {
			name := d
			if d == "postgres" {
				name += map[bool]string{true: "/cache=on", false: "/cache=off"}[mb > 0]
			}
			b.Run(name, func(b *testing.B) {
				app, tok := benchAppWith(b, d, mb)
				seedBenchReads(b, app, tok)
				set := make([]string, readWorkingSet)
				for i := range set {
					set[i] = fmt.Sprintf("/fhir/r4/Observation/w%d", i)
					put(b, app, tok, set[i], fmt.Sprintf(`{"resourceType":"Observation","id":"w%d",`, i)+benchObservation[len(`{"resourceType":"Observation",`):])
				}
				b.Run("hot", func(b *testing.B) {
					runGetClients(b, app, func(int) string { return "/fhir/r4/Observation/o1" }, "reads")
				})
				b.Run(fmt.Sprintf("set%d", readWorkingSet), func(b *testing.B) {
					runGetClients(b, app, func(i int) string { return set[i%len(set)] }, "reads")
				})
			})
		}
	}
}

// readWorkingSet is how many resources the spread reads cover.
const readWorkingSet = 2000

func BenchmarkSearchClients(b *testing.B) {
	path := "/fhir/r4/Observation?patient=p1&code=http://loinc.org|8867-4&_count=10"
	for _, d := range storetest.Dialects() {
		b.Run(d, func(b *testing.B) {
			app, tok := benchAppOn(b, d)
			seedBenchReads(b, app, tok)
			// The planner's statistics, as a PostgreSQL server with
			// autovacuum on (the default) has them soon after the
			// seeding; without them it plans for tables it thinks
			// empty. SQLite's are taken too, as emp import does.
			if err := app.Store.Analyze(context.Background()); err != nil {
				b.Fatal(err)
			}
			runGetClients(b, app, func(int) string { return path }, "searches")
		})
	}
}

// seedBenchReads writes the records the read and search benchmarks read:
// Patient/p1, Observation/o1 and 50 more of p1's observations.
func seedBenchReads(b *testing.B, app *server.App, tok string) {
	put(b, app, tok, "/fhir/r4/Patient/p1", `{"resourceType":"Patient","id":"p1","name":[{"family":"Bench"}]}`)
	put(b, app, tok, "/fhir/r4/Observation/o1", `{"resourceType":"Observation","id":"o1",`+benchObservation[len(`{"resourceType":"Observation",`):])
	for i := 0; i < 50; i++ {
		post(b, app, tok, "/fhir/r4/Observation", benchObservation, http.StatusCreated)
	}
}

// runGetClients measures GETs of path(n), n counting each client's
// requests from a different start, by 1 and by 32 clients.
func runGetClients(b *testing.B, app *server.App, path func(n int) string, unit string) {
	for _, clients := range []int{1, 32} {
		b.Run(fmt.Sprint(clients), func(b *testing.B) {
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
			get := func(tok, path string) bool {
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
				for i := 0; i < b.N && get(toks[0], path(i)); i++ {
				}
			} else {
				b.RunParallel(func(pb *testing.PB) {
					c := int(callers.Add(1) - 1)
					tok := toks[c%len(toks)]
					for n := c * 7919; pb.Next() && get(tok, path(n)); n++ {
					}
				})
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit+"/s")
			b.ReportMetric(float64(b.N)/(processCPU()-cpu0).Seconds(), unit+"/cpu-s")
		})
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
