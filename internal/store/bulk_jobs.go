package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/emedpractice/emp/internal/errs"
)

// Bulk export job states.
const (
	BulkQueued    = "queued"
	BulkRunning   = "running"
	BulkDone      = "done"
	BulkFailed    = "failed"
	BulkCancelled = "cancelled"
)

// BulkJob is one Bulk Data export job. Params and Checkpoint are JSON owned
// by the bulk package; the store only keeps them.
type BulkJob struct {
	ID       string
	ClientID string
	// Owner is the token subject that started the job and Patient the
	// patient in context of that token ("" without one). A job answers
	// only a token of the same client, subject and patient (see
	// SameOwner), and the per-client limit counts per owner.
	Owner           string
	Patient         string
	RequestURL      string
	Params          []byte
	Status          string
	TransactionTime time.Time
	Progress        string
	Checkpoint      []byte
	LeaseOwner      string
	LeaseExpiry     time.Time
	Error           string
	Created         time.Time
	Updated         time.Time
	Completed       time.Time
	Expires         time.Time
}

// ErrLeaseLost is returned by the lease-guarded job methods when the
// caller no longer holds the job: its lease ran out and another worker took
// it, or the job was cancelled. The worker must stop without writing more.
var ErrLeaseLost = errors.New("store: bulk job lease lost")

const bulkJobColumns = `id, client_id, owner, patient, request_url, params, status, transaction_time, progress, checkpoint,
	lease_owner, lease_expiry, error, created, updated, completed, expires`

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UTC().UnixMicro()
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

func scanBulkJob(row interface{ Scan(...any) error }) (*BulkJob, error) {
	var j BulkJob
	var params, checkpoint string
	var tt, lease, created, updated, completed, expires int64
	err := row.Scan(&j.ID, &j.ClientID, &j.Owner, &j.Patient, &j.RequestURL, &params, &j.Status, &tt, &j.Progress, &checkpoint,
		&j.LeaseOwner, &lease, &j.Error, &created, &updated, &completed, &expires)
	if err != nil {
		return nil, err
	}
	j.Params, j.Checkpoint = []byte(params), []byte(checkpoint)
	j.TransactionTime, j.LeaseExpiry = fromMicros(tt), fromMicros(lease)
	j.Created, j.Updated, j.Completed, j.Expires = fromMicros(created), fromMicros(updated), fromMicros(completed), fromMicros(expires)
	return &j, nil
}

// SameOwner reports whether the job was started by the client, subject and
// patient given: only then may a caller see, cancel or download it.
func (j *BulkJob) SameOwner(clientID, owner, patient string) bool {
	return j.ClientID == clientID && j.Owner == owner && j.Patient == patient
}

// CreateBulkJob stores a new queued job. When the job's owner (its client,
// subject and patient together) already has maxActive jobs queued or
// running (maxActive > 0), nothing is written and the error is TooMany: the
// count and the insert are one statement, so two kick-offs at the same
// moment on SQLite cannot both pass. Counting per owner rather than per
// client keeps one patient of a shared app from using up another's turn.
func (s *Store) CreateBulkJob(ctx context.Context, j *BulkJob, maxActive int) error {
	if maxActive <= 0 {
		maxActive = 1 << 30
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO bulk_jobs (`+bulkJobColumns+`)
			SELECT ?, ?, ?, ?, ?, ?, ?, ?, '', '', '', 0, '', ?, ?, 0, 0
			WHERE (SELECT COUNT(*) FROM bulk_jobs WHERE client_id = ? AND owner = ? AND patient = ?
				AND status IN ('queued', 'running')) < ?`),
			j.ID, j.ClientID, j.Owner, j.Patient, j.RequestURL, string(j.Params), BulkQueued, micros(j.TransactionTime),
			micros(j.Created), micros(j.Created), j.ClientID, j.Owner, j.Patient, maxActive)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.TooMany, "you already have %d export(s) in progress with this client; try again when one is done", maxActive)
		}
		j.Status = BulkQueued
		return nil
	})
}

// BulkJob returns the job with the id, or NotFound.
func (s *Store) BulkJob(ctx context.Context, id string) (*BulkJob, error) {
	j, err := scanBulkJob(s.r.QueryRowContext(ctx, s.d.rebind(`SELECT `+bulkJobColumns+` FROM bulk_jobs WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "no export job %q", id)
	}
	return j, err
}

// ClaimBulkJob gives worker the oldest job that is queued, or running under
// a lease that ran out before now, leased until leaseUntil. It returns nil
// when there is none. On PostgreSQL the candidate row is locked with SKIP
// LOCKED, so workers on several nodes claim different jobs without waiting
// on each other; on SQLite the single writer serializes claims.
func (s *Store) ClaimBulkJob(ctx context.Context, worker string, now, leaseUntil time.Time) (*BulkJob, error) {
	pick := `SELECT id FROM bulk_jobs WHERE status IN ('queued', 'running') AND lease_expiry < ? ORDER BY created, id LIMIT 1`
	if s.d.postgres {
		pick += ` FOR UPDATE SKIP LOCKED`
	}
	var job *BulkJob
	err := s.write(ctx, func(tx *sql.Tx) error {
		j, err := scanBulkJob(tx.QueryRowContext(ctx, s.d.rebind(`UPDATE bulk_jobs SET status = 'running', lease_owner = ?, lease_expiry = ?, updated = ?
			WHERE id = (`+pick+`) RETURNING `+bulkJobColumns),
			worker, micros(leaseUntil), micros(now), micros(now)))
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		job = j
		return err
	})
	return job, err
}

