package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhirapi"
)

// benchEnv seeds 20 patients into a SQLite store and returns the API
// handler, the FHIR handler over the same store, a staff token that both
// accept, and one patient.
func benchEnv(b *testing.B) (api, fhir http.Handler, token string, p Patient, e *testEnv) {
	b.Helper()
	e = newTestEnv(b, "sqlite")
	ids := e.seedPatients(20)
	fh, err := fhirapi.New(fhirapi.Config{Store: e.s, Gate: e.ti.Verifier(), BaseURL: testBase + "/fhir/r4"})
	if err != nil {
		b.Fatal(err)
	}
	token = e.token("api:oemr api:fhir user/*.cruds")
	api = New(Config{Store: e.s, Gate: e.ti.Verifier(), BaseURL: testBase})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/api/patient/"+ids[3], nil)
	req.Header.Set("Authorization", "Bearer "+token)
	api.ServeHTTP(rec, req)
	a := answer{Raw: rec.Body.Bytes()}
	jsonData(a.Raw, &a)
	a.into(b, &p)
	return api, fh, token, p, e
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
	api, fhir, token, p, e := benchEnv(b)
	b.Run("api", func(b *testing.B) {
		for b.Loop() {
			serve(b, api, "/api/patient/"+p.UUID, token)
		}
	})
	b.Run("api-uncached", func(b *testing.B) {
		h := New(Config{Store: e.s, Gate: e.ti.Verifier(), BaseURL: testBase})
		h.cache = nil
		for b.Loop() {
			serve(b, h, "/api/patient/"+p.UUID, token)
		}
	})
	b.Run("fhir", func(b *testing.B) {
		for b.Loop() {
			serve(b, fhir, "/fhir/r4/Patient/"+p.UUID, token)
		}
	})
	b.Run("store", func(b *testing.B) {
		for b.Loop() {
			if _, err := e.s.Read(context.Background(), "Patient", p.UUID, search.Compartment{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPatientSearch compares GET /api/patient?lname=… with the FHIR
// search Patient?family=… and the bare store search.
func BenchmarkPatientSearch(b *testing.B) {
	api, fhir, token, p, e := benchEnv(b)
	ln := url.QueryEscape(p.Lname)
	b.Run("api", func(b *testing.B) {
		for b.Loop() {
			serve(b, api, "/api/patient?lname="+ln, token)
		}
	})
	b.Run("api-uncached", func(b *testing.B) {
		h := New(Config{Store: e.s, Gate: e.ti.Verifier(), BaseURL: testBase})
		h.cache = nil
		for b.Loop() {
			serve(b, h, "/api/patient?lname="+ln, token)
		}
	})
	b.Run("fhir", func(b *testing.B) {
		for b.Loop() {
			serve(b, fhir, "/fhir/r4/Patient?family="+ln, token)
		}
	})
	b.Run("store", func(b *testing.B) {
		q, err := search.Parse("Patient", url.Values{"family": {p.Lname}}, search.Options{})
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := e.s.Search(context.Background(), q); err != nil {
				b.Fatal(err)
			}
		}
	})
}
