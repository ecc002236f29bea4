package server

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/seed"
	"github.com/emedpractice/emp/internal/store"
)

// seedBatch is how many resources share one import transaction: large
// enough to amortise the commit, small enough to keep memory flat.
const seedBatch = 1000

// Seed generates the synthetic data set and loads it. Generation and JSON
// decoding, preparing the batches and writing them run in stages of their
// own (see load), so all cores work. progress, when not nil, is called after each
// batch with the number of resources loaded so far.
func Seed(ctx context.Context, st *store.Store, opt seed.Options, progress func(loaded int)) (stats seed.Stats, err error) {
	err = st.BulkLoad(ctx, func() error {
		var loadErr error
		stats, loadErr = load(ctx, st, opt, progress)
		return loadErr
	})
	if err != nil {
		return stats, err
	}
	return stats, st.Analyze(ctx)
}

// SeedDemo loads the demo data set unless the database holds patients
// already, and returns what it loaded (zero when it found present
// patients). Nodes started together with --demo on an empty database all
// call it: under the database's start lock one seeds and the others,
// waiting for the lock, then find the patients and load nothing.
func (a *App) SeedDemo(ctx context.Context, patients int, now time.Time) (stats seed.Stats, present int64, err error) {
	release, err := a.Store.StartLock(ctx, "demo")
	if err != nil {
		return stats, 0, err
	}
	defer release()
	if present, err = a.Store.Count(ctx, "Patient"); err != nil || present > 0 {
		return stats, present, err
	}
	stats, err = Seed(ctx, a.Store, seed.Options{Patients: patients, Seed: 1, Now: now}, nil)
	if err != nil {
		return stats, 0, fmt.Errorf("seed demo data: %w", err)
	}
	return stats, 0, nil
}

// load is Seed's pipeline. One goroutine generates and decodes, one
// prepares batches (bytes and index entries, on all cores but one) and one
// writes them: the database has one writer, the load's critical path, and
// with batches prepared ahead and a core left to it, it does not wait for
// the next batch.
func load(ctx context.Context, st *store.Store, opt seed.Options, progress func(loaded int)) (seed.Stats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
		mu.Unlock()
	}
	raw := make(chan []store.ImportItem, 2)
	ready := make(chan *store.ImportBatch, 2)
	var preparers sync.WaitGroup
	for w := 0; w < 1; w++ { // one preparer: it uses the cores itself
		preparers.Add(1)
		go func() {
			defer preparers.Done()
			for items := range raw {
				if ctx.Err() != nil {
					continue // drain after a failure
				}
				b, err := st.PrepareImport(items)
				if err != nil {
					fail(err)
					continue
				}
				select {
				case ready <- b:
				case <-ctx.Done():
				}
			}
		}()
	}
	go func() {
		preparers.Wait()
		close(ready)
	}()
	written := make(chan struct{})
	go func() {
		defer close(written)
		loaded := 0
		for b := range ready {
			if ctx.Err() != nil {
				continue
			}
			if err := st.WriteImport(ctx, b); err != nil {
				fail(err)
				continue
			}
			loaded += b.Len()
			if progress != nil {
				progress(loaded)
			}
		}
	}()
	send := func(items []store.ImportItem) error {
		select {
		case raw <- items:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	batch := make([]store.ImportItem, 0, seedBatch)
	stats, genErr := seed.Generate(ctx, opt, func(r seed.Resource) error {
		o, err := fhirjson.Decode(r.Body)
		if err != nil {
			return fmt.Errorf("seed: generated %s/%s is not JSON: %w", r.Type, r.ID, err)
		}
		batch = append(batch, store.ImportItem{Type: r.Type, ID: r.ID, Resource: o})
		if len(batch) == seedBatch {
			if err := send(batch); err != nil {
				return err
			}
			batch = make([]store.ImportItem, 0, seedBatch)
		}
		return nil
	})
	if genErr == nil && len(batch) > 0 {
		genErr = send(batch)
	}
	close(raw)
	<-written
	mu.Lock()
	defer mu.Unlock()
	if firstErr != nil {
		return stats, firstErr
	}
	return stats, genErr
}
