package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// On PostgreSQL the audit log is partitioned by month on its event time
// (migration 0018): one table per month, audit_log_YYYY_MM, and a default
// partition, audit_log_default, that takes any row whose month has no table
// yet. Inserts into one month touch that month's indexes only, a query with
// a time filter reads only the months it names, and retention drops a whole
// month at once instead of deleting rows one by one.

// auditPartitionLock is the advisory lock key under which partitions are
// created, moved and dropped, so nodes doing it at the same moment take
// turns (the migration lock is 7418001).
const auditPartitionLock = 7418018

// monthStart is the first instant of t's month, UTC.
func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// auditPartitionName names the partition holding the month starting at m.
func auditPartitionName(m time.Time) string {
	return fmt.Sprintf("audit_log_%04d_%02d", m.Year(), int(m.Month()))
}

// EnsureAuditPartitions makes the partitions the audit log needs (on
// PostgreSQL; on SQLite it does nothing): this month's and next month's,
// ahead of time, and one for every earlier month that has rows in the
// default partition (the rows of an upgraded database, or of a month the
// server was not running to prepare), whose rows it moves there. Each month
// is one transaction under an advisory lock; a month that has its
// partition already is left alone, so every node may call it at any time.
// Open calls it, and the server's maintenance loop every hour.
func (s *Store) EnsureAuditPartitions(ctx context.Context) error {
	if !s.d.postgres {
		return nil
	}
	this := monthStart(s.now())
	horizon := this.AddDate(0, 2, 0) // the end of next month
	// Months with rows in the default partition, oldest first; then the
	// two ahead.
	from := int64(-1 << 62)
	for {
		var next sql.NullInt64
		err := s.w.QueryRowContext(ctx, `SELECT min(at) FROM audit_log_default WHERE at >= $1 AND at < $2`,
			from, horizon.UnixMicro()).Scan(&next)
		if err != nil {
			return fmt.Errorf("store: audit partitions: %w", err)
		}
		if !next.Valid {
			break
		}
		m := monthStart(time.UnixMicro(next.Int64))
		if err := s.ensureAuditPartition(ctx, m); err != nil {
			return err
		}
		from = m.AddDate(0, 1, 0).UnixMicro()
	}
	for m := this; m.Before(horizon); m = m.AddDate(0, 1, 0) {
		if err := s.ensureAuditPartition(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// ensureAuditPartition creates the partition of the month starting at m
// unless it exists. Rows of that month already in the default partition
// are moved into the new table before it is attached: PostgreSQL refuses
// to attach a range the default partition holds rows of. The CHECK
// constraint lets ATTACH skip scanning the new table. A month without such
// rows (the usual case, a month ahead) is one CREATE TABLE … PARTITION OF.
func (s *Store) ensureAuditPartition(ctx context.Context, m time.Time) error {
	name := auditPartitionName(m)
	lo, hi := m.UnixMicro(), m.AddDate(0, 1, 0).UnixMicro()
	err := s.writeOnce(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, auditPartitionLock); err != nil {
			return err
		}
		var exists, moving bool
		err := tx.QueryRowContext(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&exists)
		if err != nil || exists {
			return err
		}
		bounds := fmt.Sprintf("at >= %d AND at < %d", lo, hi)
		err = tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM audit_log_default WHERE `+bounds+`)`).Scan(&moving)
		if err != nil {
			return err
		}
		if !moving { // the usual case: a month ahead
			_, err := tx.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE %s PARTITION OF audit_log FOR VALUES FROM (%d) TO (%d)`, name, lo, hi))
			return err
		}
		for _, stmt := range []string{
			`CREATE TABLE ` + name + ` (LIKE audit_log)`,
			`ALTER TABLE ` + name + ` ADD CONSTRAINT ` + name + `_month CHECK (` + bounds + `)`,
			`INSERT INTO ` + name + ` (` + auditColumns + `, spool_id) SELECT ` + auditColumns + `, spool_id FROM audit_log_default WHERE ` + bounds,
			`DELETE FROM audit_log_default WHERE ` + bounds,
			fmt.Sprintf(`ALTER TABLE audit_log ATTACH PARTITION %s FOR VALUES FROM (%d) TO (%d)`, name, lo, hi),
		} {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: audit partition %s: %w", name, err)
	}
	return nil
}

// AuditPartitions lists the partitions of the audit log by name
// (PostgreSQL; none on SQLite): the months oldest first, then
// audit_log_default.
func (s *Store) AuditPartitions(ctx context.Context) ([]string, error) {
	if !s.d.postgres {
		return nil, nil
	}
	rows, err := s.w.QueryContext(ctx, `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'audit_log'::regclass ORDER BY c.relname`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
