package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/emedpractice/emp/internal/api"
	"github.com/emedpractice/emp/internal/fhir/search"
)

// benchEnv seeds 20 patients into a SQLite server and returns its handler
// (both the API and the FHIR face), a staff token that both accept, and
// one patient.
func benchEnv(b *testing.B) (h http.Handler, token string, p api.Patient, e *testEnv) {
	b.Helper()
	e = newTestEnv(b, "sqlite")
	ids := e.SeedPatients(b, 20, 7)
	token = e.token("api:oemr api:fhir user/*.cruds")
	e.must(200, "GET", "/api/patient/"+ids[3], token, nil).into(b, &p)
	return e.App.Handler, token, p, e
}

// uncached is the API face without its cache of mapped records, on the
// server's store and gate.
func uncached(e *testEnv) http.Handler {
	return api.WithoutCache(api.New(api.Config{Store: e.App.Store, Gate: e.App.Gate, BaseURL: e.App.BaseURL}))
}

func serve(b *testing.B, h http.Handler, path, token string) {
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body.Bytes())
	}
}

// BenchmarkPatientRead compares GET /api/patient/:uuid with the FHIR read
// of the same Patient and with the bare store read: the difference is what
// the mapping costs.
func BenchmarkPatientRead(b *testing.B) {
	h, token, p, e := benchEnv(b)
	b.Run("api", func(b *testing.B) {
		for b.Loop() {
			serve(b, h, "/api/patient/"+p.UUID, token)
		}
	})
	b.Run("api-uncached", func(b *testing.B) {
		h := uncached(e)
		for b.Loop() {
			serve(b, h, "/api/patient/"+p.UUID, token)
		}
	})
	b.Run("fhir", func(b *testing.B) {
		for b.Loop() {
			serve(b, h, "/fhir/r4/Patient/"+p.UUID, token)
		}
	})
	b.Run("store", func(b *testing.B) {
		for b.Loop() {
			if _, err := e.Store().Read(context.Background(), "Patient", p.UUID, search.Compartment{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPatientSearch compares GET /api/patient?lname=… with the FHIR
// search Patient?family=… and the bare store search.
func BenchmarkPatientSearch(b *testing.B) {
	h, token, p, e := benchEnv(b)
	ln := url.QueryEscape(p.Lname)
	b.Run("api", func(b *testing.B) {
		for b.Loop() {
			serve(b, h, "/api/patient?lname="+ln, token)
		}
	})
	b.Run("api-uncached", func(b *testing.B) {
		h := uncached(e)
		for b.Loop() {
			serve(b, h, "/api/patient?lname="+ln, token)
		}
	})
	b.Run("fhir", func(b *testing.B) {
		for b.Loop() {
			serve(b, h, "/fhir/r4/Patient?family="+ln, token)
		}
	})
	b.Run("store", func(b *testing.B) {
		q, err := search.Parse("Patient", url.Values{"family": {p.Lname}}, search.Options{})
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := e.Store().Search(context.Background(), q); err != nil {
				b.Fatal(err)
			}
		}
	})
}
