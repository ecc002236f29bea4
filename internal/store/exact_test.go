package store_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

const exactFixture = `{"resourceType":"Observation","id":"q085","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"valueQuantity":{"value":0.85,"unit":"mg","system":"http://unitsofmeasure.org","code":"mg"}}
{"resourceType":"Observation","id":"q095","status":"final","code":{"text":"x"},"valueQuantity":{"value":0.95,"unit":"mg","system":"http://example.org/units","code":"mg"}}
{"resourceType":"Observation","id":"q3665","status":"final","code":{"text":"x"},"valueQuantity":{"value":36.65,"unit":"Cel"}}
{"resourceType":"Observation","id":"q98","status":"amended","code":{"text":"x"},"valueQuantity":{"value":98,"unit":"%","system":"http://unitsofmeasure.org","code":"%"}}
{"resourceType":"Observation","id":"q82","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"valueQuantity":{"value":82,"unit":"beats/minute"}}
{"resourceType":"RiskAssessment","id":"r095","status":"final","subject":{"reference":"Patient/p"},"prediction":[{"probabilityDecimal":0.95}]}
{"resourceType":"RiskAssessment","id":"r085","status":"final","subject":{"reference":"Patient/p"},"prediction":[{"probabilityDecimal":0.85}]}
{"resourceType":"Patient","id":"f","gender":"female"}
{"resourceType":"Patient","id":"m","gender":"male"}`

// TestExactSearch pins the cases float64 got wrong, the empty-system
// quantity form, and implicit code systems; and that a store migrated from
// rows without exact keys answers the same once opened (the backfill).
func TestExactSearch(t *testing.T) {
	cases := []struct{ rtype, query, want string }{
		{"Observation", "value-quantity=0.9", "q085"},   // [0.85, 0.95): 0.95 out
		{"Observation", "value-quantity=36.7", "q3665"}, // 36.65 in
		{"Observation", "value-quantity=ne0.9", "q095,q3665,q82,q98"},
		{"Observation", "value-quantity=le0.85", "q085"},
		{"Observation", "value-quantity=lt0.95", "q085"},
		{"Observation", "value-quantity=ap0.9", "q085,q095"},
		{"Observation", "value-quantity=5e-1", ""}, // one significant figure: [0.45, 0.55)
		{"Observation", "value-quantity=0.9||mg", "q085"},
		{"Observation", "value-quantity=0.95||mg", "q095"}, // any system
		{"Observation", "value-quantity=98||%25", "q98"},
		{"Observation", "value-quantity=0.95|http://unitsofmeasure.org|mg", ""},
		{"Observation", "code=8867-4&value-quantity=82||beats/minute", "q82"},
		{"Observation", "code=8867-4&value-quantity=82||mg", ""},
		{"RiskAssessment", "probability=0.9", "r085"},
		{"RiskAssessment", "probability=gt0.85", "r095"},
		{"Patient", "gender=http://hl7.org/fhir/administrative-gender|female", "f"},
		{"Patient", "gender=http://example.org/other|female", ""},
		{"Patient", "gender=female", "f"},
		{"Observation", "status=http://hl7.org/fhir/observation-status|amended", "q98"},
	}
	check := func(t *testing.T, s *store.Store, when string) {
		t.Helper()
		for _, c := range cases {
			if got := sortedIDs(mustSearch(t, s, c.rtype, c.query)); got != c.want {
				t.Errorf("%s: %s?%s = %q, want %q", when, c.rtype, c.query, got, c.want)
			}
		}
	}
	storetest.Each(t, func(t *testing.T, dialect string) {
		dsn := written(t, dialect, func(t *testing.T, s *store.Store) {
			for _, line := range strings.Split(exactFixture, "\n") {
				put(t, s, line)
			}
		})
		s := openAt(t, dsn)
		check(t, s, "written now")
		s.Close()

		// As before migration 0017: rows without exact keys.
		raw := openRaw(t, dsn)
		for _, table := range []string{"idx_number", "idx_quantity", "idx_composite"} {
			raw.exec(fmt.Sprintf(`UPDATE %s SET dkey = ''`, table))
		}
		raw.exec(`INSERT INTO index_backfill (name, after_rid) VALUES ('decimal:idx_number', 0), ('decimal:idx_quantity', 0), ('idx_composite', 0)`)
		s = openAt(t, dsn)
		check(t, s, "after the walk")
		if n := raw.count(`SELECT COUNT(*) FROM index_backfill`); n != 0 {
			t.Errorf("walk still pending: %d", n)
		}
		if n := raw.count(`SELECT COUNT(*) FROM idx_quantity WHERE dkey = ''`); n != 0 {
			t.Errorf("%d quantity rows without a key", n)
		}
	})
}
