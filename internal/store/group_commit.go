package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// On PostgreSQL a create used to be its own transaction: BEGIN, the one
// statement that writes it (see createRow), COMMIT with its own WAL flush,
// each a round trip. On a small machine with the database on it the
// database then spent more CPU starting, locking and committing
// transactions, and waking for their messages, than writing rows, and
// creates from many clients ran at about a third of the rate the same
// creates reach inside one transaction. So creates share transactions: a
// few runners each take the creates queued at that moment and write them
// with one statement, one implicit transaction that commits once (a
// batcher with rerunAlone isolation and a pipeline; see write_pg_many.go).

// Group commit of PostgreSQL creates: writes per batch at most, and
// batches running at once (each holds one pool connection while it runs).
const (
	createGroupMax     = 64
	createGroupRunners = 2
)

func (s *Store) newCreateGroup(runners int) *batcher {
	return s.newPgGroup(runners, s.pipelineCreates)
}

// newPgGroup is a group commit of one-statement PostgreSQL writes run by
// pipeline, a write run again alone through Store.write.
func (s *Store) newPgGroup(runners int, pipeline pipelineFunc) *batcher {
	return newBatcher(s.w, batchOptions{
		max:       createGroupMax,
		runners:   runners,
		isolate:   rerunAlone,
		alone:     s.write,
		committed: s.replica.wrote,
		pipeline:  pipeline,
	}, s.log)
}

// writeCreateRow writes p as a new resource, with its version, index,
// compartment and audit rows (createRow): on PostgreSQL through the group
// commit of creates.
func (s *Store) writeCreateRow(ctx context.Context, p *prepared, method string) error {
	if s.group == nil {
		return s.write(ctx, func(tx *sql.Tx) error {
			_, err := s.createRow(ctx, tx, p, method)
			return err
		})
	}
	if err := s.refuseWriteInTx(ctx); err != nil {
		return err
	}
	// The write runs without the caller's cancellation: once queued it
	// runs to its end (see batcher.submit), and it may run twice (alone,
	// after another create of its batch failed).
	run := context.WithoutCancel(ctx)
	req := &writeReq{ctx: ctx, errc: make(chan error, 1), fn: func(tx *sql.Tx) error {
		_, err := s.createRow(run, tx, p, method)
		return err
	}}
	if len(p.via) == 0 {
		// One statement, whose arguments are built here, on the
		// caller's goroutine, rather than on the runner's.
		req.args = s.pgCreateArgs(run, p, method)
	}
	return s.group.submit(req)
}

// pipelineCreates writes creates (pgCreateArgs, one argument list each)
// with one statement (sqlCreateManyPG), one implicit transaction: every
// create is written and committed, or, when the database refuses any
// part, none. A refusal by the database is returned as errPipelineRefused.
func (s *Store) pipelineCreates(ctx context.Context, args [][]any) ([]error, error) {
	return nil, s.withPgx(ctx, "group commit", func(c *pgx.Conn) error {
		var err error
		if len(args) == 1 {
			// A batch of one (a quiet moment) is cheaper as the one-create
			// statement than spread into arrays and joined back.
			_, err = c.Exec(ctx, sqlCreatePG, args[0]...)
		} else {
			_, err = c.Exec(ctx, sqlCreateManyPG, pgCreateManyArgs(args)...)
		}
		return pipelineErr(err)
	})
}

// pipelineErr maps the error of a batch's statements: a refusal by the
// database (nothing was written) is errPipelineRefused.
func pipelineErr(err error) error {
	var refused *pgconn.PgError
	if errors.As(err, &refused) {
		return &errPipelineRefused{err}
	}
	return mapConnErr(err)
}
