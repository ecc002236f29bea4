package bulk

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"time"
)

// jobIDBytes is how many random bytes name a job; its id is their
// lowercase hex.
const jobIDBytes = 16

// isJobID reports whether name is shaped like a job id, so that the sweep
// of a directory never touches anything else the operator keeps there.
func isJobID(name string) bool {
	if len(name) != 2*jobIDBytes {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// JobFolders lists the folders of the directory that are named like a job,
// whether or not the job exists.
func (d DirStore) JobFolders(ctx context.Context) ([]string, error) {
	entries, err := os.ReadDir(d.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, e := range entries {
		if e.IsDir() && isJobID(e.Name()) {
			ids = append(ids, e.Name())
		}
	}
	return ids, nil
}

// folderLister is a FileStore outside the database that can list its
// jobs' folders (DirStore), so that the sweep finds those of jobs that no
// longer exist.
type folderLister interface {
	JobFolders(ctx context.Context) ([]string, error)
}

// deleteOrphanFolders removes the folders of jobs that no longer exist and
// returns how many. The sweep and a cancel remove a job's folder before
// its row, so such a folder is what a writer made after that: a node that
// stalled while writing a file of the job, then woke and began its next
// file (which makes the folder again), or committed one (its part file of
// the file under way went with the folder, so that one cannot commit).
// None of it is ever served: a download needs the job's row and its list
// of files. Job ids are never reused, so a folder without a job stays one.
//
// A folder is removed only when sweeps at least a lease apart both found it
// without a job. A writer still running learns within a lease that its job
// is gone (its lease renewal or its next checkpoint fails) and removes its
// own part file; the wait leaves it that, so the sweep pulls no folder from
// under a writer that is finishing, and takes what one that died, or
// stays stalled, left. A writer that wakes after the folder was removed
// finds its part file gone (its commit fails), or makes the folder again,
// which the sweeps then remove the same way.
func (s *Service) deleteOrphanFolders(ctx context.Context, l folderLister) (int64, error) {
	folders, err := l.JobFolders(ctx)
	if err != nil {
		return 0, err
	}
	var gone []string
	if len(folders) > 0 {
		if gone, err = s.cfg.Store.MissingBulkJobs(ctx, folders); err != nil {
			return 0, err
		}
	}
	now := s.cfg.Now()
	var due []string
	s.mu.Lock()
	since := make(map[string]time.Time, len(gone))
	for _, id := range gone {
		first, ok := s.orphanSince[id]
		if !ok {
			first = now
		}
		since[id] = first
		if now.Sub(first) >= s.cfg.Lease {
			due = append(due, id)
		}
	}
	s.orphanSince = since
	s.mu.Unlock()

	var n int64
	var failed []error
	for _, id := range due {
		// A writer making a file in the folder at this moment can make
		// the removal fail (a folder not empty yet); the next sweep
		// tries again.
		if err := s.cfg.Files.DeletePrefix(ctx, id); err != nil {
			failed = append(failed, err)
			continue
		}
		n++
		s.mu.Lock()
		delete(s.orphanSince, id)
		s.mu.Unlock()
	}
	return n, errors.Join(failed...)
}
