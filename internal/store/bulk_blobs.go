package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/emedpractice/emp/internal/errs"
)

// Bulk export files kept in the database (bulk.DBStore): every node reads
// what any node wrote, and a cancel or the expiry sweep on any node deletes
// it. A file is an upload of chunks written one statement each as the
// export streams, so neither the writer nor the database holds more than a
// few chunks in flight (bulk.DBStore stores two while it fills a third),
// and committed by one transaction that makes it visible under its key; a
// reader fetches one chunk a query, so a slow download holds no connection
// between chunks.

// BulkBlob is a committed file: the upload whose chunks hold its Bytes, all
// of ChunkBytes but the last.
type BulkBlob struct {
	Upload     string
	Bytes      int64
	ChunkBytes int64
}

// PutBulkChunk stores chunk seq (0, 1, …) of an upload that will become
// the file key. It is not readable until CommitBulkBlob.

func (s *Store) PutBulkChunk(ctx context.Context, upload, key string, seq int64, data []byte) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO bulk_file_chunks (upload, seq, file_key, data) VALUES (?, ?, ?, ?)`),
			upload, seq, key, data)
		return err
	})
}

// CommitBulkBlob makes b.Upload the file under key, in one transaction: a
// file already under the key is replaced whole and its chunks removed. The
// upload must hold exactly chunks chunks; when some are gone (the job
// was cancelled and its files deleted while this one was written) nothing
// is committed and the error is NotFound.
func (s *Store) CommitBulkBlob(ctx context.Context, key string, b BulkBlob, chunks int64) error {
	upload := b.Upload
	return s.write(ctx, func(tx *sql.Tx) error {
		// On PostgreSQL the chunks are locked until the commit, so a
		// deletion of the job's files either waits and removes this file
		// too, or went first and is seen here.
		q := `SELECT seq FROM bulk_file_chunks WHERE upload = ?`
		if s.d.postgres {
			q += ` FOR SHARE`
		}
		rows, err := tx.QueryContext(ctx, s.d.rebind(q), upload)
		if err != nil {
			return err
		}
		var have int64
		for rows.Next() {
			have++
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		if have != chunks {
			return errs.E(errs.NotFound, "export file %s: %d of its %d chunks are stored (deleted while it was written)", key, have, chunks)
		}
		if _, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM bulk_file_chunks
			WHERE upload = (SELECT upload FROM bulk_file_blobs WHERE file_key = ?) AND upload <> ?`), key, upload); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.d.rebind(`INSERT INTO bulk_file_blobs (file_key, upload, bytes, chunk_bytes) VALUES (?, ?, ?, ?)
			ON CONFLICT (file_key) DO UPDATE SET upload = excluded.upload, bytes = excluded.bytes, chunk_bytes = excluded.chunk_bytes`),
			key, upload, b.Bytes, b.ChunkBytes)
		return err
	})
}

// AbortBulkUpload removes the chunks of an upload that will not be
// committed.
func (s *Store) AbortBulkUpload(ctx context.Context, upload string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM bulk_file_chunks WHERE upload = ?`), upload)
		return err
	})
}

// BulkBlobOf returns the committed file under key, or NotFound.
func (s *Store) BulkBlobOf(ctx context.Context, key string) (BulkBlob, error) {
	var b BulkBlob
	err := s.r.QueryRowContext(ctx, s.d.rebind(`SELECT upload, bytes, chunk_bytes FROM bulk_file_blobs WHERE file_key = ?`), key).
		Scan(&b.Upload, &b.Bytes, &b.ChunkBytes)
	if errors.Is(err, sql.ErrNoRows) {
		return b, errs.E(errs.NotFound, "the file is gone")
	}
	return b, err
}

// ReadBulkChunk appends chunk seq of the upload to buf[:0] and returns it,
// so a reader reuses one buffer for the whole file. NotFound when the chunk
// is gone (the file was deleted or replaced while it was read).
func (s *Store) ReadBulkChunk(ctx context.Context, upload string, seq int64, buf []byte) ([]byte, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind(`SELECT data FROM bulk_file_chunks WHERE upload = ? AND seq = ?`), upload, seq)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, errs.E(errs.NotFound, "the file is gone")
	}
	var raw sql.RawBytes
	if err := rows.Scan(&raw); err != nil {
		return nil, err
	}
	buf = append(buf[:0], raw...)
	return buf, rows.Close()
}

// keyRange is the range of keys under prefix + "/": "/" is followed by
// "0" in byte order, and the key columns compare bytes.
func keyRange(prefix string) (lo, hi string) { return prefix + "/", prefix + "0" }

// DeleteBulkBlob removes the file under key and its chunks; a missing file
// is not an error.
func (s *Store) DeleteBulkBlob(ctx context.Context, key string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM bulk_file_chunks
			WHERE upload IN (SELECT upload FROM bulk_file_blobs WHERE file_key = ?)`), key); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM bulk_file_blobs WHERE file_key = ?`), key)
		return err
	})
}

// DeleteBulkBlobs removes every file whose key starts with prefix + "/",
// with its chunks and the chunks of uploads under the prefix that were
// never committed (a worker that died while writing).
func (s *Store) DeleteBulkBlobs(ctx context.Context, prefix string) error {
	if prefix == "" {
		return fmt.Errorf("store: DeleteBulkBlobs needs a prefix")
	}
	lo, hi := keyRange(prefix)
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM bulk_file_chunks WHERE file_key >= ? AND file_key < ?`), lo, hi); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM bulk_file_blobs WHERE file_key >= ? AND file_key < ?`), lo, hi)
		return err
	})
}

// BulkChunkUsage is what the chunks under prefix + "/" (every chunk when
// prefix is empty) hold: how many, and their bytes before the database's
// own compression. Committed or not.
func (s *Store) BulkChunkUsage(ctx context.Context, prefix string) (chunks, bytes int64, err error) {
	q := `SELECT COUNT(*), COALESCE(SUM(LENGTH(data)), 0) FROM bulk_file_chunks`
	var args []any
	if prefix != "" {
		lo, hi := keyRange(prefix)
		q += ` WHERE file_key >= ? AND file_key < ?`
		args = append(args, lo, hi)
	}
	err = s.r.QueryRowContext(ctx, s.d.rebind(q), args...).Scan(&chunks, &bytes)
	return chunks, bytes, err
}