// leased runs a lease-guarded update: ErrLeaseLost when it touched no row.
func (s *Store) leased(ctx context.Context, tx *sql.Tx, q string, args ...any) error {
	res, err := tx.ExecContext(ctx, s.d.rebind(q), args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrLeaseLost
	}
	return nil
}

// RenewBulkLease extends worker's lease on the job and records its progress.
func (s *Store) RenewBulkLease(ctx context.Context, id, worker string, now, leaseUntil time.Time, progress string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		return s.leased(ctx, tx, `UPDATE bulk_jobs SET lease_expiry = ?, progress = ?, updated = ?
			WHERE id = ? AND lease_owner = ? AND status = 'running'`, micros(leaseUntil), progress, micros(now), id, worker)
	})
}

// ReleaseBulkJob gives the lease up so that another worker may take the job
// at once (a node shutting down in the middle of a job).
func (s *Store) ReleaseBulkJob(ctx context.Context, id, worker string, now time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		err := s.leased(ctx, tx, `UPDATE bulk_jobs SET lease_owner = '', lease_expiry = 0, updated = ?
			WHERE id = ? AND lease_owner = ? AND status = 'running'`, micros(now), id, worker)
		if errors.Is(err, ErrLeaseLost) {
			return nil // nothing to give up
		}
		return err
	})
}

// CheckpointBulkJob records a finished file (when f is not nil) and the
// checkpoint after it in one transaction, provided worker still holds the
// job; otherwise ErrLeaseLost and nothing is written.
func (s *Store) CheckpointBulkJob(ctx context.Context, id, worker string, now time.Time, f *BulkFile, checkpoint []byte, progress string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if err := s.leased(ctx, tx, `UPDATE bulk_jobs SET checkpoint = ?, progress = ?, updated = ?
			WHERE id = ? AND lease_owner = ? AND status = 'running'`, string(checkpoint), progress, micros(now), id, worker); err != nil {
			return err
		}
		if f == nil {
			return nil
		}
		return s.insertBulkFile(ctx, tx, id, f)
	})
}

// CompleteBulkJob marks the job done, its files kept until expires; the
// error files, if any, are recorded with it.
func (s *Store) CompleteBulkJob(ctx context.Context, id, worker string, now, expires time.Time, errorFiles []BulkFile) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if err := s.leased(ctx, tx, `UPDATE bulk_jobs SET status = 'done', progress = '100%', lease_owner = '', lease_expiry = 0,
			updated = ?, completed = ?, expires = ? WHERE id = ? AND lease_owner = ? AND status = 'running'`,
			micros(now), micros(now), micros(expires), id, worker); err != nil {
			return err
		}
		for i := range errorFiles {
			if err := s.insertBulkFile(ctx, tx, id, &errorFiles[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// FailBulkJob marks the job failed with a message safe to show the client.
func (s *Store) FailBulkJob(ctx context.Context, id, worker string, now, expires time.Time, message string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		return s.leased(ctx, tx, `UPDATE bulk_jobs SET status = 'failed', error = ?, lease_owner = '', lease_expiry = 0,
			updated = ?, completed = ?, expires = ? WHERE id = ? AND lease_owner = ? AND status = 'running'`,
			message, micros(now), micros(now), micros(expires), id, worker)
	})
}

// CancelBulkJob marks the job cancelled: a worker holding it loses its
// lease at its next checkpoint, and the job no longer answers. NotFound when
// the job is unknown or already cancelled.
func (s *Store) CancelBulkJob(ctx context.Context, id string, now time.Time) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.d.rebind(`UPDATE bulk_jobs SET status = 'cancelled', lease_owner = '', lease_expiry = 0, updated = ?
			WHERE id = ? AND status <> 'cancelled'`), micros(now), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "no export job %q", id)
		}
		return nil
	})
}

// DeleteBulkJob removes the job and its file rows (the files themselves are
// the caller's to remove first).
func (s *Store) DeleteBulkJob(ctx context.Context, id string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM bulk_files WHERE job_id = ?`), id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM bulk_jobs WHERE id = ?`), id)
		return err
	})
}

// ExpiredBulkJobs lists jobs to clean up: finished ones whose files expired
// before now, and cancelled ones.
func (s *Store) ExpiredBulkJobs(ctx context.Context, now time.Time, limit int) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, s.d.rebind(`SELECT id FROM bulk_jobs
		WHERE status = 'cancelled' OR (status IN ('done', 'failed') AND expires < ?) ORDER BY updated LIMIT ?`), micros(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
