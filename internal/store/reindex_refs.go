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

func (s *Store) reindexRefsBatch(ctx context.Context) (n int, done bool, err error) {
	lock, lockRows := "", ""
	if s.d.postgres {
		lock, lockRows = " FOR UPDATE", " FOR UPDATE OF r"
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		n, done = 0, false
		var after int64
		err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT after_rid FROM index_backfill WHERE name = ?`+lock), reindexName).Scan(&after)
		if errors.Is(err, sql.ErrNoRows) {
			done = true // another node finished the walk
			return nil
		}
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, s.d.rebind(`SELECT r.rid, r.type, r.id, r.body FROM resources r
			WHERE r.rid IN (SELECT DISTINCT x.rid FROM idx_reference x WHERE x.rid > ? AND x.url <> '' ORDER BY x.rid LIMIT ?)
			AND r.deleted = 0 ORDER BY r.rid`+lockRows), after, backfillBatch)
		if err != nil {
			return err
		}
		type row struct {
			rid     int64
			typ, id string
			body    []byte
		}
		var batch []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.rid, &r.typ, &r.id, &r.body); err != nil {
				rows.Close()
				return err
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(batch) == 0 {
			_, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM index_backfill WHERE name = ?`), reindexName)
			done = true
			return err
		}
		for _, r := range batch {
			res, err := fhirjson.Decode(r.body)
			if err != nil {
				return fmt.Errorf("%s rid %d: %w", r.typ, r.rid, err)
			}
			p := &prepared{typ: r.typ, id: r.id, entries: search.ExtractLocal(r.typ, res, s.local)}
			p.patients, p.via = compartmentOf(r.typ, r.id, res, &p.entries, s.local)
			if err := s.deleteIndex(ctx, tx, r.rid); err != nil {
				return err
			}
			if err := s.insertIndex(ctx, tx, r.rid, p); err != nil {
				return err
			}
		}
		n = len(batch)
		_, err = tx.ExecContext(ctx, s.d.rebind(`UPDATE index_backfill SET after_rid = ? WHERE name = ?`), batch[n-1].rid, reindexName)
		return err
	})
	return n, done, err
}
