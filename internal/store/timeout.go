package store

import (
	"context"
	"errors"
	"time"

	"github.com/emedpractice/emp/internal/errs"
)

// DefaultSearchTimeout is how long one search may run when
// Options.SearchTimeout is zero.
const DefaultSearchTimeout = 10 * time.Second

// errSearchTimeout is the cause of a search context whose deadline passed,
// telling the search's own timeout from the request's end (the client went
// away) or an earlier deadline of the caller.
var errSearchTimeout = errors.New("store: search timeout")

// searchContext bounds the statements of one search by the search timeout.
//
// The deadline stops the work in the database, not only the wait for it:
//   - PostgreSQL: when a query's context ends, pgx gives up the connection
//     and first sends the server a cancel request, so the backend stops the
//     statement as it would at statement_timeout (SQLSTATE 57014); closing
//     the socket alone would not do, since PostgreSQL notices a closed
//     client only when it next writes to it.
//     TestSearchTimeoutStopsTheStatement checks in pg_stat_activity that no
//     backend still runs the statement.
//   - SQLite: the driver calls sqlite3_interrupt (and its progress handler
//     reports the cancellation) while a statement's first step runs, which
//     is where a sort, a count or a walk that finds nothing does its work;
//     the row loop checks the context between later rows.
//
// A context.WithTimeout rather than SET LOCAL statement_timeout: that needs a
// transaction around every search, two more round trips on the hot path, and
// the deadline also ends the statement when the client goes away.
func (s *Store) searchContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeoutCause(ctx, s.searchTimeout, errSearchTimeout)
}

// searchErr turns the failure of a search whose own deadline passed into
// errs.Unavailable (503: the server will not spend more on this search; a
// narrower one may succeed); other failures pass as they are.
func (s *Store) searchErr(ctx context.Context, err error) error {
	if !errors.Is(context.Cause(ctx), errSearchTimeout) {
		return err
	}
	return &errs.Error{Kind: errs.Unavailable, Err: err,
		Message: "the search took longer than the server allows (" + s.searchTimeout.String() + "); narrow it with a selective parameter (patient, subject, identifier, a date range) or fewer values"}
}
