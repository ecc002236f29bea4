package web_test

import (
	"net/http"
	"testing"
)

// BenchmarkPortalHome measures the portal's busiest page: session check,
// the patient's demographics, six compartment searches and the widget's
// client list, rendered.
func BenchmarkPortalHome(b *testing.B) {
	s := newSite(b, "sqlite")
	br := s.browser(b)
	br.Login("/patientlogin.aspx", patientUser, patientPass)
	for b.Loop() {
		if status, _, _ := br.Get("/portal/home"); status != http.StatusOK {
			b.Fatalf("status %d", status)
		}
	}
}
