package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// bp is a blood pressure panel of patient with systolic and diastolic
// values in mm[Hg].
func bp(id, patient string, systolic, diastolic int) string {
	comp := func(code string, v int) string {
		return fmt.Sprintf(`{"code":{"coding":[{"system":"http://loinc.org","code":%q}]},"valueQuantity":{"value":%d,"unit":"mmHg","system":"http://unitsofmeasure.org","code":"mm[Hg]"}}`, code, v)
	}
	return fmt.Sprintf(`{"resourceType":"Observation","id":%q,"status":"final","subject":{"reference":"Patient/%s"},
		"code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},
		"component":[%s,%s]}`, id, patient, comp("8480-6", systolic), comp("8462-4", diastolic))
}

func compositeFixture(t *testing.T, s *store.Store) {
	t.Helper()
	for _, body := range []string{
		`{"resourceType":"Patient","id":"pa"}`,
		`{"resourceType":"Patient","id":"pb"}`,
		bp("bp1", "pa", 150, 95),
		// Systolic 100, diastolic 150: a code and a value above 120, on
		// different components.
		bp("bp2", "pb", 100, 150),
		bp("bp3", "pb", 120, 80),
		`{"resourceType":"Observation","id":"hr1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"valueQuantity":{"value":72,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`,
		`{"resourceType":"Observation","id":"hr2","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"valueQuantity":{"value":130,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`,
		`{"resourceType":"Observation","id":"str1","status":"final","code":{"coding":[{"code":"smoke"}]},"valueString":"Current every day smoker"}`,
		`{"resourceType":"Observation","id":"dt1","status":"final","code":{"coding":[{"code":"onset"}]},"valueDateTime":"2021-06-01"}`,
		`{"resourceType":"Observation","id":"cc1","status":"final","code":{"coding":[{"code":"bloodtype"}]},"valueCodeableConcept":{"coding":[{"system":"http://snomed.info/sct","code":"A"}]}}`,
		`{"resourceType":"Group","id":"g1","type":"person","actual":true,"characteristic":[
			{"code":{"coding":[{"code":"gender"}]},"valueCodeableConcept":{"coding":[{"code":"female"}]},"exclude":false},
			{"code":{"coding":[{"code":"smoker"}]},"valueBoolean":true,"exclude":false}]}`,
		`{"resourceType":"DocumentReference","id":"d1","status":"current","content":[{"attachment":{"contentType":"text/plain"}}],
			"relatesTo":[{"code":"replaces","target":{"reference":"DocumentReference/d0"}}]}`,
		`{"resourceType":"DocumentReference","id":"d2","status":"current","content":[{"attachment":{"contentType":"text/plain"}}],
			"relatesTo":[{"code":"appends","target":{"reference":"DocumentReference/d0"}},{"code":"replaces","target":{"reference":"DocumentReference/dx"}}]}`,
		`{"resourceType":"Group","id":"g2","type":"person","actual":true,"characteristic":[
			{"code":{"coding":[{"code":"gender"}]},"valueCodeableConcept":{"coding":[{"code":"male"}]},"exclude":false},
			{"code":{"coding":[{"code":"smoker"}]},"valueBoolean":false,"exclude":false}]}`,
	} {
		put(t, s, body)
	}
}

