package store

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
)

// batcher is group commit: it takes all writes waiting at that moment, runs
// them in one transaction, commits once, and then answers each caller. A
// durable commit is the dearest part of a small write (an fsync on SQLite;
// on PostgreSQL a WAL flush plus a transaction's start-up, locks and
// messages), so one commit per request caps writes far below what the
// database can do when it shares one commit among many.
//
// How one failed write is kept from failing the others depends on the
// database (see isolation). Either way a failed commit fails every write it
// carried, so nothing is answered as written unless it committed.
type batcher struct {
	db      *sql.DB
	max     int
	isolate isolation
	// alone runs one write in its own transaction with the store's
	// retries, and records it for read-your-writes (Store.write); the
	// fallback of rerunAlone.
	alone func(ctx context.Context, fn func(tx *sql.Tx) error) error
	// committed is told of the callers whose writes a rerunAlone batch
	// committed, before they are answered (the replicas' read-your-writes).
	committed func(ctxs ...context.Context)
	// pipeline, when set, runs a rerunAlone batch whose writes are each
	// one statement (writeReq.args) in one round trip and one transaction
	// (see Store.pipelineCreates, Store.pipelineUpdates).
	pipeline pipelineFunc
	reqs     chan *writeReq
	done     chan struct{} // closed when every runner has ended
	log      *slog.Logger
	stop     chan struct{}
	// hooks, set by tests, order a batch's steps without sleeping.
	hooks atomic.Pointer[batchHooks]
}

// isolation is how a batch keeps one failed write from the others.
type isolation int

const (
	// savepoints runs each write inside its own savepoint, rolled back
	// alone when the write fails (SQLite: a savepoint is a call in this
	// process, not a round trip).
	savepoints isolation = iota
	// rerunAlone uses no savepoints (each would cost round trips, and on
	// PostgreSQL any error aborts the whole transaction): when a write of
	// the batch fails, the batch is rolled back and its writes are run
	// again alone, each in its own transaction with the store's retries
	// (see runRerunning). The writes must therefore be re-runnable, as
	// PostgreSQL's retries on serialization failures already require.
	rerunAlone
)

// batchOptions shape a batcher.
type batchOptions struct {
	max       int // writes per batch at most
	runners   int // batches running at once, each on one connection
	isolate   isolation
	alone     func(ctx context.Context, fn func(tx *sql.Tx) error) error // rerunAlone only
	committed func(ctxs ...context.Context)                              // rerunAlone only
	pipeline  pipelineFunc                                               // rerunAlone only; may be nil
}

// pipelineFunc writes a batch of one-statement writes in one transaction.
// The error is the batch's: errPipelineRefused when the database refused
// any part and nothing was written, any other when the outcome may be
// unknown. With no error, each write's own outcome is in lost, nil when
// it was written: a write may lose alone (an update that found its
// resource changed), writing nothing, while the others commit.
type pipelineFunc func(ctx context.Context, args [][]any) (lost []error, err error)

// batchHooks let a test see a write queued, hold a runner between the
// first write of its batch and gathering the rest (gather), and see a
// batch's size before it runs (ran).
type batchHooks struct {
	queued func()
	gather func()
	ran    func(size int)
}

type writeReq struct {
	ctx context.Context
	fn  func(tx *sql.Tx) error
	// args, when not nil, are the arguments of the one statement fn
	// runs, for a batch that pipelines its writes (batcher.pipeline).
	args []any
	errc chan error
}

var errClosed = errors.New("store: closed")

func newBatcher(db *sql.DB, opt batchOptions, log *slog.Logger) *batcher {
	runners := max(opt.runners, 1)
	b := &batcher{db: db, max: opt.max, isolate: opt.isolate, alone: opt.alone, committed: opt.committed,
		pipeline: opt.pipeline, reqs: make(chan *writeReq, opt.max*4), done: make(chan struct{}), stop: make(chan struct{}), log: log}
	var wg sync.WaitGroup
	for range runners {
		wg.Go(b.loop)
	}
	go func() {
		wg.Wait()
		close(b.done)
	}()
	return b
}

func (b *batcher) do(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return b.submit(&writeReq{ctx: ctx, fn: fn, errc: make(chan error, 1)})
}

// submit queues a write and waits for its answer.
func (b *batcher) submit(req *writeReq) error {
	ctx := req.ctx
	select {
	case b.reqs <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.stop:
		return errClosed
	}
	if h := b.hooks.Load(); h != nil && h.queued != nil {
		h.queued()
	}
	// Once queued the write runs to its end: abandoning it on ctx.Done would
	// leave the caller unsure whether it committed.
	select {
	case err := <-req.errc:
		return err
	case <-b.done:
		return errClosed
	}
}

func (b *batcher) close() {
	close(b.stop)
	<-b.done
}

func (b *batcher) loop() {
	batch := make([]*writeReq, 0, b.max)
	for {
		batch = batch[:0]
		// A closed batcher takes no new batch, even with writes waiting:
		// those are answered errClosed.
		select {
		case <-b.stop:
			b.drain()
			return
		default:
		}
		select {
		case req := <-b.reqs:
			batch = append(batch, req)
		case <-b.stop:
			b.drain()
			return
		}
		if h := b.hooks.Load(); h != nil && h.gather != nil {
			h.gather()
		}
	fill:
		for len(batch) < b.max {
			select {
			case req := <-b.reqs:
				batch = append(batch, req)
			default:
				break fill
			}
		}
		if h := b.hooks.Load(); h != nil && h.ran != nil {
			h.ran(len(batch))
		}
		if b.isolate == rerunAlone {
			b.runRerunning(batch)
		} else {
			b.run(batch)
		}
	}
}

// drain answers writes still queued at close.
func (b *batcher) drain() {
	for {
		select {
		case req := <-b.reqs:
			req.errc <- errClosed
		default:
			return
		}
	}
}

func (b *batcher) run(batch []*writeReq) {
	ctx := context.Background()
	results := make([]error, len(batch))
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		for _, req := range batch {
			req.errc <- err
		}
		return
	}
	if len(batch) == 1 {
		// No savepoint needed: the transaction is the write.
		results[0] = runGuarded(batch[0], tx)
		if results[0] != nil {
			tx.Rollback()
			batch[0].errc <- results[0]
			return
		}
	} else {
		for i, req := range batch {
			sp := "w" + strconv.Itoa(i)
			if _, err := tx.ExecContext(ctx, "SAVEPOINT "+sp); err != nil {
				results[i] = err
				continue
			}
			results[i] = runGuarded(req, tx)
			if results[i] != nil {
				if _, err := tx.ExecContext(ctx, "ROLLBACK TO "+sp); err != nil {
					b.log.Error("store: rollback to savepoint", "err", err)
				}
			}
			if _, err := tx.ExecContext(ctx, "RELEASE "+sp); err != nil {
				b.log.Error("store: release savepoint", "err", err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		tx.Rollback()
		for _, req := range batch {
			req.errc <- err
		}
		return
	}
	for i, req := range batch {
		req.errc <- results[i]
	}
}

// runGuarded runs one write, skipping it when its caller has already gone.
func runGuarded(req *writeReq, tx *sql.Tx) error {
	if err := req.ctx.Err(); err != nil {
		return err
	}
	return req.fn(tx)
}
