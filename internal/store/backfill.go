package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
)

// A migration that adds an index table leaves the resources written before
// it without rows there. It records the table in index_backfill, and
// opening the store fills it: backfillComposites walks the current
// resources of the types concerned in rid order, a batch per transaction,
// writing each one's rows (after deleting any, so a resource written since
// by the new code, or a batch repeated after a crash, ends the same) and
// the rid it reached. The row goes when the walk ends, so the walk runs
// once; a start cut short resumes where it stopped.
//
// Each batch locks its progress row, and on PostgreSQL the resource rows it
// reads: nodes starting together take batches in turn, and a resource
// updated by another node meanwhile is either read after that update
// committed or written after the batch's, never indexed from a stale body.

// backfillBatch is how many resources one backfill transaction indexes.
const backfillBatch = 500

// backfillIndexes fills idx_composite as index_backfill asks: the walk
// 'idx_composite' covers every type with a composite parameter,
// 'idx_composite:Type' one type whose composites changed.
func (s *Store) backfillIndexes(ctx context.Context) error {
	rows, err := s.w.QueryContext(ctx, `SELECT name FROM index_backfill WHERE name LIKE 'idx\_composite%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		names = append(names, name)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, name := range names {
		if err := s.backfillComposites(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) backfillComposites(ctx context.Context, name string) error {
	if empty, err := s.clearBackfillIfEmpty(ctx, name); err != nil || empty {
		return err
	}
	types := search.CompositeTypes()
	if _, only, ok := strings.Cut(name, ":"); ok {
		types = []string{only}
	}
	s.log.Info("store: indexing composite search parameters of existing resources", "types", strings.Join(types, ","))
	total := 0
	for {
		n, done, err := s.backfillCompositeBatch(ctx, name, types)
		if err != nil {
			return fmt.Errorf("composite index backfill: %w", err)
		}
		total += n
		if done {
			break
		}
	}
	s.log.Info("store: composite search parameters indexed", "resources", total)
	return nil
}

// clearBackfillIfEmpty ends the walk name at once, quietly, when the store
// holds no resource (a new database runs every migration).
func (s *Store) clearBackfillIfEmpty(ctx context.Context, name string) (bool, error) {
	var any int
	if err := s.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM resources LIMIT 1) r`).Scan(&any); err != nil || any != 0 {
		return false, err
	}
	return true, s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM index_backfill WHERE name = ?`), name)
		return err
	})
}

// backfillCompositeBatch indexes the next batch; done reports the walk
// finished (its progress row removed).
func (s *Store) backfillCompositeBatch(ctx context.Context, name string, types []string) (n int, done bool, err error) {
	lock, lockRows := "", ""
	if s.d.postgres {
		lock, lockRows = " FOR UPDATE", " FOR UPDATE OF r"
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		n, done = 0, false
		var after int64
		err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT after_rid FROM index_backfill WHERE name = ?`+lock), name).Scan(&after)
		if errors.Is(err, sql.ErrNoRows) {
			done = true // another node finished the walk
			return nil
		}
		if err != nil {
			return err
		}
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(types)), ", ")
		args := []any{after}
		for _, t := range types {
			args = append(args, t)
		}
		args = append(args, backfillBatch)
		rows, err := tx.QueryContext(ctx, s.d.rebind(`SELECT r.rid, r.type, r.body FROM resources r
			WHERE r.rid > ? AND r.deleted = 0 AND r.type IN (`+marks+`) ORDER BY r.rid LIMIT ?`+lockRows), args...)
		if err != nil {
			return err
		}
		type row struct {
			rid  int64
			typ  string
			body []byte
		}
		var batch []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.rid, &r.typ, &r.body); err != nil {
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
			_, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM index_backfill WHERE name = ?`), name)
			done = true
			return err
		}
		// What a write since the migration or a repeated batch left is
		// cleared first. A walk of every composite type owns the whole
		// range (deleted resources lose their index rows, other types
		// have none): one range delete. A walk of one type clears its
		// batch's resources alone.
		last := batch[len(batch)-1].rid
		if len(types) == 1 {
			rids := make([]any, len(batch))
			for i, r := range batch {
				rids[i] = r.rid
			}
			marks := strings.TrimSuffix(strings.Repeat("?, ", len(rids)), ", ")
			if _, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM idx_composite WHERE rid IN (`+marks+`)`), rids...); err != nil {
				return err
			}
		} else if _, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM idx_composite WHERE rid > ? AND rid <= ?`), after, last); err != nil {
			return err
		}
		ins := newIndexBatch(s, ctx, tx)
		for _, r := range batch {
			res, err := fhirjson.Decode(r.body)
			if err != nil {
				return fmt.Errorf("%s rid %d: %w", r.typ, r.rid, err)
			}
			for _, x := range search.ExtractComposites(r.typ, res) {
				if pid, ok := s.params.id(r.typ, x.Param); ok {
					ins.add(tComposite, compositeRow(r.rid, pid, &x)...)
				}
			}
		}
		if err := ins.flush(); err != nil {
			return err
		}
		n = len(batch)
		_, err = tx.ExecContext(ctx, s.d.rebind(`UPDATE index_backfill SET after_rid = ? WHERE name = ?`), last, name)
		return err
	})
	return n, done, err
}
