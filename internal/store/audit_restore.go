package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// RestoreAudit puts the events of an archive file (ArchiveAudit's) back
// into the audit log with their seq and time, after checking the file
// against the checksum file beside it (path + ".sha256"); an event the log
// holds already is skipped. It returns how many lines the file holds.
//
// Restore into a database kept for the inquiry (emp audit --db …): in the
// serving database a restored month is older than the retention, and the
// next retention run archives it again.
func (s *Store) RestoreAudit(ctx context.Context, path string) (int64, error) {
	line, err := os.ReadFile(path + ".sha256")
	if err != nil {
		return 0, fmt.Errorf("store: restore audit: the checksum file: %w", err)
	}
	sum, name, ok := strings.Cut(strings.TrimSpace(string(line)), "  ")
	if !ok || name != filepath.Base(path) {
		return 0, fmt.Errorf("store: restore audit: %s.sha256 does not name %s", filepath.Base(path), filepath.Base(path))
	}
	// Verified first, whole, so that a damaged file restores nothing.
	if _, err := VerifyAuditArchive(path, sum, nil); err != nil {
		return 0, err
	}
	var batch []AuditEvent
	put := func() error {
		err := s.write(ctx, func(tx *sql.Tx) error {
			for _, ev := range batch {
				args := append([]any{ev.Seq}, auditArgs(ev)...)
				if _, err := tx.ExecContext(ctx, s.d.rebind(restoreAudit), args...); err != nil {
					return err
				}
			}
			return nil
		})
		batch = batch[:0]
		return err
	}
	n, err := VerifyAuditArchive(path, sum, func(ev AuditEvent) error {
		if batch = append(batch, ev); len(batch) == 500 {
			return put()
		}
		return nil
	})
	if err == nil {
		err = put()
	}
	if err != nil {
		return 0, fmt.Errorf("store: restore audit: %w", err)
	}
	return n, nil
}

const restoreAudit = `INSERT INTO audit_log (seq, at, request_id, actor, client_id, role, patient, action, type, res_id, method, path, status, detail)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
