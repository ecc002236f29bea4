package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestReadLatestPassesTheCache: node b holds version 1 of a resource that
// node a has just updated, and has not read the change yet (its poller is
// held). A plain read on b may answer version 1 from its cache; a read in
// store.Latest, the first half of a read-modify-write, answers version 2
// from the database, and does not fill the cache with it.
func TestReadLatestPassesTheCache(t *testing.T) {
	dsn := needPostgres(t)
	clock := storetest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	a, b := openCached(t, dsn, clock), openCached(t, dsn, clock)

	put(t, a, observation("x", "p1", 1))
	if v, _ := readVersion(t, b, "Observation", "x", ""); v != 1 {
		t.Fatalf("node b reads version %d, want 1", v)
	}
	release := store.HoldReadCachePoller(t, b)
	defer release()
	put(t, a, observation("x", "p1", 2))

	if v, _ := readVersion(t, b, "Observation", "x", ""); v != 1 {
		t.Fatalf("node b's cache answers version %d before it heard the update; the test means to show it answering 1", v)
	}
	fills := b.ReadCacheStats().Fills
	for _, c := range []search.Compartment{{}, {Restricted: true, Patient: "p1"}} {
		r, err := b.Read(store.Latest(context.Background()), "Observation", "x", c)
		if err != nil {
			t.Fatal(err)
		}
		if r.Version != 2 {
			t.Errorf("a Latest read (%+v) on node b answers version %d, want 2", c, r.Version)
		}
	}
	if got := b.ReadCacheStats().Fills; got != fills {
		t.Errorf("Latest reads filled the cache (%d fills, was %d)", got, fills)
	}
}
