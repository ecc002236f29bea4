package server

import (
	"context"
	"fmt"
	"sync"

	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/seed"
	"github.com/emedpractice/emp/internal/store"
)

// seedBatch is how many resources share one import transaction: large
// enough to amortise the commit, small enough to keep memory flat.
const seedBatch = 1000

// Seed generates the synthetic data set and loads it. Generation and JSON
// decoding run in one goroutine; preparing and writing the batches run in
// two more, so all cores work. progress, when not nil, is called after each
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

// load is Seed's pipeline.
func load(ctx context.Context, st *store.Store, opt seed.Options, progress func(loaded int)) (seed.Stats, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []store.ImportItem, 2)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		loaded   int
	)
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
			cancel()
		}
		mu.Unlock()
	}
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				if err := st.Import(ctx, b); err != nil {
					fail(err)
					continue
				}
				mu.Lock()
				loaded += len(b)
				n := loaded
				mu.Unlock()
				if progress != nil {
					progress(n)
				}
			}
		}()
	}
	batch := make([]store.ImportItem, 0, seedBatch)
	stats, genErr := seed.Generate(ctx, opt, func(r seed.Resource) error {
		o, err := fhirjson.Decode(r.Body)
		if err != nil {
			return fmt.Errorf("seed: generated %s/%s is not JSON: %w", r.Type, r.ID, err)
		}
		batch = append(batch, store.ImportItem{Type: r.Type, ID: r.ID, Resource: o})
		if len(batch) == seedBatch {
			select {
			case batches <- batch:
			case <-ctx.Done():
				return ctx.Err()
			}
			batch = make([]store.ImportItem, 0, seedBatch)
		}
		return nil
	})
	if genErr == nil && len(batch) > 0 {
		batches <- batch
	}
	close(batches)
	wg.Wait()
	if firstErr != nil {
		return stats, firstErr
	}
	return stats, genErr
}
