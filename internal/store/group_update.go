package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"

	"github.com/jackc/pgx/v5"
)

// An update on PostgreSQL was its own transaction: BEGIN, the row's lock,
// the one statement that writes the new version, COMMIT, each a round trip,
// and a WAL flush of its own; from many clients the database spent more on
// transactions than on rows, as creates did before group commit. Updates
// now share commits too: the updates queued at a moment are sent together
// as one implicit transaction, each as its one statement, which writes
// only if the resource is still at the version the update was prepared on
// (sqlReplacePG). One that finds it changed writes nothing and commits
// nothing, the others commit, and it is then written under the row's lock
// on its own (Update), where writers of one resource take turns.

// newUpdateGroup is the group commit of PostgreSQL updates: as creates',
// with the batch's statements pipelined rather than joined into one.
func (s *Store) newUpdateGroup(runners int) *batcher {
	return s.newPgGroup(runners, s.pipelineUpdates)
}

// writeReplace writes p as the next version of the resource whose current
// version was cur when p was prepared; locked is the same write in a
// transaction that locks the row first (and prepares p again if it has
// changed). On PostgreSQL the write goes through the group commit of
// updates, and only when the resource has changed since cur does it run
// locked, alone. On SQLite, and for a resource whose patients are found
// through other resources, it runs locked.
func (s *Store) writeReplace(ctx context.Context, p *prepared, cur *head, method string, locked func(tx *sql.Tx) error) error {
	if s.updates == nil || len(p.via) > 0 {
		return s.write(ctx, locked)
	}
	if err := s.refuseWriteInTx(ctx); err != nil {
		return err
	}
	// As for creates, the arguments are built on the caller's goroutine,
	// and once queued the write runs to its end.
	args := s.pgReplaceArgs(context.WithoutCancel(ctx), p, cur, method)
	err := s.updates.submit(&writeReq{ctx: ctx, errc: make(chan error, 1), fn: locked, args: args})
	// The caller's next read on this node must see the write (see
	// invalidateAfterCommit); a write that did not happen costs a miss.
	s.invalidateKeys(cacheKey{typ: p.typ, id: p.id})
	if errors.Is(err, errRaced) {
		return s.write(ctx, locked)
	}
	return err
}

// pipelineUpdates sends updates' statements (sqlReplacePG, pgReplaceArgs
// each) together before one Sync: one implicit transaction, committed at
// the end or, when the database refuses any part, rolled back whole. They
// go in the order of their rows, so that two batches locking the same rows
// lock them in the same order and never wait for each other in a cycle.
// An update whose resource has changed since it was prepared (or that
// another of the batch changed first) wrote nothing and is lost with
// errRaced.
func (s *Store) pipelineUpdates(ctx context.Context, args [][]any) ([]error, error) {
	order := make([]int, len(args))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(args[a][0].(int64), args[b][0].(int64)) // the rid
	})
	lost := make([]error, len(args))
	err := s.withPgx(ctx, "group commit", func(c *pgx.Conn) error {
		batch := &pgx.Batch{}
		for _, i := range order {
			batch.Queue(sqlReplacePG, args[i]...)
		}
		br := c.SendBatch(ctx, batch)
		var first error
		for _, i := range order {
			var rid int64
			err := br.QueryRow().Scan(&rid)
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				lost[i] = errRaced
			case err != nil && first == nil:
				first = err
			}
		}
		if err := br.Close(); err != nil && first == nil {
			first = err
		}
		return pipelineErr(first)
	})
	return lost, err
}
