package bulk

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/emedpractice/emp/internal/store"
)

// Runner works on export jobs: it claims queued jobs, and jobs whose
// worker's lease ran out, and writes their files. Every node runs one; the
// store's leases keep two runners off the same job.
type Runner struct {
	s  *Service
	id string

	mu     sync.Mutex
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewRunner makes a runner with a fresh worker id.
func (s *Service) NewRunner() (*Runner, error) {
	var b [8]byte
	if _, err := s.cfg.Rand.Read(b[:]); err != nil {
		return nil, err
	}
	return &Runner{s: s, id: "worker-" + hex.EncodeToString(b[:])}, nil
}

// Start runs the runner's workers and the cleanup of expired jobs until
// ctx ends or Stop is called.
func (r *Runner) Start(ctx context.Context) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel != nil {
		return
	}
	ctx, r.cancel = context.WithCancel(ctx)
	for i := 0; i < r.s.cfg.Workers; i++ {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.work(ctx)
		}()
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.sweepLoop(ctx)
	}()
}

// Stop ends the workers and waits for them. A job in progress is given up
// at once, so that another node takes it over from its checkpoint without
// waiting for the lease to run out.
func (r *Runner) Stop() {
	r.mu.Lock()
	cancel := r.cancel
	r.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	r.wg.Wait()
}

func (r *Runner) work(ctx context.Context) {
	cfg := &r.s.cfg
	for ctx.Err() == nil {
		now := cfg.Now()
		job, err := cfg.Store.ClaimBulkJob(ctx, r.id, now, now.Add(cfg.Lease))
		if err != nil && ctx.Err() == nil {
			cfg.Logger.Error("bulk: claim a job", "worker", r.id, "err", err)
		}
		if job != nil {
			r.run(ctx, job)
			continue
		}
		t := time.NewTimer(cfg.Idle)
		select {
		case <-ctx.Done():
		case <-r.s.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// run works on one claimed job until it is done, failed, cancelled, taken
// over, or the runner stops.
func (r *Runner) run(ctx context.Context, job *store.BulkJob) {
	cfg := &r.s.cfg
	log := cfg.Logger.With("job", job.ID, "worker", r.id)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Keep the lease while the job runs; losing it (a cancel, or a lease
	// that ran out while this node stalled) stops the job here.
	var progressMu sync.Mutex
	progress := job.Progress
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			progressMu.Lock()
			p := progress
			progressMu.Unlock()
			now := cfg.Now()
			if err := cfg.Store.RenewBulkLease(ctx, job.ID, r.id, now, now.Add(cfg.Lease), p); err != nil {
				if ctx.Err() == nil {
					log.Warn("bulk: lease renewal failed; stopping the job", "err", err)
				}
				cancel()
				return
			}
		}
	}()
	defer func() { cancel(); <-renewed }()

	err := r.export(ctx, job, func(p string) {
		progressMu.Lock()
		progress = p
		progressMu.Unlock()
	})
	bg := context.WithoutCancel(ctx)
	now := cfg.Now()
	switch {
	case err == nil:
		return
	case errors.Is(err, store.ErrLeaseLost):
		log.Info("bulk: job taken over or cancelled")
	case ctx.Err() != nil:
		// The runner is stopping (or the lease was lost): give the job up
		// for another worker.
		if err := cfg.Store.ReleaseBulkJob(bg, job.ID, r.id, now); err != nil {
			log.Error("bulk: release the job", "err", err)
		}
	default:
		log.Error("bulk: export failed", "err", err)
		if err := cfg.Store.FailBulkJob(bg, job.ID, r.id, now, now.Add(cfg.FileTTL),
			"the export failed on the server (job "+job.ID+"); start a new one"); err != nil {
			log.Error("bulk: record the failure", "err", err)
		}
	}
}

// export writes the job's files from its checkpoint and completes it.
func (r *Runner) export(ctx context.Context, job *store.BulkJob, setProgress func(string)) error {
	cfg := &r.s.cfg
	js, err := decodeSpec(job.Params)
	if err != nil {
		return err
	}
	var cp checkpoint
	if len(job.Checkpoint) > 0 {
		if err := json.Unmarshal(job.Checkpoint, &cp); err != nil {
			return err
		}
	}
	e := &exporter{
		store: cfg.Store, files: cfg.Files, prefix: job.ID + "/", tag: "-" + r.id[len(r.id)-6:], spec: js, until: job.TransactionTime,
		fileLimit: cfg.FileLimit, pageSize: cfg.PageSize,
		commit: func(ctx context.Context, f *store.BulkFile, cp checkpoint, progress string) error {
			b, err := json.Marshal(cp)
			if err != nil {
				return err
			}
			setProgress(progress)
			return cfg.Store.CheckpointBulkJob(ctx, job.ID, r.id, cfg.Now(), f, b, progress)
		},
	}
	if err := e.run(ctx, cp); err != nil {
		return err
	}
	errFiles, err := e.errorFile(ctx)
	if err != nil {
		return err
	}
	now := cfg.Now()
	return cfg.Store.CompleteBulkJob(ctx, job.ID, r.id, now, now.Add(cfg.FileTTL), errFiles)
}

// sweepLoop removes expired and cancelled jobs with their files.
func (r *Runner) sweepLoop(ctx context.Context) {
	t := time.NewTicker(r.s.cfg.SweepEvery)
	defer t.Stop()
	for {
		if err := r.s.Sweep(ctx); err != nil && ctx.Err() == nil {
			r.s.cfg.Logger.Error("bulk: sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// orphanSweeper is a FileStore that can find what a writer left under a
// job that no longer exists (DBStore: the job rows are in the same
// database).
type orphanSweeper interface {
	DeleteOrphans(ctx context.Context) (int64, error)
}

// Sweep removes the files and rows of expired and cancelled jobs, then
// what was written under jobs already gone (uploads in the database,
// folders in a directory), and logs how many of each.
func (s *Service) Sweep(ctx context.Context) error {
	jobs, err := s.sweepJobs(ctx)
	if err != nil {
		return err
	}
	var orphans int64
	kind := "orphan_uploads"
	switch f := s.cfg.Files.(type) {
	case orphanSweeper:
		orphans, err = f.DeleteOrphans(ctx)
	case folderLister:
		kind = "orphan_folders"
		orphans, err = s.deleteOrphanFolders(ctx, f)
	}
	if jobs > 0 || orphans > 0 {
		s.cfg.Logger.Info("bulk: sweep", "jobs", jobs, kind, orphans)
	}
	return err
}

// sweepJobs removes expired and cancelled jobs with their files and
// returns how many.
func (s *Service) sweepJobs(ctx context.Context) (int, error) {
	n := 0
	for {
		ids, err := s.cfg.Store.ExpiredBulkJobs(ctx, s.cfg.Now(), 100)
		if err != nil || len(ids) == 0 {
			return n, err
		}
		for _, id := range ids {
			if err := s.cfg.Files.DeletePrefix(ctx, id); err != nil {
				return n, err
			}
			if err := s.cfg.Store.DeleteBulkJob(ctx, id); err != nil {
				return n, err
			}
			n++
		}
		if len(ids) < 100 {
			return n, nil
		}
	}
}
