package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"

	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestPortalHome: the signed-in patient sees their own record in every
// section, and the demo app in the SMART apps widget.
func TestPortalHome(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		start := time.Now().Add(72 * time.Hour).UTC()
		appt, err := fhirjson.Decode([]byte(fmt.Sprintf(`{"resourceType":"Appointment","status":"booked",
			"description":"Knee check","start":%q,"end":%q,
			"participant":[{"actor":{"reference":"Patient/%s"},"status":"accepted"}]}`,
			start.Format(time.RFC3339), start.Add(30*time.Minute).Format(time.RFC3339), s.Patient)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Store.Create(context.Background(), "Appointment", appt, search.Compartment{}); err != nil {
			t.Fatal(err)
		}
		b := s.browser(t)
		b.Login("/patientlogin.aspx", patientUser, patientPass)
		status, body, _ := b.Get("/portal/home")
		if status != http.StatusOK {
			t.Fatalf("status %d", status)
		}
		if strings.Contains(body, "could not be shown") {
			t.Error("a section of the record failed")
		}
		for _, want := range []string{"Knee check", start.Format("2006-01-02"), "SMART Enabled Apps", "emp demo app", `value="` + s.DemoApp + `"`,
			"Recent visits", "Problems", "Medications", "Allergies", "Recent results", "Born"} {
			if !strings.Contains(body, want) {
				t.Errorf("portal home lacks %q", want)
			}
		}
		if strings.Count(body, "<tr>") < 5 {
			t.Errorf("portal home shows almost no records:\n%s", body)
		}
	})
}
