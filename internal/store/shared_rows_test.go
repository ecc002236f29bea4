package store_test

import (
	"context"
	"testing"

	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// sharedFixture has Observations whose subject is a Patient or a Group,
// codes on the Observation and on its components, and Provenances whose
// targets include a Patient: the parameters patient, combo-code and
// Provenance patient are answered from the rows of subject, code and
// component-code, and target.
func sharedFixture(t *testing.T, s *store.Store) {
	t.Helper()
	for _, body := range []string{
		`{"resourceType":"Patient","id":"pa","name":[{"family":"Ames"}]}`,
		`{"resourceType":"Patient","id":"pb","name":[{"family":"Boyd"}]}`,
		`{"resourceType":"Group","id":"pa","type":"person","actual":true}`,
		bp("bp1", "pa", 150, 95),
		`{"resourceType":"Observation","id":"hr1","status":"final","subject":{"reference":"Patient/pb"},"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]}}`,
		`{"resourceType":"Observation","id":"grp","status":"final","subject":{"reference":"Group/pa"},"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]}}`,
		`{"resourceType":"Observation","id":"none","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]}}`,
		`{"resourceType":"Provenance","id":"pv1","target":[{"reference":"Observation/bp1"},{"reference":"Patient/pa"}],"recorded":"2024-01-01T00:00:00Z","agent":[{"who":{"reference":"Practitioner/x"}}]}`,
		`{"resourceType":"Provenance","id":"pv2","target":[{"reference":"Observation/grp"}],"recorded":"2024-01-01T00:00:00Z","agent":[{"who":{"reference":"Practitioner/x"}}]}`,
	} {
		put(t, s, body)
	}
}

var sharedCases = []searchCase{
	// patient: subject rows whose target is a Patient; Group/pa has the
	// same id and must not match.
	{"Observation", "patient=pa", "bp1"},
	{"Observation", "patient=Patient/pb", "hr1"},
	{"Observation", "patient=Group/pa", ""},
	{"Observation", "subject=pa", "bp1,grp"},
	{"Observation", "patient:missing=true", "grp,none"},
	{"Observation", "patient:missing=false", "bp1,hr1"},
	{"Observation", "patient.name=Boyd", "hr1"},
	{"Observation", "patient:Patient.name=Ames", "bp1"},
	{"Observation", "patient=pa,pb&_sort=-patient", "hr1,bp1"},
	{"Patient", "_has:Observation:patient:code=8867-4", "pb"},
	{"Group", "_has:Observation:subject:code=8867-4", "pa"},
	// combo-code: the Observation's code or a component's.
	{"Observation", "combo-code=8480-6", "bp1,none"},
	{"Observation", "combo-code=http://loinc.org|85354-9", "bp1"},
	{"Observation", "combo-code:not=8480-6&code=85354-9,8867-4", "hr1,grp"},
	{"Observation", "code=8480-6", "none"},
	{"Observation", "combo-code-value-quantity=8480-6$gt140", "bp1"},
	{"Observation", "combo-code-value-quantity=8480-6$gt150", ""},
	// Provenance patient: target rows whose target is a Patient.
	{"Provenance", "patient=pa", "pv1"},
	{"Provenance", "patient:missing=true", "pv2"},
	{"Provenance", "target=Observation/grp", "pv2"},
}

func TestSharedRowsSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := storetest.Open(t, dialect, store.Options{})
		sharedFixture(t, s)
		runSearches(t, s, sharedCases)
		// The compartment follows Provenance patient through target rows.
		in := searchIn(t, s, "Provenance", "", search.Compartment{Restricted: true, Patient: "pa"})
		if got := ids(in); got != "pv1" {
			t.Errorf("Provenance in pa's compartment = %q, want pv1", got)
		}
		// _include by a shared parameter reads the rows it shares.
		refs, err := s.References(context.Background(), "Observation", []string{"bp1", "grp"}, "patient")
		if err != nil {
			t.Fatal(err)
		}
		if len(refs) != 1 || refs[0].Type != "Patient" || refs[0].ID != "pa" {
			t.Errorf("Observation:patient references = %+v, want Patient/pa alone", refs)
		}
	})
}

// TestSharedRowsCleanup: rows written under a shared parameter's own id
// before it shared (as by an older version) are deleted when the store
// opens, once, and searches answer the same before and after.
func TestSharedRowsCleanup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		dsn := written(t, dialect, sharedFixture)
		raw := openRaw(t, dsn)
		exec, count := raw.exec, raw.count
		const sharedRefs = `SELECT COUNT(*) FROM idx_reference x JOIN search_params p ON p.pid = x.pid
			WHERE p.type = 'Observation' AND p.code = 'patient'`
		if n := count(sharedRefs); n != 0 {
			t.Fatalf("a write stored %d rows under Observation patient", n)
		}
		const sharedComposites = `SELECT COUNT(*) FROM idx_composite x JOIN search_params p ON p.pid = x.pid
			WHERE p.type = 'Observation' AND p.code = 'combo-code-value-quantity'`
		if n := count(sharedComposites); n != 0 {
			t.Fatalf("a write stored %d rows under Observation combo-code-value-quantity", n)
		}
		// As an older version wrote them: patient rows beside subject's,
		// and a combo-code row.
		exec(`INSERT INTO idx_reference (rid, pid, target_type, target_id, url)
			SELECT x.rid, p.pid, x.target_type, x.target_id, x.url FROM idx_reference x
			JOIN search_params q ON q.pid = x.pid AND q.type = 'Observation' AND q.code = 'subject'
			JOIN search_params p ON p.type = 'Observation' AND p.code = 'patient'
			WHERE x.target_type = 'Patient'`)
		exec(`INSERT INTO idx_token (rid, pid, system, code, text)
			SELECT r.rid, p.pid, 'http://loinc.org', '8480-6', '' FROM resources r
			JOIN search_params p ON p.type = 'Observation' AND p.code = 'combo-code'
			WHERE r.type = 'Observation' AND r.id = 'none'`)
		exec(`INSERT INTO idx_composite (rid, pid, t_system, t_code, system, code, unit, value, lo, hi, d_lo, d_hi, norm)
			SELECT x.rid, p.pid, x.t_system, x.t_code, x.system, x.code, x.unit, x.value, x.lo, x.hi, x.d_lo, x.d_hi, x.norm
			FROM idx_composite x JOIN search_params p ON p.type = 'Observation' AND p.code = 'combo-code-value-quantity'`)
		if n := count(sharedRefs); n != 2 || count(sharedComposites) == 0 {
			t.Fatalf("setup: %d rows under Observation patient, want 2", n)
		}
		exec(`INSERT INTO index_backfill (name, after_rid) VALUES ('shared_rows', 0)`)
		s := openAt(t, dsn)
		if n := count(sharedRefs); n != 0 {
			t.Errorf("after open: %d rows under Observation patient", n)
		}
		if n := count(`SELECT COUNT(*) FROM idx_token x JOIN search_params p ON p.pid = x.pid WHERE p.code = 'combo-code'`); n != 0 {
			t.Errorf("after open: %d combo-code rows", n)
		}
		if n := count(sharedComposites); n != 0 {
			t.Errorf("after open: %d combo-code-value-quantity rows", n)
		}
		if n := count(`SELECT COUNT(*) FROM index_backfill`); n != 0 {
			t.Errorf("cleanup still pending: %d", n)
		}
		expectSearches(t, s, "after cleanup", sharedCases)
	})
}
