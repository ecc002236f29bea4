package store

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strconv"
)

// batcher is SQLite group commit. SQLite has one writer at a time and a
// durable commit costs an fsync, so one commit per request caps creates at
// the disk's fsync rate. The batcher runs every write on the single writer
// connection: it takes all writes waiting at that moment, runs each inside
// its own savepoint of one transaction, commits once, and then answers each
// caller. A write that fails rolls back to its savepoint and does not affect
// the others; a failed commit fails them all, so nothing is answered as
// written unless it is on disk.
type batcher struct {
	db   *sql.DB
	max  int
	reqs chan *writeReq
	done chan struct{}
	log  *slog.Logger
	stop chan struct{}
}

type writeReq struct {
	ctx  context.Context
	fn   func(tx *sql.Tx) error
	errc chan error
}

var errClosed = errors.New("store: closed")

func newBatcher(db *sql.DB, max int, log *slog.Logger) *batcher {
	b := &batcher{db: db, max: max, reqs: make(chan *writeReq, max*4), done: make(chan struct{}), stop: make(chan struct{}), log: log}
	go b.loop()
	return b
}

func (b *batcher) do(ctx context.Context, fn func(tx *sql.Tx) error) error {
	req := &writeReq{ctx: ctx, fn: fn, errc: make(chan error, 1)}
	select {
	case b.reqs <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-b.stop:
		return errClosed
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
	defer close(b.done)
	batch := make([]*writeReq, 0, b.max)
	for {
		batch = batch[:0]
		select {
		case req := <-b.reqs:
			batch = append(batch, req)
		case <-b.stop:
			b.drain()
			return
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
		b.run(batch)
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