var compositeCases = []searchCase{
	// The components of one Observation.component entry: bp2's 150 is
	// its diastolic value, so systolic above 120 is bp1 alone.
	{"Observation", "component-code-value-quantity=http://loinc.org|8480-6$gt120", "bp1"},
	{"Observation", "component-code-value-quantity=8480-6$gt120", "bp1"},
	{"Observation", "component-code-value-quantity=8462-4$gt120", "bp2"},
	{"Observation", "component-code-value-quantity=8462-4$ge140|http://unitsofmeasure.org|mm[Hg]", "bp2"},
	{"Observation", "component-code-value-quantity=8462-4$ge140|http://unitsofmeasure.org|kg", ""},
	{"Observation", "component-code-value-quantity=8462-4$ge140|mmHg", "bp2"},
	{"Observation", "component-code-value-quantity=other|8480-6$gt120", ""},
	{"Observation", "component-code-value-quantity=8480-6$120", "bp3"},
	// Comma is OR between whole values; repeating is AND.
	{"Observation", "component-code-value-quantity=8480-6$gt120,8462-4$gt120", "bp1,bp2"},
	{"Observation", "component-code-value-quantity=8480-6$gt110&component-code-value-quantity=8462-4$lt100", "bp1,bp3"},
	{"Observation", "component-code-value-quantity=8480-6$gt110&component-code-value-quantity=8462-4$gt120", ""},
	// The Observation's own code and value.
	{"Observation", "code-value-quantity=http://loinc.org|8867-4$gt100", "hr2"},
	{"Observation", "code-value-quantity=8867-4$72", "hr1"},
	{"Observation", "code-value-quantity=8480-6$gt1", ""},
	{"Observation", "combo-code-value-quantity=8480-6$gt120", "bp1"},
	{"Observation", "combo-code-value-quantity=8867-4$lt100,8462-4$lt90", "bp3,hr1"},
	{"Observation", "code-value-string=smoke$current", "str1"},
	{"Observation", "code-value-string=smoke$never", ""},
	{"Observation", "code-value-date=onset$ge2021", "dt1"},
	{"Observation", "code-value-date=onset$2021-06", "dt1"},
	{"Observation", "code-value-date=onset$lt2021", ""},
	{"Observation", "code-value-concept=bloodtype$http://snomed.info/sct|A", "cc1"},
	{"Observation", "code-value-concept=bloodtype$B", ""},
	{"Observation", "code-value-quantity:missing=false", "hr1,hr2"},
	{"Observation", "code-value-quantity:missing=true&code=8867-4", ""},
	{"Observation", "component-code-value-quantity=8480-6$gt110&subject=Patient/pb", "bp3"},
	{"Group", "characteristic-value=gender$female", "g1"},
	{"Group", "characteristic-value=smoker$true", "g1"},
	{"Group", "characteristic-value=gender$male,smoker$true", "g1,g2"},
	// A reference first: the target and the code of one relatesTo.
	{"DocumentReference", "relationship=DocumentReference/d0$replaces", "d1"},
	{"DocumentReference", "relationship=d0$appends", "d2"},
	{"DocumentReference", "relationship=DocumentReference/dx$appends", ""},
	{"DocumentReference", "relationship=DocumentReference/dx$replaces,DocumentReference/d0$replaces", "d1,d2"},
	{"DocumentReference", "relationship=Patient/d0$replaces", ""},
	{"DocumentReference", "relationship:missing=true", ""},
	// Through _has and a chain.
	{"Patient", "_has:Observation:patient:component-code-value-quantity=8480-6$gt120", "pa"},
	{"Patient", "_has:Observation:patient:component-code-value-quantity=8462-4$gt120", "pb"},
}

func TestCompositeSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := storetest.Open(t, dialect, store.Options{})
		compositeFixture(t, s)
		runSearches(t, s, compositeCases)
		// An update replaces the rows: bp2's systolic is now 130.
		put(t, s, bp("bp2", "pb", 130, 70))
		if got := ids(mustSearch(t, s, "Observation", "component-code-value-quantity=8480-6$gt120")); got != "bp1,bp2" {
			t.Errorf("after update: %q", got)
		}
		if got := ids(mustSearch(t, s, "Observation", "component-code-value-quantity=8462-4$gt120")); got != "" {
			t.Errorf("after update, old diastolic still matches: %q", got)
		}
		// A deleted resource matches nothing.
		if err := s.Delete(context.Background(), "Observation", "bp1", none); err != nil {
			t.Fatal(err)
		}
		if got := ids(mustSearch(t, s, "Observation", "component-code-value-quantity=8480-6$gt120")); got != "bp2" {
			t.Errorf("after delete: %q", got)
		}
	})
}

