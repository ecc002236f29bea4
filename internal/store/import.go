package store

import (
	"context"
	"database/sql"
	"runtime"
	"sync"

	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
)

// ImportItem is one resource to load with its own id (seeding, migration
// from another system). The resource must already be valid.
type ImportItem struct {
	Type     string
	ID       string
	Resource fhirjson.Object
}

// Import writes many new resources in one transaction: all or none. Their
// bytes and index entries are prepared on every core first; the transaction
// then only inserts. An id that exists already fails the whole batch with
// Conflict. Import writes no audit row per resource but one for the batch.
func (s *Store) Import(ctx context.Context, items []ImportItem) error {
	if len(items) == 0 {
		return nil
	}
	prepped := make([]*prepared, len(items))
	errs := make([]error, len(items))
	now := s.now()
	workers := min(runtime.GOMAXPROCS(0), len(items))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(items); i += workers {
				prepped[i], errs[i] = prepare(items[i].Type, items[i].ID, 1, now, items[i].Resource)
			}
		}(w)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		// The index rows of the whole batch go out table by table, in
		// statements of up to maxRows rows.
		ins := newIndexBatch(s, ctx, tx)
		for _, p := range prepped {
			if _, err := s.insertResourceRows(ctx, tx, p, "POST", ins); err != nil {
				return err
			}
		}
		if err := ins.flush(); err != nil {
			return err
		}
		summary := &prepared{typ: "", id: "", updated: now.UTC().UnixMicro()}
		return s.auditWrite(ctx, tx, "import", summary, 0)
	})
}

// Count returns how many live resources of a type are stored ("" for all).
func (s *Store) Count(ctx context.Context, rtype string) (int64, error) {
	var n int64
	var err error
	if rtype == "" {
		err = s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM resources WHERE deleted = 0`).Scan(&n)
	} else {
		err = s.r.QueryRowContext(ctx, s.d.rebind(`SELECT COUNT(*) FROM resources WHERE type = ? AND deleted = 0`), rtype).Scan(&n)
	}
	return n, err
}

// Analyze refreshes the query planner's statistics; run after a large load.
func (s *Store) Analyze(ctx context.Context) error {
	if !s.d.postgres {
		// A sampled ANALYZE: exact statistics on millions of index rows
		// take minutes and plan no better.
		if _, err := s.w.ExecContext(ctx, "PRAGMA analysis_limit=1000"); err != nil {
			return err
		}
	}
	_, err := s.w.ExecContext(ctx, "ANALYZE")
	return err
}

var _ = search.Entries{}
