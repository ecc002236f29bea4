package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestUpdateReplacesEveryRow: an update leaves exactly the new version's
// index and compartment rows (the old values find nothing, the new ones
// find it, in every kind of index), keeps the old version's bytes, and
// writes an audit row per write. On PostgreSQL a create and an update are
// each one statement, so this checks what its parts do together.
func TestUpdateReplacesEveryRow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := storetest.Open(t, dialect, store.Options{})
		ctx := context.Background()
		s.FlushAudit()
		before, err := s.ListAudit(ctx, store.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		put(t, s, `{"resourceType":"Patient","id":"a","name":[{"family":"Old"}]}`)
		put(t, s, `{"resourceType":"Patient","id":"b","name":[{"family":"New"}]}`)
		v1 := `{"resourceType":"Observation","id":"o","status":"preliminary",
			"code":{"coding":[{"system":"http://loinc.org","code":"8867-4"}]},"subject":{"reference":"Patient/a"},
			"effectiveDateTime":"2020-01-01","valueQuantity":{"value":60,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"},
			"component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":120,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]}`
		v2 := `{"resourceType":"Observation","id":"o","status":"final",
			"code":{"coding":[{"system":"http://loinc.org","code":"9279-1"}]},"subject":{"reference":"Patient/b"},
			"effectiveDateTime":"2024-06-01","valueQuantity":{"value":90,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"},
			"component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":80,"system":"http://unitsofmeasure.org","code":"mm[Hg]"}}]}`
		put(t, s, v1)
		put(t, s, v2)
		runSearches(t, s, []searchCase{
			{"Observation", "status=preliminary", ""},
			{"Observation", "status=final", "o"},
			{"Observation", "code=8867-4", ""},
			{"Observation", "code=9279-1", "o"},
			{"Observation", "subject=Patient/a", ""},
			{"Observation", "subject=Patient/b", "o"},
			{"Observation", "date=2020-01-01", ""},
			{"Observation", "date=2024-06-01", "o"},
			{"Observation", "value-quantity=60", ""},
			{"Observation", "value-quantity=90", "o"},
			{"Observation", "component-code-value-quantity=8480-6$120", ""},
			{"Observation", "component-code-value-quantity=8462-4$80", "o"},
		})
		for patient, want := range map[string]string{"a": "", "b": "o"} {
			c := search.Compartment{Restricted: true, Patient: patient}
			if got := ids(searchIn(t, s, "Observation", "", c)); got != want {
				t.Errorf("Patient/%s's observations = %q, want %q", patient, got, want)
			}
		}
		old, err := s.ReadVersion(ctx, "Observation", "o", 1, search.Compartment{})
		if err != nil || !strings.Contains(string(old.Body), "preliminary") {
			t.Errorf("version 1 = %s, %v", old.Body, err)
		}
		s.FlushAudit()
		after, err := s.ListAudit(ctx, store.AuditFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(after) - len(before); got != 4 {
			t.Errorf("%d audit rows for four writes", got)
		}
	})
}

// TestFailedCreateLeavesNoRows: a create refused as a duplicate, inside a
// transaction with another create before it, leaves neither resource nor
// any of their index, compartment or audit rows.
func TestFailedCreateLeavesNoRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := storetest.Open(t, dialect, store.Options{})
		ctx := context.Background()
		put(t, s, `{"resourceType":"Patient","id":"p","identifier":[{"system":"urn:x","value":"first"}]}`)
		s.FlushAudit()
		before, _ := s.ListAudit(ctx, store.AuditFilter{})
		err := s.Transaction(ctx, func(tx *store.Tx) error {
			if _, err := tx.Create("Observation", "o", obj(t, `{"resourceType":"Observation","status":"final",
				"code":{"coding":[{"system":"urn:c","code":"mine"}]},"subject":{"reference":"Patient/p"}}`), search.Compartment{}); err != nil {
				return err
			}
			_, err := tx.Create("Patient", "p", obj(t, `{"resourceType":"Patient","identifier":[{"system":"urn:x","value":"second"}]}`), search.Compartment{})
			return err
		})
		if errs.KindOf(err) != errs.Conflict {
			t.Fatalf("duplicate create: %v, want Conflict", err)
		}
		runSearches(t, s, []searchCase{
			{"Patient", "identifier=urn:x|second", ""},
			{"Patient", "identifier=urn:x|first", "p"},
			{"Observation", "code=urn:c|mine", ""},
		})
		if got := ids(searchIn(t, s, "Observation", "", search.Compartment{Restricted: true, Patient: "p"})); got != "" {
			t.Errorf("the patient's observations = %q after the failed transaction", got)
		}
		s.FlushAudit()
		after, _ := s.ListAudit(ctx, store.AuditFilter{})
		if len(after) != len(before) {
			t.Errorf("the failed transaction left %d audit rows", len(after)-len(before))
		}
	})
}
