package store

import (
	"context"
	"database/sql"
	"runtime"
	"sync"
	"time"

	"github.com/emedpractice/emp/internal/errs"
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
	b, err := s.PrepareImport(items)
	if err != nil {
		return err
	}
	return s.WriteImport(ctx, b)
}

// ImportBatch is a batch of resources prepared for WriteImport: their ids,
// meta, bytes and index entries computed.
type ImportBatch struct {
	prepped []*prepared
	now     time.Time
}

// Len is the number of resources in the batch.
func (b *ImportBatch) Len() int { return len(b.prepped) }

// PrepareImport does the CPU work of an Import without touching the
// database, on every core but one: the one left is for the writer, the
// critical path of a load. A loader that prepares the next batches while
// WriteImport writes the current one keeps the single SQLite writer busy
// instead of idle between batches.
func (s *Store) PrepareImport(items []ImportItem) (*ImportBatch, error) {
	b := &ImportBatch{prepped: make([]*prepared, len(items)), now: s.now()}
	prepErrs := make([]error, len(items))
	workers := min(max(1, runtime.GOMAXPROCS(0)-1), len(items))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(items); i += workers {
				b.prepped[i], prepErrs[i] = prepare(items[i].Type, items[i].ID, 1, b.now, items[i].Resource, s.local)
			}
		}(w)
	}
	wg.Wait()
	for _, err := range prepErrs {
		if err != nil {
			return nil, err
		}
	}
	return b, nil
}

// WriteImport writes a prepared batch in one transaction (see Import).
func (s *Store) WriteImport(ctx context.Context, b *ImportBatch) error {
	prepped := b.prepped
	if len(prepped) == 0 {
		return nil
	}
	summary := &prepared{updated: b.now.UTC().UnixMicro()}
	if s.d.postgres {
		return s.importCopy(ctx, prepped, summary)
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		rids, err := s.allocRIDs(ctx, tx, len(prepped))
		if err != nil {
			return err
		}
		// Every row of the batch, resources and versions included, goes
		// out table by table in statements of up to maxRows rows: one
		// statement per resource would cost more than the inserting.
		ins := newIndexBatch(s, ctx, tx)
		for i, p := range prepped {
			ins.add(tResources, rids[i], p.typ, p.id, p.version, p.updated, p.body)
			ins.add(tVersions, rids[i], p.version, p.updated, "POST", noBody)
			s.addIndex(ins, rids[i], p)
		}
		if err := ins.flush(); err != nil {
			if isUniqueViolation(err) {
				return &errs.Error{Kind: errs.Conflict, Message: "a resource in the import exists already", Err: err}
			}
			return err
		}
		return s.auditWrite(ctx, tx, "import", summary, 0)
	})
	if c := s.copier.Load(); c != nil && err == nil {
		err = c.committed(ctx)
	}
	return err
}

// allocRIDs reserves n row ids for new resources in tx on SQLite: the
// writer is the only one, so the ids follow the largest in use.
func (s *Store) allocRIDs(ctx context.Context, tx *sql.Tx, n int) ([]int64, error) {
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(rid), 0) FROM resources`).Scan(&last); err != nil {
		return nil, err
	}
	rids := make([]int64, n)
	for i := range rids {
		rids[i] = last + int64(i) + 1
	}
	return rids, nil
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

// MergeImport joins prepared batches into one, for a loader that writes
// many small files in one transaction: a commit per file would cost more
// than the inserting.
func MergeImport(bs ...*ImportBatch) *ImportBatch {
	out := &ImportBatch{}
	for _, b := range bs {
		if out.now.IsZero() || b.now.After(out.now) {
			out.now = b.now
		}
		out.prepped = append(out.prepped, b.prepped...)
	}
	return out
}
