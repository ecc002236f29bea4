package profile

import (
	"context"
	"time"

	"encoding/json"
	"github.com/emedpractice/emp/internal/seed"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/fhir/validate"
)

func load(t testing.TB) *Set {
	t.Helper()
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func decode(t testing.TB, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// checkWanting checks a resource (structurally valid first) against a
// profile of the set and wants each finding written as "severity path
// message-substring" among the issues, which it returns.
func checkWanting(t *testing.T, s *Set, profile, resource string, want []string) []Issue {
	t.Helper()
	p, ok := s.Find(profile)
	if !ok {
		t.Fatalf("no profile %s", profile)
	}
	res := decode(t, resource)
	if err := validate.Resource(res["resourceType"].(string), res); err != nil {
		t.Fatalf("structure: %v", err)
	}
	issues := p.Check(res)
	for _, w := range want {
		sev, rest, _ := strings.Cut(w, " ")
		path, msg, _ := strings.Cut(rest, " ")
		found := false
		for _, is := range issues {
			if is.Severity == sev && is.Path == path && strings.Contains(is.Message, msg) {
				found = true
			}
		}
		if !found {
			t.Errorf("want %q in %+v", w, issues)
		}
	}
	return issues
}

func TestInvariantsCompile(t *testing.T) {
	if b := load(t).Broken; len(b) > 0 {
		t.Errorf("invariants that do not compile: %v", b)
	}
}

func TestDefaults(t *testing.T) {
	s := load(t)
	for _, rt := range []string{"Patient", "Encounter", "Practitioner", "Organization", "AllergyIntolerance", "Immunization"} {
		p, ok := s.Default(rt)
		if !ok || p.URL != USCore+"us-core-"+strings.ToLower(rt) {
			t.Errorf("default profile of %s: %v %v", rt, p, ok)
		}
	}
}

func TestCheck(t *testing.T) {
	s := load(t)
	const patient = `{"resourceType":"Patient","identifier":[{"system":"urn:oid:1.2.3","value":"12345"}],
	  "name":[{"family":"Shaw","given":["Amy"]}],"gender":"female",
	  "extension":[{"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex","valueCode":"F"}]}`
	labCategory := `{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}`
	lab := func(category string) string {
		return `{"resourceType":"Observation","status":"final","category":[` + category + `],
		  "code":{"coding":[{"system":"http://loinc.org","code":"2339-0"}]},"subject":{"reference":"Patient/1"},
		  "effectiveDateTime":"2024-01-02","valueQuantity":{"value":5,"unit":"mmol/L","system":"http://unitsofmeasure.org","code":"mmol/L"}}`
	}
	tests := []struct {
		name, profile, res string
		want               []string // "severity path substring"
		none               string   // a severity that must not appear
	}{
		{"patient ok", USCore + "us-core-patient", patient, nil, Error},
		{"patient without identifier", USCore + "us-core-patient",
			strings.Replace(patient, `"identifier":[{"system":"urn:oid:1.2.3","value":"12345"}],`, "", 1),
			[]string{"error Patient.identifier minimum required = 1"}, ""},
		{"patient identifier without system", USCore + "us-core-patient|3.1.1",
			strings.Replace(patient, `"system":"urn:oid:1.2.3",`, "", 1),
			[]string{"error Patient.identifier[0].system minimum required = 1"}, ""},
		{"birthsex slice max", USCore + "us-core-patient", strings.Replace(patient, `"valueCode":"F"}`,
			`"valueCode":"F"},{"url":"http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex","valueCode":"M"}`, 1),
			[]string{"error Patient.extension Patient.extension:birthsex: maximum allowed = 1"}, ""},
		{"must support reported", USCore + "us-core-patient", patient, []string{"information Patient.birthDate must-support"}, ""},
		{"us-core-6 name", USCore + "us-core-patient", strings.Replace(patient, `{"family":"Shaw","given":["Amy"]}`, `{"text":"Amy Shaw"}`, 1),
			[]string{"error Patient.name[0] us-core-6"}, ""},
		{"lab ok", USCore + "us-core-observation-lab", lab(labCategory), nil, Error},
		{"lab category slice missing", USCore + "us-core-observation-lab",
			lab(`{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}`),
			[]string{"error Observation.category Observation.category:us-core: minimum required = 1"}, ""},
		{"lab category 3.1.1 slice", USCore + "us-core-observation-lab|3.1.1", lab(`{"text":"lab"}`),
			[]string{"error Observation.category Observation.category:Laboratory: minimum required = 1"}, ""},
		{"wrong type", USCore + "us-core-patient", lab(labCategory), []string{"error Observation is for Patient"}, ""},
		{"smoking status value type", USCore + "us-core-smokingstatus|3.1.1",
			`{"resourceType":"Observation","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"72166-2"}]},
			  "subject":{"reference":"Patient/1"},"issued":"2024-01-02T10:00:00Z","valueString":"never"}`,
			[]string{"error Observation.valueString type string is not allowed"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			issues := checkWanting(t, s, tc.profile, tc.res, tc.want)
			if tc.none != "" {
				for _, is := range issues {
					if is.Severity == tc.none {
						t.Errorf("unexpected %+v", is)
					}
				}
			}
		})
	}
}

// TestExamples checks the US Core examples against the profiles they
// declare: the packages' own examples conform.
func TestExamples(t *testing.T) {
	s := load(t)
	files, _ := filepath.Glob("../validate/testdata/us-core/*.json")
	if len(files) == 0 {
		t.Skip("no examples")
	}
	checked := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		res := decode(t, string(b))
		meta, _ := res["meta"].(map[string]any)
		profs, _ := meta["profile"].([]any)
		for _, pr := range profs {
			p, ok := s.Find(pr.(string))
			if !ok {
				continue
			}
			checked++
			for _, is := range p.Check(res) {
				if is.Severity == Error {
					t.Errorf("%s against %s: %+v", filepath.Base(f), p.Canonical(), is)
				}
			}
		}
	}
	t.Logf("%d examples checked", checked)
}

// TestSeedPassesUSCore checks the demo data set: every resource passes the
// US Core profile of its type (and those it declares) without errors.
func TestSeedPassesUSCore(t *testing.T) {
	s := load(t)
	checked, failed := 0, 0
	_, err := seed.Generate(context.Background(), seed.Options{Patients: 10, Seed: 1, Now: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)},
		func(r seed.Resource) error {
			res := decode(t, string(r.Body))
			var ps []*Profile
			if p, ok := s.Default(r.Type); ok {
				ps = append(ps, p)
			}
			meta, _ := res["meta"].(map[string]any)
			list, _ := meta["profile"].([]any)
			for _, x := range list {
				if p, ok := s.Find(x.(string)); ok {
					ps = append(ps, p)
				}
			}
			for _, p := range ps {
				checked++
				for _, is := range p.Check(res) {
					if is.Severity == Error {
						failed++
						if failed <= 20 {
							t.Errorf("%s/%s against %s: %s: %s", r.Type, r.ID, p.Canonical(), is.Path, is.Message)
						}
					}
				}
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("nothing checked")
	}
	t.Logf("%d resource-profile pairs checked, %d errors", checked, failed)
}
