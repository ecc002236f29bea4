package store

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/emedpractice/emp/internal/errs"
)

// AuditArchive is one month of the audit log written to a file and removed
// from the database.
type AuditArchive struct {
	Month        string // YYYY-MM
	File         string // the file's name in the archive directory
	Rows         int64
	SHA256       string // hex, of the whole file
	FirstSeq     int64
	LastSeq      int64
	ArchivedAt   time.Time
	ChecksumFile string // File + ".sha256", in sha256sum's format
}

// auditArchiveLease is how long the archiver's lease lasts without renewal;
// it is renewed before each month.
const auditArchiveLease = 15 * time.Minute

// auditDeleteBatch is how many rows one SQLite transaction deletes, so the
// writer is never held long.
const auditDeleteBatch = 5000

// ArchiveAudit moves every whole month of the audit log before the month
// of before out of the database: each month's rows are written, oldest
// first, to audit-YYYY-MM-FIRST-LAST.ndjson in dir (one WriteAuditNDJSON
// line per event) with a .sha256 file beside it; the file is fsynced, read
// back and checked against its checksum and row count, renamed into place
// and the directory fsynced; only then are the rows removed (on PostgreSQL
// the month's partition is detached and dropped, on SQLite the rows are
// deleted in batches) in a transaction that first checks the month still
// holds exactly the rows archived, and records the file in audit_archives.
// One process at a time archives (a lease in the database); another gets
// errs.Conflict. Nothing is removed without its file: an empty dir is an
// error.
func (s *Store) ArchiveAudit(ctx context.Context, dir string, before time.Time) ([]AuditArchive, error) {
	if dir == "" {
		return nil, errs.E(errs.Invalid, "audit archive: no archive directory; nothing is removed from the audit log without one (--audit-archive-dir)")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: audit archive: %w", err)
	}
	holder, err := s.newSpoolID()
	if err != nil {
		return nil, err
	}
	if err := s.takeArchiveLease(ctx, holder); err != nil {
		return nil, err
	}
	defer s.releaseArchiveLease(holder)
	if err := s.finishAuditRemovals(ctx); err != nil {
		return nil, err
	}
	cut := monthStart(before).UnixMicro()
	var done []AuditArchive
	from := int64(-1 << 62)
	for {
		m, ok, err := s.nextAuditMonth(ctx, from, cut)
		if err != nil || !ok {
			return done, err
		}
		if err := s.takeArchiveLease(ctx, holder); err != nil {
			return done, err
		}
		a, err := s.archiveMonth(ctx, dir, m)
		if err != nil {
			return done, err
		}
		if a != nil {
			done = append(done, *a)
		}
		from = m.AddDate(0, 1, 0).UnixMicro()
	}
}

// nextAuditMonth finds the first month in [from, cut) that holds audit rows
// or, on PostgreSQL, has a partition (an empty one is dropped when its
// month is archived). The month partitions have no index on the time
// (partition pruning stands in for it, and each index costs every insert),
// so on PostgreSQL the months are read from the partitions' names, and
// from the default partition, which keeps one.
func (s *Store) nextAuditMonth(ctx context.Context, from, cut int64) (time.Time, bool, error) {
	var first sql.NullInt64
	table := "audit_log"
	if s.d.postgres {
		table = "audit_log_default"
	}
	err := s.w.QueryRowContext(ctx, s.d.rebind(`SELECT min(at) FROM `+table+` WHERE at >= ? AND at < ?`), from, cut).Scan(&first)
	if err != nil {
		return time.Time{}, false, err
	}
	var m time.Time
	ok := first.Valid
	if ok {
		m = monthStart(time.UnixMicro(first.Int64))
	}
	if !s.d.postgres {
		return m, ok, nil
	}
	parts, err := s.AuditPartitions(ctx)
	if err != nil {
		return time.Time{}, false, err
	}
	for _, name := range parts {
		p, err := time.Parse("audit_log_2006_01", name)
		if err != nil || p.UnixMicro() < from || p.UnixMicro() >= cut {
			continue
		}
		if !ok || p.Before(m) {
			m, ok = p, true
		}
		break // the names sort by month
	}
	return m, ok, nil
}

