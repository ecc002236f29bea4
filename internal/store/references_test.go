package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

func TestReferences(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		s := storetest.Open(t, dialect, store.Options{LocalBases: []string{"https://ehr.example.org/fhir/r4"}})
		for _, body := range []string{
			`{"resourceType":"MedicationRequest","id":"a","status":"active","intent":"order","subject":{"reference":"Patient/p1"},"medicationReference":{"reference":"Medication/m1"}}`,
			`{"resourceType":"MedicationRequest","id":"b","status":"active","intent":"order","subject":{"reference":"Patient/p2"},"medicationReference":{"reference":"Medication/m1"}}`,
			`{"resourceType":"MedicationRequest","id":"c","status":"active","intent":"order","subject":{"reference":"Patient/p1"},"medicationReference":{"reference":"https://other.example/fhir/Medication/x"}}`,
			`{"resourceType":"MedicationRequest","id":"d","status":"active","intent":"order","subject":{"reference":"HTTPS://EHR.example.org/fhir/r4/Patient/p3"},"medicationReference":{"reference":"https://ehr.example.org/fhir/r4/Medication/m2/_history/1"}}`,
		} {
			o := obj(t, body)
			if _, _, err := s.Update(ctx, "MedicationRequest", o["id"].(string), o, 0, none); err != nil {
				t.Fatal(err)
			}
		}
		refs, err := s.References(ctx, "MedicationRequest", []string{"a", "b", "c", "d"}, "medication")
		if err != nil {
			t.Fatal(err)
		}
		// Another server's Medication/x is not this server's: only the
		// references under the local base count by type and id.
		if fmt.Sprint(refs) != "[{Medication m1} {Medication m2}]" {
			t.Errorf("medication references = %v, want m1 once and the local absolute m2, not another server's x", refs)
		}
		refs, err = s.References(ctx, "MedicationRequest", []string{"a", "b", "d"}, "subject")
		if err != nil || fmt.Sprint(refs) != "[{Patient p1} {Patient p2} {Patient p3}]" {
			t.Errorf("subject references = %v, %v", refs, err)
		}
		if refs, err := s.References(ctx, "MedicationRequest", []string{"a"}, "no-such-param"); err != nil || refs != nil {
			t.Errorf("unknown parameter: %v, %v", refs, err)
		}
		many := make([]string, 1001)
		for i := range many {
			many[i] = fmt.Sprint("id", i)
		}
		if _, err := s.References(ctx, "MedicationRequest", many, "subject"); err == nil {
			t.Error("1001 sources were accepted")
		}
	})
}
