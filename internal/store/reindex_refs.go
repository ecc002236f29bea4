package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
)

// Before migration 0021 every absolute reference ending in Type/id was
// indexed as that local resource, whatever its base: a reference to
// another server's Patient/1 put a resource in the local Patient/1's
// compartment. The walk 'absolute_refs' indexes again, as a write does
// now, every current resource that holds an absolute reference, once the
// store knows its local bases (SetLocalBases), so the walk runs from the
// server (ReindexAbsoluteReferences) and not when the store opens: a
// command without the server's base would judge every reference external.

// reindexName is the walk's row in index_backfill.
const reindexName = "absolute_refs"

// ReindexAbsoluteReferences runs the walk if a migration asked for it,
// batch by batch, resumably, as the other backfill walks do.
func (s *Store) ReindexAbsoluteReferences(ctx context.Context) error {
	var after int64
	err := s.w.QueryRowContext(ctx, s.d.rebind(`SELECT after_rid FROM index_backfill WHERE name = ?`), reindexName).Scan(&after)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if empty, err := s.clearBackfillIfEmpty(ctx, reindexName); err != nil || empty {
		return err
	}
	s.log.Info("store: indexing absolute references again by this server's bases")
	total := 0
	for {
		n, done, err := s.reindexRefsBatch(ctx)
		if err != nil {
			return fmt.Errorf("absolute reference reindex: %w", err)
		}
		total += n
		if done {
			break
		}
	}
	s.log.Info("store: absolute references indexed", "resources", total)
	return nil
}

// absoluteRefs picks the resources holding an absolute reference.
var absoluteRefs = batchSelect{where: func(after int64) (string, []any) {
	return "r.rid IN (SELECT DISTINCT x.rid FROM idx_reference x WHERE x.rid > ? AND x.url <> '' ORDER BY x.rid LIMIT ?)",
		[]any{after, backfillBatch}
}}

func (s *Store) reindexRefsBatch(ctx context.Context) (n int, done bool, err error) {
	return s.backfillBatch(ctx, reindexName, absoluteRefs, "", s.reindexRefs)
}

// reindexRefs replaces every index row of one resource by those a write
// makes now.
func (s *Store) reindexRefs(ctx context.Context, tx *sql.Tx, ins *indexBatch, r backfillRow, res fhirjson.Object) error {
	id, _ := res["id"].(string)
	p := &prepared{typ: r.typ, id: id, entries: search.ExtractLocal(r.typ, res, s.local)}
	p.patients, p.via = compartmentOf(r.typ, id, res, &p.entries, s.local)
	if err := s.deleteIndex(ctx, tx, r.rid); err != nil {
		return err
	}
	if err := s.resolveVia(ctx, tx, p); err != nil {
		return err
	}
	s.addIndex(ins, r.rid, p)
	return nil
}
