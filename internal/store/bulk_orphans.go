package store

import (
	"context"
	"database/sql"
	"strings"
)

// DeleteOrphanBulkUploads removes the export files and uploads (committed
// or not) stored under a job that no longer exists, and returns how many
// uploads it removed. The sweep deletes a job's files before its row, so
// these are only what a writer stored after that: a node stalled while
// writing a file of a job that was cancelled (or expired) and swept, which
// then died before it could abort the upload or delete the file it had
// committed.
//
// Whether the job exists is the whole test, and no clock is needed: job
// ids are never reused, so a job that is gone stays gone and nothing stored
// under it can ever be read or committed usefully, while a job that a live
// writer works on has its row (a queued or running job is never swept).
// Uploads of jobs that still exist are left to the deletion of that job's
// files when it is cancelled or expires.
func (s *Store) DeleteOrphanBulkUploads(ctx context.Context) (uploads int64, err error) {
	// The job of a key "<job>/<file>".
	job := `substr(file_key, 1, instr(file_key, '/') - 1)`
	if s.d.postgres {
		job = `split_part(file_key, '/', 1)`
	}
	gone := ` WHERE NOT EXISTS (SELECT 1 FROM bulk_jobs WHERE bulk_jobs.id = ` + job + `)`
	err = s.write(ctx, func(tx *sql.Tx) error {
		uploads = 0
		if _, err := tx.ExecContext(ctx, `DELETE FROM bulk_file_blobs`+gone); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `DELETE FROM bulk_file_chunks`+gone+` RETURNING upload`)
		if err != nil {
			return err
		}
		defer rows.Close()
		seen := map[string]bool{}
		for rows.Next() {
			var u string
			if err := rows.Scan(&u); err != nil {
				return err
			}
			seen[u] = true
		}
		if err := rows.Err(); err != nil {
			return err
		}
		uploads = int64(len(seen))
		return rows.Close()
	})
	return uploads, err
}

// MissingBulkJobs returns those of ids that name no job: for a file store
// outside the database (a shared directory), whose folders of jobs that no
// longer exist the sweep removes. It reads the primary, where a job's row
// is committed before any of its files is written, so a folder of a job
// that exists is never reported, however fresh.
func (s *Store) MissingBulkJobs(ctx context.Context, ids []string) ([]string, error) {
	const batch = 500
	var missing []string
	for len(ids) > 0 {
		some := ids[:min(len(ids), batch)]
		ids = ids[len(some):]
		args := make([]any, len(some))
		for i, id := range some {
			args[i] = id
		}
		rows, err := s.r.QueryContext(ctx, s.d.rebind(`SELECT id FROM bulk_jobs WHERE id IN (?`+strings.Repeat(", ?", len(some)-1)+`)`), args...)
		if err != nil {
			return nil, err
		}
		found := make(map[string]bool, len(some))
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			found[id] = true
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return nil, err
		}
		rows.Close()
		for _, id := range some {
			if !found[id] {
				missing = append(missing, id)
			}
		}
	}
	return missing, nil
}
