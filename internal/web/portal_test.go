package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestPortalHome: the signed-in patient sees their own record in every
// section, and the demo app in the SMART apps widget.
func TestPortalHome(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := newSite(t, dialect)
		b := s.browser(t)
		b.login("/patientlogin.aspx", patientUser, patientPass)
		status, body, _ := b.get("/portal/home")
		if status != http.StatusOK {
			t.Fatalf("status %d", status)
		}
		if strings.Contains(body, "could not be shown") {
			t.Error("a section of the record failed")
		}
		for _, want := range []string{"SMART Enabled Apps", "emp demo app", `value="` + s.DemoApp + `"`,
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
