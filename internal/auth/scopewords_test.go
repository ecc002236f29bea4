package auth

import (
	"testing"

	"github.com/emedpractice/emp/internal/scope"
)

func TestDescribeScope(t *testing.T) {
	for _, tc := range []struct {
		scope, what, how string
		change           bool
	}{
		{"patient/Patient.rs", "Personal details (name, birth date, contact details)", "see", false},
		{"patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs",
			"Test results, vital signs and other measurements: only vital signs", "see", false},
		{"patient/MedicationRequest.cruds", "Prescriptions", "see, add, change and delete", true},
		{"user/*.read", "Every kind of record", "see", false},
		{"patient/FamilyMemberHistory.c", "Family member history", "add", true},
		{"patient/Condition.write", "Health problems and diagnoses", "add, change and delete", true},
	} {
		sc, err := scope.Parse(tc.scope)
		if err != nil {
			t.Fatalf("%s: %v", tc.scope, err)
		}
		w, ok := DescribeScope(sc)
		if !ok || w.What != tc.what || w.How != tc.how || w.Change != tc.change || w.Scope != sc.String() {
			t.Errorf("%s: %+v, want %q %q change=%v", tc.scope, w, tc.what, tc.how, tc.change)
		}
	}
	for _, s := range []string{"openid", "launch/patient", "offline_access"} {
		sc, _ := scope.Parse(s)
		if _, ok := DescribeScope(sc); ok {
			t.Errorf("%s is described as records", s)
		}
	}
}

func TestCheckBrandSettings(t *testing.T) {
	for _, tc := range []struct {
		key, value string
		ok         bool
	}{
		{SettingSiteName, "Riverside Family Practice", true},
		{SettingSiteName, "", false},
		{SettingSiteName, "two\nlines", false},
		{SettingSiteName, string(make([]byte, 81)), false},
		{SettingSiteLogo, "", true},
		{SettingSiteLogo, "https://riverside.example/logo.png", true},
		{SettingSiteLogo, "/static/logo.png", true},
		{SettingSiteLogo, "http://riverside.example/logo.png", false},
		{SettingSiteLogo, "javascript:alert(1)", false},
		{SettingSiteLogo, "//evil.example/logo.png", false},
		{SettingSiteLogo, "data:image/svg+xml,<svg/>", false},
		{SettingSiteLogo, "https://user:pw@riverside.example/logo.png", false},
	} {
		if err := CheckSetting(tc.key, tc.value); (err == nil) != tc.ok {
			t.Errorf("%s=%q: %v, want ok=%v", tc.key, tc.value, err, tc.ok)
		}
	}
}
