package fhirapi_test

import (
	"github.com/emedpractice/emp/internal/testenv"

	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/seed"
	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// bpPanels reads every blood pressure panel through the face and returns
// each one's systolic and diastolic values by id.
func bpPanels(t *testing.T, ts *testenv.Server, token string) map[string][2]float64 {
	t.Helper()
	r := ts.Do("GET", "/fhir/r4/Observation?code=http://loinc.org|85354-9&_count=1000", token, "")
	if r.Status != 200 {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	out := map[string][2]float64{}
	list, _ := r.JSON(t)["entry"].([]any)
	for _, e := range list {
		res := e.(map[string]any)["resource"].(map[string]any)
		var v [2]float64
		for _, c := range res["component"].([]any) {
			c := c.(map[string]any)
			code := c["code"].(map[string]any)["coding"].([]any)[0].(map[string]any)["code"]
			q := c["valueQuantity"].(map[string]any)["value"].(float64)
			switch code {
			case "8480-6":
				v[0] = q
			case "8462-4":
				v[1] = q
			}
		}
		out[res["id"].(string)] = v
	}
	return out
}

// searchIDs runs a search and returns the ids of its matches, sorted.
func searchIDs(t *testing.T, ts *testenv.Server, token, query string) []string {
	t.Helper()
	r := ts.Do("GET", query, token, "")
	if r.Status != 200 {
		t.Fatalf("%s: %d %s", query, r.Status, r.Body)
	}
	var ids []string
	for _, e := range testenv.Entries(t, r) {
		if rest, ok := strings.CutPrefix(e, "match "); ok {
			ids = append(ids, rest[strings.IndexByte(rest, '/')+1:])
		}
	}
	sort.Strings(ids)
	return ids
}

// TestCompositeSearchOverHTTP searches the seeded vital signs by composite
// parameters and checks each answer against the panels' own components.
func TestCompositeSearchOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := testenv.Start(t, dialect, nil)
		if _, err := server.Seed(context.Background(), ts.App.Store, seed.Options{Patients: 2, Seed: 5, Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}, nil); err != nil {
			t.Fatal(err)
		}
		admin := ts.Token("user/*.cruds", "")
		// Systolic 100 and diastolic 150: a code and a value above 120 on
		// different components of one panel, which must not match.
		ts.PutAll(t, admin, `{"resourceType":"Observation","id":"split","status":"final",
			"code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},
			"component":[
				{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":100,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}},
				{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":150,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]}`)
		panels := bpPanels(t, ts, admin)
		if len(panels) < 3 {
			t.Fatalf("the seed made %d blood pressure panels", len(panels))
		}
		var systolic []float64
		for id, v := range panels {
			if id != "split" {
				systolic = append(systolic, v[0])
			}
		}
		sort.Float64s(systolic)
		median := systolic[len(systolic)/2]
		expect := func(keep func(v [2]float64) bool) []string {
			var ids []string
			for id, v := range panels {
				if keep(v) {
					ids = append(ids, id)
				}
			}
			sort.Strings(ids)
			return ids
		}
		tests := []struct {
			query string
			want  []string
		}{
			{fmt.Sprintf("component-code-value-quantity=http://loinc.org|8480-6$gt%g", median),
				expect(func(v [2]float64) bool { return v[0] > median })},
			{fmt.Sprintf("component-code-value-quantity=8480-6$le%g|http://unitsofmeasure.org|mm[Hg]", median),
				expect(func(v [2]float64) bool { return v[0] <= median })},
			// The split panel's diastolic 150 is above 100, its systolic not.
			{"component-code-value-quantity=8480-6$gt100",
				expect(func(v [2]float64) bool { return v[0] > 100 })},
			{"component-code-value-quantity=http://loinc.org|8462-4$ge140|http://unitsofmeasure.org|mm[Hg]",
				expect(func(v [2]float64) bool { return v[1] >= 140 })},
			// OR between values, AND between repeats.
			{fmt.Sprintf("component-code-value-quantity=8480-6$gt%g,8462-4$ge140", median),
				expect(func(v [2]float64) bool { return v[0] > median || v[1] >= 140 })},
			{fmt.Sprintf("component-code-value-quantity=8480-6$le%g&component-code-value-quantity=8462-4$ge140", median),
				expect(func(v [2]float64) bool { return v[0] <= median && v[1] >= 140 })},
			{"combo-code-value-quantity=8480-6$gt100&code=85354-9",
				expect(func(v [2]float64) bool { return v[0] > 100 })},
			{"component-code-value-quantity=8480-6$gt120|http://unitsofmeasure.org|kg", nil},
		}
		if len(tests[0].want) == 0 || len(tests[1].want) == 0 {
			t.Fatalf("systolic values all alike (%v): the split by the median tests nothing", systolic)
		}
		for _, tt := range tests {
			t.Run(tt.query, func(t *testing.T) {
				got := searchIDs(t, ts, admin, "/fhir/r4/Observation?"+tt.query)
				t.Logf("%d of %d panels", len(got), len(panels))
				if strings.Join(got, ",") != strings.Join(tt.want, ",") {
					t.Errorf("got %v, want %v", got, tt.want)
				}
				if slices.Contains(got, "split") && !slices.Contains(tt.want, "split") {
					t.Error("matched a panel whose code and value are on different components")
				}
				// POST _search answers the same.
				post := ts.Do("POST", "/fhir/r4/Observation/_search", admin, tt.query, "Content-Type", "application/x-www-form-urlencoded")
				if post.Status != 200 || len(testenv.Entries(t, post)) != len(got) {
					t.Errorf("POST _search: %d, %d entries, want %d", post.Status, len(testenv.Entries(t, post)), len(got))
				}
			})
		}

		// The Observation's own code and value: the seeded heart rates.
		hr := searchIDs(t, ts, admin, "/fhir/r4/Observation?code=http://loinc.org|8867-4&value-quantity=ge0")
		if len(hr) == 0 {
			t.Fatal("the seed made no heart rates")
		}
		if got := searchIDs(t, ts, admin, "/fhir/r4/Observation?code-value-quantity=http://loinc.org|8867-4$ge0"); strings.Join(got, ",") != strings.Join(hr, ",") {
			t.Errorf("code-value-quantity heart rates = %d, want %d", len(got), len(hr))
		}
		if got := searchIDs(t, ts, admin, "/fhir/r4/Observation?code-value-quantity=8480-6$ge0"); len(got) != 0 {
			t.Errorf("code-value-quantity matched component values: %v", got)
		}

		// A patient's token sees its own panels only.
		patient, err := ts.App.FirstPatient(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		own := searchIDs(t, ts, admin, "/fhir/r4/Observation?code=http://loinc.org|85354-9&patient="+patient)
		mine := ts.Token("patient/Observation.rs", patient)
		if got := searchIDs(t, ts, mine, "/fhir/r4/Observation?component-code-value-quantity=8480-6$ge0"); len(own) == 0 || strings.Join(got, ",") != strings.Join(own, ",") {
			t.Errorf("patient token: %d panels, want the patient's %d", len(got), len(own))
		}

		// Refusals are 400 naming the parameter.
		for _, bad := range []string{
			"Observation?code-value-quantity=8480-6",
			"Observation?code-value-quantity=8480-6$abc",
			"Observation?code-value-quantity=8480-6$1$2",
			"Observation?code-value-date=x$2020-13",
			"Observation?code-value-quantity:exact=8480-6$1",
			"DocumentReference?relationship=Foo/x$replaces",
			"DocumentReference?relationship=DocumentReference/x",
			"MolecularSequence?chromosome-window-coordinate=1$lt345$gt123",
		} {
			expectRefused(t, ts, admin, bad)
		}
	})
}

