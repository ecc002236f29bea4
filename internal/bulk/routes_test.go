package bulk_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestRoutesBesideFHIRPrefix: registered on the same mux as the FHIR face's
// "/fhir/r4/" prefix, the export endpoints take their paths and leave every
// other path to the face.
func TestRoutesBesideFHIRPrefix(t *testing.T) {
	e := newEnv(t, "sqlite", 0)
	mux := http.NewServeMux()
	mux.HandleFunc("/fhir/r4/", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	e.service(nil).Routes(mux, "/fhir/r4")
	tests := []struct {
		method, path string
		bulk         bool
	}{
		{"GET", "/fhir/r4/$export", true},
		{"GET", "/fhir/r4/%24export", true},
		{"POST", "/fhir/r4/$export", true},
		{"GET", "/fhir/r4/Patient/$export", true},
		{"POST", "/fhir/r4/Group/g1/$export", true},
		{"GET", "/fhir/r4/$bulkdata-status?job=x", true},
		{"DELETE", "/fhir/r4/$bulkdata-status?job=x", true},
		{"GET", "/fhir/r4/$bulkdata-file/x/output-Patient-0.ndjson", true},
		{"GET", "/fhir/r4/Patient/123", false},
		{"GET", "/fhir/r4/Patient", false},
		{"PUT", "/fhir/r4/$export", false},
		{"GET", "/fhir/r4/Observation/$export", false},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			// Without a token the export endpoints answer 401; the face
			// stand-in answers 418.
			if got := rec.Code == http.StatusUnauthorized; got != tc.bulk {
				t.Fatalf("status %d; bulk endpoint: %v, want %v", rec.Code, got, tc.bulk)
			}
		})
	}
}
