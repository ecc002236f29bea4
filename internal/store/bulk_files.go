package store

import (
	"context"
	"database/sql"
)

// Sections of the manifest a bulk export file is listed in (the bulk_files
// column "kind" holds them).
const (
	BulkOutput  = "output"
	BulkDeleted = "deleted"
	BulkError   = "error"
)

// BulkFile is one finished file of an export job: Count resources of Type
// (for a deleted file, the type whose deletions it lists), Bytes long,
// stored under Key in the file store.
type BulkFile struct {
	Section string
	Type    string
	Seq     int
	Key     string
	Count   int64
	Bytes   int64
}

func (s *Store) insertBulkFile(ctx context.Context, tx *sql.Tx, jobID string, f *BulkFile) error {
	_, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO bulk_files (job_id, kind, type, seq, file_key, count, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)`),
		jobID, f.Section, f.Type, f.Seq, f.Key, f.Count, f.Bytes)
	return err
}

// BulkFiles lists a job's files in manifest order: by section, type and
// sequence.
func (s *Store) BulkFiles(ctx context.Context, jobID string) ([]BulkFile, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind(`SELECT kind, type, seq, file_key, count, bytes FROM bulk_files
		WHERE job_id = ? ORDER BY kind, type, seq`), jobID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []BulkFile
	for rows.Next() {
		var f BulkFile
		if err := rows.Scan(&f.Section, &f.Type, &f.Seq, &f.Key, &f.Count, &f.Bytes); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
