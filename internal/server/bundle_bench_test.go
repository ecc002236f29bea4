package server_test

import (
	"github.com/emedpractice/emp/internal/testenv"

	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// benchAppOn is benchApp on each database the tests use.
func benchAppOn(b *testing.B, dialect string) (*server.App, string) {
	return benchAppWith(b, dialect, 0)
}

// benchAppWith is benchAppOn with a read cache of readCacheMB (PostgreSQL).
func benchAppWith(b *testing.B, dialect string, readCacheMB int) (*server.App, string) {
	ctx := context.Background()
	app, err := server.Open(ctx, server.Config{DB: storetest.DSN(b, dialect), BaseURL: "http://127.0.0.1:8300", ReadCacheMB: readCacheMB})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { app.Close() })
	tok, err := app.MintToken(ctx, server.TokenRequest{Subject: "bench", ClientID: "bench", Scope: "user/*.cruds", TTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	return app, tok
}

const benchObservation = `{"resourceType":"Observation","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-01-02T10:00:00Z","valueQuantity":{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`

func post(b *testing.B, app *server.App, tok, path, body string, want int) {
	req := httptest.NewRequest("POST", path, stringsReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/fhir+json")
	rec := httptest.NewRecorder()
	app.Handler.ServeHTTP(rec, req)
	if rec.Code != want {
		b.Fatalf("POST %s: %d %.300s", path, rec.Code, rec.Body)
	}
}

// BenchmarkTransaction300 is one transaction of 300 creates; compare it
// with BenchmarkCreates300, the same creates sent at once by 32 clients.
func BenchmarkTransaction300(b *testing.B) {
	entries := make([]string, 300)
	for i := range entries {
		entries[i] = `{"resource":` + benchObservation + `,"request":{"method":"POST","url":"Observation"}}`
	}
	bundle := `{"resourceType":"Bundle","type":"transaction","entry":[` + strings.Join(entries, ",") + `]}`
	for _, d := range storetest.Dialects() {
		b.Run(d, func(b *testing.B) {
			app, tok := benchAppOn(b, d)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				post(b, app, tok, "/fhir/r4", bundle, http.StatusOK)
			}
			b.ReportMetric(float64(300*b.N)/b.Elapsed().Seconds(), "resources/s")
		})
	}
}

func BenchmarkCreates300(b *testing.B) {
	for _, d := range storetest.Dialects() {
		b.Run(d, func(b *testing.B) {
			app, tok := benchAppOn(b, d)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				work := make(chan struct{}, 300)
				for j := 0; j < 300; j++ {
					work <- struct{}{}
				}
				close(work)
				var wg sync.WaitGroup
				for w := 0; w < 32; w++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for range work {
							post(b, app, tok, "/fhir/r4/Observation", benchObservation, http.StatusCreated)
						}
					}()
				}
				wg.Wait()
			}
			b.ReportMetric(float64(300*b.N)/b.Elapsed().Seconds(), "resources/s")
		})
	}
}

// BenchmarkSyntheaLoad posts the Synthea Bundles in turn, as one client
// loading patients would.
func BenchmarkSyntheaLoad(b *testing.B) {
	files, _ := filepath.Glob(filepath.Join(testenv.SyntheaDir(b), "*.json"))
	var bodies []string
	entries := 0
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		bodies = append(bodies, string(body))
		entries += strings.Count(string(body), `"request"`)
	}
	for _, d := range storetest.Dialects() {
		b.Run(d, func(b *testing.B) {
			app, tok := benchAppOn(b, d)
			b.ResetTimer()
			cpu0 := processCPU()
			for i := 0; i < b.N; i++ {
				for _, body := range bodies {
					post(b, app, tok, "/fhir/r4", body, http.StatusOK)
				}
			}
			b.ReportMetric(float64(entries*b.N)/b.Elapsed().Seconds(), "resources/s")
			// This process only: PostgreSQL's own CPU is not counted.
			b.ReportMetric(float64(entries*b.N)/(processCPU()-cpu0).Seconds(), "resources/cpu-s")
		})
	}
}

// BenchmarkCreateClients posts creates from one client, each waiting for
// the one before (the latency of a create, its round trips to the database
// included), and from 32 at once (the throughput of many writers). On
// PostgreSQL the difference between one statement a create and a dozen
// shows here.
func BenchmarkCreateClients(b *testing.B) {
	for _, d := range storetest.Dialects() {
		for _, clients := range []int{1, 32} {
			b.Run(fmt.Sprintf("%s/%d", d, clients), func(b *testing.B) {
				app, tok := benchAppOn(b, d)
				// The database server's CPU is not counted on PostgreSQL:
				// creates/cpu-s is the CPU of the process under test.
				runClients(b, clients, "creates", func() func() {
					return func() { post(b, app, tok, "/fhir/r4/Observation", benchObservation, http.StatusCreated) }
				})
			})
		}
	}
}

// runClients runs b.N operations from clients callers at once (one after
// another when clients is 1), each caller's operation made by client, and
// reports unit/s of wall clock and unit/cpu-s of this process's CPU.
func runClients(b *testing.B, clients int, unit string, client func() func()) {
	b.ReportAllocs()
	b.SetParallelism((clients + 1) / 2) // GOMAXPROCS is 2 here
	b.ResetTimer()
	cpu0 := processCPU()
	if clients == 1 {
		op := client()
		for i := 0; i < b.N; i++ {
			op()
		}
	} else {
		b.RunParallel(func(pb *testing.PB) {
			op := client()
			for pb.Next() {
				op()
			}
		})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit+"/s")
	b.ReportMetric(float64(b.N)/(processCPU()-cpu0).Seconds(), unit+"/cpu-s")
}

// processCPU is the CPU time the process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