// RetainAudit applies the retention setting: with months > 0 it archives
// (ArchiveAudit) every month older than the current one and the months
// before it; months <= 0 keeps everything. Without dir it refuses, so no
// row is ever deleted without its archive.
func (s *Store) RetainAudit(ctx context.Context, months int, dir string) ([]AuditArchive, error) {
	if months <= 0 {
		return nil, nil
	}
	if dir == "" {
		return nil, errs.E(errs.Invalid, "audit retention is %d months but no archive directory is set (--audit-archive-dir): nothing is archived or deleted", months)
	}
	return s.ArchiveAudit(ctx, dir, monthStart(s.now()).AddDate(0, -months, 0))
}

// takeArchiveLease claims (or renews) the archiver's lease for holder.
func (s *Store) takeArchiveLease(ctx context.Context, holder string) error {
	now := s.now()
	res, err := s.w.ExecContext(ctx, s.d.rebind(`INSERT INTO audit_archive_lease (name, holder, until) VALUES ('archive', ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
		WHERE audit_archive_lease.holder = excluded.holder OR audit_archive_lease.until < ?`),
		holder, now.Add(auditArchiveLease).UnixMicro(), now.UnixMicro())
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return errs.E(errs.Conflict, "audit archive: another process is archiving the audit log now")
	}
	return nil
}

func (s *Store) releaseArchiveLease(holder string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.w.ExecContext(ctx, s.d.rebind(`UPDATE audit_archive_lease SET until = 0 WHERE name = 'archive' AND holder = ?`), holder); err != nil {
		s.log.Warn("store: release the audit archive lease", "err", err)
	}
}

// archiveMonth archives and removes the month starting at m; nil when it
// holds no rows.
func (s *Store) archiveMonth(ctx context.Context, dir string, m time.Time) (*AuditArchive, error) {
	a, tmp, err := s.writeAuditMonth(ctx, dir, m)
	if err != nil {
		return nil, err
	}
	if a == nil {
		if s.d.postgres { // an empty month's partition goes
			return nil, s.removeAuditMonth(ctx, m, &AuditArchive{Month: m.Format("2006-01")})
		}
		return nil, nil
	}
	final := filepath.Join(dir, a.File)
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("store: audit archive: %w", err)
	}
	sumLine := a.SHA256 + "  " + a.File + "\n"
	if err := writeFileSynced(filepath.Join(dir, a.ChecksumFile), []byte(sumLine)); err != nil {
		return nil, fmt.Errorf("store: audit archive: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return nil, fmt.Errorf("store: audit archive: %w", err)
	}
	// The file is in place and durable: now, and only now, the rows go.
	if err := s.removeAuditMonth(ctx, m, a); err != nil {
		if errs.KindOf(err) == errs.Conflict {
			// The rows stay; the next run writes the month again, so
			// no file holds rows another also holds.
			os.Remove(final)
			os.Remove(filepath.Join(dir, a.ChecksumFile))
		}
		return nil, err
	}
	s.log.Info("store: audit month archived", "month", a.Month, "file", a.File, "rows", a.Rows, "sha256", a.SHA256)
	return a, nil
}

