package store

import (
	"context"
	"errors"
)

// runRerunning runs a batch with rerunAlone isolation. A write whose
// caller has already gone is skipped and answered with its context's
// error. When every other write is one statement and the batcher has a
// pipeline, they go to the database in one round trip (runPipelined);
// otherwise they run one after another in one transaction (runInTx).
func (b *batcher) runRerunning(batch []*writeReq) {
	live := batch[:0:0]
	piped := b.pipeline != nil
	for _, req := range batch {
		if err := req.ctx.Err(); err != nil {
			req.errc <- err
			continue
		}
		live = append(live, req)
		piped = piped && req.args != nil
	}
	switch {
	case len(live) == 0:
	case piped:
		b.runPipelined(live)
	default:
		b.runInTx(live)
	}
}

// runInTx runs the writes in one transaction. The first that fails ends
// the batch: it is rolled back, the failed write is answered with its
// error (or, when the error is one the store retries, run again alone),
// and the others are run again each in a transaction of its own, so one
// bad write changes neither the others' outcome nor what they wrote.
//
// A commit that fails is answered to every write it carried, except a
// serialization failure or deadlock, after which PostgreSQL has certainly
// rolled the batch back and the writes are run again alone, as a write of
// its own would be retried. A commit whose outcome is unknown (the
// connection broke) is not run again: a create's id is drawn before it is
// queued, so a second run of a create that did commit would fail with a
// conflict instead of writing it twice, but it would tell its caller
// something false; the caller gets the connection's error instead, as a
// write of its own would.
func (b *batcher) runInTx(batch []*writeReq) {
	ctx := context.Background()
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		b.answer(batch, err)
		return
	}
	for i, req := range batch {
		if err := req.fn(tx); err != nil {
			tx.Rollback()
			b.rerun(batch[:i])
			if isRetryable(err) {
				b.rerun(batch[i : i+1])
			} else {
				req.errc <- err
			}
			b.rerun(batch[i+1:])
			return
		}
	}
	if err := tx.Commit(); err != nil {
		tx.Rollback()
		if isRetryable(err) {
			b.rerun(batch)
			return
		}
		b.answer(batch, err)
		return
	}
	b.answerCommitted(batch)
}

// errPipelineRefused wraps the error of a pipelined batch the database
// refused (a statement failed, or the commit did): the batch was rolled
// back, certainly.
type errPipelineRefused struct{ err error }

func (e *errPipelineRefused) Error() string { return e.err.Error() }
func (e *errPipelineRefused) Unwrap() error { return e.err }

// runPipelined sends the writes' statements together, one implicit
// transaction committed at its end. A write that lost alone (see
// pipelineFunc) is answered its error. When the database refuses any of them
// nothing was written and every write is run again alone (each then gets
// its own answer and its own error, as a write of its own would). Any
// other failure (the connection) is answered to all: the outcome may be
// unknown, as after a failed commit in runInTx.
func (b *batcher) runPipelined(batch []*writeReq) {
	args := make([][]any, len(batch))
	for i, req := range batch {
		args[i] = req.args
	}
	lost, err := b.pipeline(context.Background(), args)
	var refused *errPipelineRefused
	switch {
	case err == nil:
		written := batch[:0:0]
		for i, req := range batch {
			if i < len(lost) && lost[i] != nil {
				req.errc <- lost[i]
				continue
			}
			written = append(written, req)
		}
		b.answerCommitted(written)
	case errors.As(err, &refused):
		b.rerun(batch)
	default:
		b.answer(batch, err)
	}
}

// answerCommitted answers the writes of a committed batch, once their
// callers' read-your-writes positions are recorded.
func (b *batcher) answerCommitted(batch []*writeReq) {
	ctxs := make([]context.Context, len(batch))
	for i, req := range batch {
		ctxs[i] = req.ctx
	}
	b.committed(ctxs...)
	b.answer(batch, nil)
}

func (b *batcher) answer(batch []*writeReq, err error) {
	for _, req := range batch {
		req.errc <- err
	}
}

// rerun runs each write alone and answers it. A write whose caller has
// gone by now is answered with its context's error instead: nothing of it
// was committed. One that starts runs to its end.
func (b *batcher) rerun(reqs []*writeReq) {
	for _, req := range reqs {
		if err := req.ctx.Err(); err != nil {
			req.errc <- err
			continue
		}
		req.errc <- b.alone(context.WithoutCancel(req.ctx), req.fn)
	}
}
