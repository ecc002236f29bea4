package store_test

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// waitFor polls cond; the states it waits for follow from the calls made
// before it, not from timing.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; !cond(); i++ {
		if i > 1e6 {
			t.Fatalf("never: %s", what)
		}
		runtime.Gosched()
	}
}

// TestSearchShares: one caller runs at most Limit searches, Limit more wait
// and any beyond are refused with TooMany, while another caller is not held
// up; an ended search hands its slot to a waiting one; a waiting search
// whose context ends leaves the queue.
func TestSearchShares(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		s := storetest.Open(t, dialect, store.Options{})
		ss := s.SearchShares()
		k := ss.Limit()
		if want := map[string]int{"sqlite": 2, "postgres": store.DefaultPostgresConns / 4}[dialect]; k != want {
			t.Fatalf("Limit = %d, want a quarter of the pool, %d", k, want)
		}
		ctx := context.Background()
		var held []func()
		for range k {
			release, err := ss.Acquire(ctx, "patient/a")
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, release)
		}
		// Limit more wait.
		done := make(chan error, k)
		for range k {
			go func() {
				release, err := ss.Acquire(ctx, "patient/a")
				if err == nil {
					release()
				}
				done <- err
			}()
		}
		waitFor(t, "the waiting searches queue", func() bool { return ss.Waiting("patient/a") == k })
		// The next is refused at once; another caller goes through.
		if _, err := ss.Acquire(ctx, "patient/a"); errs.KindOf(err) != errs.TooMany {
			t.Fatalf("Acquire over the share = %v, want TooMany", err)
		}
		release, err := ss.Acquire(ctx, "patient/b")
		if err != nil {
			t.Fatalf("another caller: %v", err)
		}
		release()
		// An ended search hands its slot to a waiting one: releasing one
		// of the held slots lets both waiters through, one after the other.
		held[0]()
		for range k {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		// A waiting search whose request ends leaves the queue.
		release, err = ss.Acquire(ctx, "patient/a")
		if err != nil {
			t.Fatal(err)
		}
		held[0] = release
		ctxGone, cancel := context.WithCancel(ctx)
		gone := make(chan error, 1)
		go func() { _, err := ss.Acquire(ctxGone, "patient/a"); gone <- err }()
		waitFor(t, "the search queues", func() bool { return ss.Waiting("patient/a") == 1 })
		cancel()
		if err := <-gone; !errors.Is(err, context.Canceled) {
			t.Fatalf("Acquire whose context ended = %v", err)
		}
		if n := ss.Waiting("patient/a"); n != 0 {
			t.Fatalf("%d still waiting", n)
		}
		for _, r := range held {
			r()
		}
		// All slots are free again.
		held = held[:0]
		for range k {
			release, err := ss.Acquire(ctx, "patient/a")
			if err != nil {
				t.Fatalf("after the releases: %v", err)
			}
			held = append(held, release)
		}
		// A search of a named caller takes a slot: with all of them held
		// and Limit waiting, it is refused.
		qctx, stop := context.WithCancel(ctx)
		defer stop()
		for range k {
			go func() {
				if release, err := ss.Acquire(qctx, "patient/a"); err == nil {
					release()
				}
			}()
		}
		waitFor(t, "the queue fills", func() bool { return ss.Waiting("patient/a") == k })
		defer func() {
			for _, r := range held {
				r()
			}
		}()
		sctx := store.WithSearcher(ctx, "a", "someone", "app")
		if _, err := s.Search(sctx, &search.Query{Type: "Patient", Count: 1}); errs.KindOf(err) != errs.TooMany {
			t.Fatalf("Search over the share = %v", err)
		}
		if _, err := s.Search(store.WithSearcher(ctx, "b", "someone", "app"), &search.Query{Type: "Patient", Count: 1}); err != nil {
			t.Fatalf("Search of another patient: %v", err)
		}
	})
}
