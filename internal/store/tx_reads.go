package store

import (
	"context"
	"database/sql"

	"github.com/emedpractice/emp/internal/errs"
)

// rowQueryer is what a read runs on: the pool of readers or a transaction.
type rowQueryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type txContextKey struct{}

// WithTx returns a context under which the store's reads (Read,
// ReadVersion, Search with its counts and includes, history, $everything)
// run inside t rather than on the pool of readers: they see t's own writes
// and are part of it. The GET entries of a transaction Bundle, answered by
// the face's own handlers after the Bundle's writes and before its commit
// (R4 http.html: GET entries are processed last, within the transaction),
// run under it.
//
// A write through the store under such a context is refused: it would wait
// for the very transaction its caller is part of.
func WithTx(ctx context.Context, t *Tx) context.Context {
	return context.WithValue(ctx, txContextKey{}, t)
}

// txOf is the transaction of this store that ctx carries (WithTx), or nil.
func (s *Store) txOf(ctx context.Context) *Tx {
	if t, _ := ctx.Value(txContextKey{}).(*Tx); t != nil && t.s == s {
		return t
	}
	return nil
}

// reader is where a read that may be a little behind runs under ctx: the
// transaction ctx carries, or else a replica that may answer it, or the
// primary's readers (replica.go).
func (s *Store) reader(ctx context.Context) rowQueryer {
	if t := s.txOf(ctx); t != nil {
		return t.tx
	}
	return s.replica
}

// refuseWriteInTx is the error of a write asked under a context carrying a
// transaction (see WithTx).
func (s *Store) refuseWriteInTx(ctx context.Context) error {
	if s.txOf(ctx) == nil {
		return nil
	}
	return errs.E(errs.Invalid, "this request writes, so it cannot be a GET entry of a transaction")
}
