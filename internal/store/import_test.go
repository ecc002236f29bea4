package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestImportRowsAndConflicts checks that an import allocates row ids that
// do not collide with those of ordinary creates before and after it, that
// its resources are read, searched and listed in history like any other,
// and that an id which exists already fails the whole batch with nothing
// written.
func TestImportRowsAndConflicts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		s := storetest.Open(t, dialect, store.Options{})
		before, err := s.Create(ctx, "Patient", obj(t, `{"resourceType":"Patient","name":[{"family":"Before"}]}`), none)
		if err != nil {
			t.Fatal(err)
		}
		var items []store.ImportItem
		for i := 0; i < 150; i++ { // more than one multi-row statement
			items = append(items, store.ImportItem{Type: "Patient", ID: fmt.Sprintf("imp-%d", i),
				Resource: obj(t, fmt.Sprintf(`{"resourceType":"Patient","name":[{"family":"Imported%d"}]}`, i))})
		}
		items = append(items, store.ImportItem{Type: "Observation", ID: "imp-obs",
			Resource: obj(t, `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/imp-7"}}`)})
		if err := s.Import(ctx, items); err != nil {
			t.Fatal(err)
		}
		after, err := s.Create(ctx, "Patient", obj(t, `{"resourceType":"Patient","name":[{"family":"After"}]}`), none)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{before.ID, "imp-0", "imp-149", after.ID} {
			r, err := s.Read(ctx, "Patient", id, none)
			if err != nil || r.Version != 1 {
				t.Fatalf("read %s: %+v %v", id, r, err)
			}
			h, err := s.History(ctx, store.HistoryQuery{Type: "Patient", ID: id})
			if err != nil || len(h.Versions) != 1 || h.Versions[0].Method != "POST" {
				t.Fatalf("history of %s: %+v %v", id, h, err)
			}
		}
		if got := ids(mustSearch(t, s, "Patient", "family=imported149")); got != "imp-149" {
			t.Fatalf("search imported: %s", got)
		}
		if got := ids(mustSearch(t, s, "Observation", "patient=imp-7")); got != "imp-obs" {
			t.Fatalf("search by reference: %s", got)
		}
		if got := ids(searchIn(t, s, "Observation", "", search.Compartment{Restricted: true, Patient: "imp-7"})); got != "imp-obs" {
			t.Fatalf("compartment of imp-7: %s", got)
		}

		n, err := s.Count(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		clash := []store.ImportItem{
			{Type: "Patient", ID: "fresh-1", Resource: obj(t, `{"resourceType":"Patient"}`)},
			{Type: "Patient", ID: "imp-3", Resource: obj(t, `{"resourceType":"Patient","name":[{"family":"Clash"}]}`)},
		}
		if err := s.Import(ctx, clash); errs.KindOf(err) != errs.Conflict {
			t.Fatalf("import of an existing id: %v, want Conflict", err)
		}
		if m, _ := s.Count(ctx, ""); m != n {
			t.Fatalf("a refused import changed the count from %d to %d", n, m)
		}
		if _, err := s.Read(ctx, "Patient", "fresh-1", none); errs.KindOf(err) != errs.NotFound {
			t.Fatalf("refused import left fresh-1 behind: %v", err)
		}
		if got := ids(mustSearch(t, s, "Patient", "family=clash")); got != "" {
			t.Fatalf("refused import left index rows: %s", got)
		}
	})
}
