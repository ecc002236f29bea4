package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestMissingBulkJobs: of more ids than one query asks about, exactly those
// without a job come back, in the order asked, jobs of every state being
// found; none asked, none missing.
func TestMissingBulkJobs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ctx := context.Background()
		s := storetest.Open(t, dialect, store.Options{})
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		var ids, want []string
		for i := range 1203 {
			id := fmt.Sprintf("job%04d", i)
			ids = append(ids, id)
			if i%400 != 7 {
				want = append(want, id)
				continue
			}
			if err := s.CreateBulkJob(ctx, &store.BulkJob{ID: id, ClientID: id, Owner: "sub", RequestURL: "https://x/fhir/r4/$export",
				Params: []byte(`{}`), TransactionTime: t0, Created: t0}, 1); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.CancelBulkJob(ctx, "job0407", t0); err != nil {
			t.Fatal(err)
		}
		got, err := s.MissingBulkJobs(ctx, ids)
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("missing: %d ids (%v), want %d", len(got), err, len(want))
		}
		if got, err := s.MissingBulkJobs(ctx, nil); err != nil || len(got) != 0 {
			t.Fatalf("none asked: %v %v", got, err)
		}
	})
}