// writeAuditMonth writes the month's rows, oldest first, to a new
// temporary file in dir, fsyncs it and verifies it; it returns the archive
// (not yet removed) and the temporary file's path, or nil when the month
// is empty.
func (s *Store) writeAuditMonth(ctx context.Context, dir string, m time.Time) (a *AuditArchive, tmp string, err error) {
	f, err := os.CreateTemp(dir, ".audit-"+m.Format("2006-01")+"-*.tmp")
	if err != nil {
		return nil, "", fmt.Errorf("store: audit archive: %w", err)
	}
	tmp = f.Name()
	defer func() {
		if err != nil || a == nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(f, h), 1<<16)
	rows, err := s.w.QueryContext(ctx, s.d.rebind(`SELECT `+auditColumns+` FROM audit_log WHERE at >= ? AND at < ? ORDER BY seq`),
		m.UnixMicro(), m.AddDate(0, 1, 0).UnixMicro())
	if err != nil {
		return nil, "", err
	}
	out := AuditArchive{Month: m.Format("2006-01")}
	for rows.Next() {
		ev, err := scanAudit(rows)
		if err != nil {
			rows.Close()
			return nil, "", err
		}
		if out.Rows == 0 {
			out.FirstSeq = ev.Seq
		}
		out.LastSeq = ev.Seq
		out.Rows++
		if err := WriteAuditNDJSON(bw, ev); err != nil {
			rows.Close()
			return nil, "", fmt.Errorf("store: audit archive: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	rows.Close()
	if out.Rows == 0 {
		return nil, "", nil
	}
	if err := bw.Flush(); err != nil {
		return nil, "", fmt.Errorf("store: audit archive: %w", err)
	}
	if err := f.Sync(); err != nil {
		return nil, "", fmt.Errorf("store: audit archive: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, "", fmt.Errorf("store: audit archive: %w", err)
	}
	out.SHA256 = hex.EncodeToString(h.Sum(nil))
	if n, err := VerifyAuditArchive(tmp, out.SHA256, nil); err != nil || n != out.Rows {
		return nil, "", fmt.Errorf("store: audit archive %s: wrote %d rows, read back %d: %v", out.Month, out.Rows, n, err)
	}
	out.File = fmt.Sprintf("audit-%s-%d-%d.ndjson", out.Month, out.FirstSeq, out.LastSeq)
	out.ChecksumFile = out.File + ".sha256"
	out.ArchivedAt = s.now().UTC()
	return &out, tmp, nil
}

// VerifyAuditArchive reads an archive file back from the disk, checks that
// every line is an audit event, in order of seq, and that the file's SHA-256
// is sum; it returns the events' count. fn, when not nil, gets each event.
func VerifyAuditArchive(path, sum string, fn func(AuditEvent) error) (rows int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("store: verify audit archive: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	r := bufio.NewReaderSize(io.TeeReader(f, h), 1<<16)
	var last int64
	for {
		line, err := r.ReadBytes('\n')
		if err == io.EOF && len(line) == 0 {
			break
		}
		if err != nil {
			return rows, fmt.Errorf("store: verify audit archive %s: line %d: %v", filepath.Base(path), rows+1, err)
		}
		ev, err := ParseAuditNDJSON(bytes.TrimSuffix(line, []byte("\n")))
		if err != nil || ev.Seq <= last {
			return rows, fmt.Errorf("store: verify audit archive %s: line %d is not an audit event in order", filepath.Base(path), rows+1)
		}
		if fn != nil {
			if err := fn(ev); err != nil {
				return rows, err
			}
		}
		last = ev.Seq
		rows++
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sum {
		return rows, fmt.Errorf("store: verify audit archive %s: its sha256 is %s, not %s", filepath.Base(path), got, sum)
	}
	return rows, nil
}

// removeAuditMonth removes the archived rows of the month starting at m,
// after checking that the month holds exactly them (a row added since, such
// as a late replay of a node's spool, leaves the month for the next run).
// On PostgreSQL the month's partition is detached and dropped in the same
// transaction that records the archive; on SQLite the archive is recorded
// first and the rows are deleted in batches afterwards (finishAuditRemovals
// resumes a removal cut short).
func (s *Store) removeAuditMonth(ctx context.Context, m time.Time, a *AuditArchive) error {
	lo, hi := m.UnixMicro(), m.AddDate(0, 1, 0).UnixMicro()
	err := s.writeOnce(ctx, func(tx *sql.Tx) error {
		if s.d.postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, auditPartitionLock); err != nil {
				return err
			}
		}
		var n int64
		var first, last sql.NullInt64
		err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT count(*), min(seq), max(seq) FROM audit_log WHERE at >= ? AND at < ?`), lo, hi).
			Scan(&n, &first, &last)
		if err != nil {
			return err
		}
		if n != a.Rows || first.Int64 != a.FirstSeq || last.Int64 != a.LastSeq {
			return errs.E(errs.Conflict, "audit archive %s: the month changed while it was archived (%d rows now, %d archived); it is archived again at the next run", a.Month, n, a.Rows)
		}
		if s.d.postgres {
			name := auditPartitionName(m)
			var attached bool
			err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = 'audit_log'::regclass AND inhrelid = to_regclass($1))`, name).Scan(&attached)
			if err != nil {
				return err
			}
			if attached {
				for _, stmt := range []string{`ALTER TABLE audit_log DETACH PARTITION ` + name, `DROP TABLE ` + name} {
					if _, err := tx.ExecContext(ctx, stmt); err != nil {
						return err
					}
				}
			}
			// Rows of the month still in the default partition.
			if _, err := tx.ExecContext(ctx, `DELETE FROM audit_log WHERE at >= $1 AND at < $2`, lo, hi); err != nil {
				return err
			}
		}
		if a.Rows == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, s.d.rebind(`INSERT INTO audit_archives (file, month, rows, sha256, first_seq, last_seq, archived_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`), a.File, a.Month, a.Rows, a.SHA256, a.FirstSeq, a.LastSeq, a.ArchivedAt.UnixMicro())
		return err
	})
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if s.d.postgres {
		return nil
	}
	return s.deleteArchivedRows(ctx, lo, hi, a.FirstSeq, a.LastSeq)
}

// deleteArchivedRows deletes, in batches of auditDeleteBatch rows per
// transaction, the rows of [lo, hi) with seq in [first, last]: exactly an
// archive's rows (SQLite numbers rows in commit order, and the archiver
// checked the month held those alone).
func (s *Store) deleteArchivedRows(ctx context.Context, lo, hi, first, last int64) error {
	for {
		var n int64
		err := s.write(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM audit_log WHERE seq IN
				(SELECT seq FROM audit_log WHERE at >= ? AND at < ? AND seq >= ? AND seq <= ? LIMIT ?)`, lo, hi, first, last, auditDeleteBatch)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return fmt.Errorf("store: audit archive: delete archived rows: %w", err)
		}
		if n < auditDeleteBatch {
			return nil
		}
	}
}

// finishAuditRemovals deletes the rows of archives recorded whose removal
// was cut short (SQLite: a process stopped between batches), before any
// month is archived again.
func (s *Store) finishAuditRemovals(ctx context.Context) error {
	if s.d.postgres {
		return nil
	}
	rows, err := s.w.QueryContext(ctx, `SELECT month, first_seq, last_seq FROM audit_archives`)
	if err != nil {
		return err
	}
	type pending struct {
		m           time.Time
		first, last int64
	}
	var all []pending
	for rows.Next() {
		var month string
		var p pending
		if err := rows.Scan(&month, &p.first, &p.last); err != nil {
			rows.Close()
			return err
		}
		if p.m, err = time.Parse("2006-01", month); err != nil {
			rows.Close()
			return fmt.Errorf("store: audit_archives: month %q: %w", month, err)
		}
		all = append(all, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, p := range all {
		if err := s.deleteArchivedRows(ctx, p.m.UnixMicro(), p.m.AddDate(0, 1, 0).UnixMicro(), p.first, p.last); err != nil {
			return err
		}
	}
	return nil
}

// AuditArchives lists the archived months, oldest first.
func (s *Store) AuditArchives(ctx context.Context) ([]AuditArchive, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT file, month, rows, sha256, first_seq, last_seq, archived_at FROM audit_archives ORDER BY first_seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditArchive
	for rows.Next() {
		var a AuditArchive
		var at int64
		if err := rows.Scan(&a.File, &a.Month, &a.Rows, &a.SHA256, &a.FirstSeq, &a.LastSeq, &at); err != nil {
			return nil, err
		}
		a.ArchivedAt, a.ChecksumFile = time.UnixMicro(at).UTC(), a.File+".sha256"
		out = append(out, a)
	}
	return out, rows.Err()
}

// writeFileSynced writes b to path through a temporary file that is
// fsynced and renamed into place.
func writeFileSynced(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), path)
}

// syncDir fsyncs a directory, making the renames into it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
