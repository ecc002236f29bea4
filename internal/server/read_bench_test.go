package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/server"
)

// BenchmarkReadByID is a FHIR read through the whole handler stack: request
// id, access log, metrics, the gate (a cached token), the store read and the
// audit record, without the network.
func BenchmarkReadByID(b *testing.B) {
	app, tok := benchApp(b)
	body := `{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/p1"},"valueQuantity":{"value":72,"unit":"/min"}}`
	put := httptest.NewRequest("PUT", "/fhir/r4/Observation/o1", stringsReader(body))
	put.Header.Set("Authorization", "Bearer "+tok)
	put.Header.Set("Content-Type", "application/fhir+json")
	rec := httptest.NewRecorder()
	app.Handler.ServeHTTP(rec, put)
	if rec.Code != http.StatusCreated {
		b.Fatalf("PUT: %d %s", rec.Code, rec.Body)
	}
	// A served request's context can be canceled (the client may go away);
	// httptest's cannot, and drivers do less for that.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequestWithContext(ctx, "GET", "/fhir/r4/Observation/o1", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			rec := httptest.NewRecorder()
			app.Handler.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("GET: %d", rec.Code)
			}
		}
	})
}

// benchApp opens a server on a fresh SQLite file, closed when b ends, and
// mints a token that may do anything.
func benchApp(b *testing.B) (*server.App, string) {
	ctx := context.Background()
	app, err := server.Open(ctx, server.Config{DB: filepath.Join(b.TempDir(), "emp.db"), BaseURL: "http://127.0.0.1:8300"})
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

func stringsReader(s string) *stringReader { return &stringReader{s: s} }

type stringReader struct {
	s string
	i int
}

func (r *stringReader) Read(p []byte) (int, error) {
	if r.i >= len(r.s) {
		return 0, io.EOF
	}
	n := copy(p, r.s[r.i:])
	r.i += n
	return n, nil
}