// TestCompositeBackfill: resources written before the composite index
// existed get their rows when the store opens, once, and a repeated walk
// (a start cut short, rows already there) leaves the same rows.
func TestCompositeBackfill(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		dsn := written(t, dialect, compositeFixture)
		raw := openRaw(t, dsn)
		exec, count := raw.exec, raw.count
		rows := count(`SELECT COUNT(*) FROM idx_composite`)
		if rows == 0 || count(`SELECT COUNT(*) FROM index_backfill`) != 0 {
			t.Fatalf("fresh store: %d composite rows, backfill pending %d", rows, count(`SELECT COUNT(*) FROM index_backfill`))
		}

		// As after migration 0006 on a database with resources.
		exec(`DELETE FROM idx_composite`)
		exec(`INSERT INTO index_backfill (name, after_rid) VALUES ('idx_composite', 0)`)
		reopen := func() *store.Store { return openAt(t, dsn) }
		s := reopen()
		if got := count(`SELECT COUNT(*) FROM idx_composite`); got != rows {
			t.Errorf("backfill wrote %d rows, the writes had %d", got, rows)
		}
		if n := count(`SELECT COUNT(*) FROM index_backfill`); n != 0 {
			t.Errorf("backfill still pending after open: %d", n)
		}
		expectSearches(t, s, "after backfill", compositeCases)
		s.Close()

		// The walk again over rows that are there: the same rows.
		exec(`INSERT INTO index_backfill (name, after_rid) VALUES ('idx_composite', 0)`)
		reopen().Close()
		if got := count(`SELECT COUNT(*) FROM idx_composite`); got != rows {
			t.Errorf("a repeated backfill left %d rows, want %d", got, rows)
		}
		// A walk resumed past every resource writes nothing and ends.
		exec(`DELETE FROM idx_composite`)
		exec(`INSERT INTO index_backfill (name, after_rid) VALUES ('idx_composite', 1000000)`)
		reopen().Close()
		if got := count(`SELECT COUNT(*) FROM idx_composite`); got != 0 || count(`SELECT COUNT(*) FROM index_backfill`) != 0 {
			t.Errorf("resumed walk: %d rows, pending %d", got, count(`SELECT COUNT(*) FROM index_backfill`))
		}
	})
}

// TestCompositeBackfillOneType: a walk of one type (a migration that made
// that type's composites searchable) indexes its resources and leaves the
// other types' rows as they are.
func TestCompositeBackfillOneType(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		dsn := written(t, dialect, compositeFixture)
		raw := openRaw(t, dsn)
		const docRows = `SELECT COUNT(*) FROM idx_composite x JOIN resources r ON r.rid = x.rid WHERE r.type = 'DocumentReference'`
		const otherRows = `SELECT COUNT(*) FROM idx_composite x JOIN resources r ON r.rid = x.rid WHERE r.type <> 'DocumentReference'`
		docs, others := raw.count(docRows), raw.count(otherRows)
		if docs != 3 || others == 0 {
			t.Fatalf("fresh store: %d DocumentReference rows (want 3), %d others", docs, others)
		}
		// As before migration 0009: no relationship rows, and a stale
		// one the walk must replace.
		raw.exec(`DELETE FROM idx_composite WHERE rid IN (SELECT rid FROM resources WHERE type = 'DocumentReference')`)
		raw.exec(`INSERT INTO idx_composite (rid, pid, t_system, t_code, system, code, unit, value, lo, hi, d_lo, d_hi, norm)
			SELECT r.rid, p.pid, 'DocumentReference', 'stale', '', 'replaces', '', 0, 0, 0, 0, 0, '' FROM resources r
			JOIN search_params p ON p.type = 'DocumentReference' AND p.code = 'relationship' WHERE r.id = 'd1'`)
		raw.exec(`INSERT INTO index_backfill (name, after_rid) VALUES ('idx_composite:DocumentReference', 0)`)
		s := openAt(t, dsn)
		if got := raw.count(docRows); got != docs {
			t.Errorf("the walk wrote %d DocumentReference rows, want %d", got, docs)
		}
		if got := raw.count(otherRows); got != others {
			t.Errorf("the walk changed other types' rows: %d, want %d", got, others)
		}
		if n := raw.count(`SELECT COUNT(*) FROM index_backfill`); n != 0 {
			t.Errorf("walk still pending: %d", n)
		}
		expectSearches(t, s, "after the walk", compositeCases)
	})
}