// TestCapabilityListsComposites: the composites the engine searches are
// listed with their type, and those it refuses are not.
func TestCapabilityListsComposites(t *testing.T) {
	ts := testenv.Start(t, "sqlite", nil)
	rest := ts.Do("GET", "/fhir/r4/metadata", "", "").JSON(t)["rest"].([]any)[0].(map[string]any)
	listed := map[string]string{}
	for _, x := range rest["resource"].([]any) {
		r := x.(map[string]any)
		ps, _ := r["searchParam"].([]any)
		for _, p := range ps {
			p := p.(map[string]any)
			listed[r["type"].(string)+"."+p["name"].(string)] = p["type"].(string)
		}
	}
	for _, want := range []string{
		"Observation.code-value-quantity", "Observation.code-value-concept", "Observation.code-value-date",
		"Observation.code-value-string", "Observation.component-code-value-quantity", "Observation.component-code-value-concept",
		"Observation.combo-code-value-quantity", "Observation.combo-code-value-concept", "Group.characteristic-value",
		"ValueSet.context-type-value", "ValueSet.context-type-quantity", "DocumentReference.relationship",
	} {
		if listed[want] != "composite" {
			t.Errorf("%s listed as %q, want composite", want, listed[want])
		}
	}
	for _, not := range []string{"MolecularSequence.chromosome-window-coordinate", "MolecularSequence.chromosome-variant-coordinate"} {
		if _, ok := listed[not]; ok {
			t.Errorf("%s is listed but not supported", not)
		}
	}
	if doc, _ := rest["documentation"].(string); !strings.Contains(doc, "composite") {
		t.Errorf("rest.documentation does not describe composites: %q", doc)
	}
}
