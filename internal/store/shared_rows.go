package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Parameters that share other parameters' index rows (spec.SearchParam
// RowsOf) are searched through those rows, so rows written under their own
// ids before they shared are never read again. A migration records
// 'shared_rows' in index_backfill and opening the store deletes them: a
// range of row ids per transaction, recording its progress, so that a
// start cut short resumes and nodes starting together take ranges in turn.
// Deleting a row twice is harmless.

// sharedRowsBatch is how many row ids one cleanup transaction covers.
const sharedRowsBatch = 20000

// dropSharedRows deletes the rows of the shared parameters, when
// index_backfill asks for it.
func (s *Store) dropSharedRows(ctx context.Context) error {
	var pending int
	err := s.w.QueryRowContext(ctx, s.d.rebind(`SELECT COUNT(*) FROM index_backfill WHERE name = ?`), "shared_rows").Scan(&pending)
	if err != nil || pending == 0 {
		return err
	}
	if empty, err := s.clearBackfillIfEmpty(ctx, "shared_rows"); err != nil || empty {
		return err
	}
	pids := s.params.sharedIDs()
	s.log.Info("store: removing index rows that shared search parameters no longer use", "parameters", len(pids))
	for {
		done, err := s.dropSharedRowsBatch(ctx, pids)
		if err != nil {
			return fmt.Errorf("shared index rows: %w", err)
		}
		if done {
			return nil
		}
	}
}

func (s *Store) dropSharedRowsBatch(ctx context.Context, pids []int64) (done bool, err error) {
	lock := ""
	if s.d.postgres {
		lock = " FOR UPDATE"
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		done = false
		var after, last int64
		err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT after_rid FROM index_backfill WHERE name = ?`+lock), "shared_rows").Scan(&after)
		if errors.Is(err, sql.ErrNoRows) {
			done = true // another node finished
			return nil
		}
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(rid), 0) FROM resources`).Scan(&last); err != nil {
			return err
		}
		if after >= last || len(pids) == 0 {
			done = true
			_, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM index_backfill WHERE name = ?`), "shared_rows")
			return err
		}
		until := after + sharedRowsBatch
		args := []any{after, until}
		for _, id := range pids {
			args = append(args, id)
		}
		in := strings.TrimSuffix(strings.Repeat("?, ", len(pids)), ", ")
		for _, t := range indexTables {
			if t == "compartment" {
				continue // rows by patient, not by parameter
			}
			if _, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM `+t+` WHERE rid > ? AND rid <= ? AND pid IN (`+in+`)`), args...); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, s.d.rebind(`UPDATE index_backfill SET after_rid = ? WHERE name = ?`), until, "shared_rows")
		return err
	})
	return done, err
}
