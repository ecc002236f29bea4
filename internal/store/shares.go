package store

import (
	"context"
	"sync"

	"github.com/emedpractice/emp/internal/errs"
)

// SearchShares bounds the searches one caller runs at once, so that one
// token cannot take the whole database pool: with the search timeout alone,
// a patient's app sending 32 slow searches in parallel would hold every
// PostgreSQL connection for their length, and every other caller would
// wait. Each caller (see WithSearcher) may run Limit searches at once; Limit
// more wait for one of those to end, within their own search timeout; any
// beyond are refused at once with errs.TooMany (429). Callers that are not
// named (the export runner, the server's own pages) are not limited here.
//
// The cost on the hot path is one mutex-guarded map lookup on entry and one
// on exit; an entry lives only while its caller has searches running.
type SearchShares struct {
	limit int
	mu    sync.Mutex
	m     map[string]*share
}

// share is one caller's running and waiting searches. A search that ends
// while others wait hands its slot over through wake (buffered to Limit, so
// the hand-over never blocks) instead of freeing it.
type share struct {
	running, waiting int
	wake             chan struct{}
}

func newSearchShares(pool int) *SearchShares {
	return &SearchShares{limit: max(1, pool/4), m: map[string]*share{}}
}

// Limit is how many searches one caller may run at once: a quarter of the
// database pool, at least one.
func (ss *SearchShares) Limit() int { return ss.limit }

// Acquire takes one of who's search slots, waiting while who already runs
// Limit searches and fewer than Limit wait; it answers errs.TooMany when
// Limit wait already, and ctx's error when ctx ends first. The caller calls
// release exactly once when its search is done.
func (ss *SearchShares) Acquire(ctx context.Context, who string) (release func(), err error) {
	ss.mu.Lock()
	sh := ss.m[who]
	if sh == nil {
		sh = &share{wake: make(chan struct{}, ss.limit)}
		ss.m[who] = sh
	}
	if sh.running < ss.limit {
		sh.running++
		ss.mu.Unlock()
		return func() { ss.release(who, sh) }, nil
	}
	if sh.waiting >= ss.limit {
		ss.mu.Unlock()
		return nil, errs.E(errs.TooMany, "too many searches at once from this caller (%d running, %d waiting); try again when one is done", ss.limit, ss.limit)
	}
	sh.waiting++
	ss.mu.Unlock()
	select {
	case <-sh.wake:
		return func() { ss.release(who, sh) }, nil
	case <-ctx.Done():
	}
	ss.mu.Lock()
	select {
	case <-sh.wake:
		// A slot was handed over as ctx ended: pass it on.
		ss.mu.Unlock()
		ss.release(who, sh)
	default:
		sh.waiting--
		ss.forget(who, sh)
		ss.mu.Unlock()
	}
	return nil, ctx.Err()
}

func (ss *SearchShares) release(who string, sh *share) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if sh.waiting > 0 {
		sh.waiting--
		sh.wake <- struct{}{}
		return
	}
	sh.running--
	ss.forget(who, sh)
}

// forget drops an idle caller's entry; ss.mu is held.
func (ss *SearchShares) forget(who string, sh *share) {
	if sh.running == 0 && sh.waiting == 0 && ss.m[who] == sh {
		delete(ss.m, who)
	}
}

// Waiting is how many of who's searches wait for a slot (for tests and
// metrics).
func (ss *SearchShares) Waiting(who string) int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if sh := ss.m[who]; sh != nil {
		return sh.waiting
	}
	return 0
}

type searcherKey struct{}

// WithSearcher names the caller whose share of the database the searches
// made under ctx count against: the patient of a patient-context token
// (each patient one share, whichever app or user asks), else the token's
// subject, else its client.
func WithSearcher(ctx context.Context, patient, subject, clientID string) context.Context {
	who := ""
	switch {
	case patient != "":
		who = "patient/" + patient
	case subject != "":
		who = "subject/" + subject
	case clientID != "":
		who = "client/" + clientID
	default:
		return ctx
	}
	return context.WithValue(ctx, searcherKey{}, who)
}

// Searcher is the caller WithSearcher named, or "".
func Searcher(ctx context.Context) string {
	who, _ := ctx.Value(searcherKey{}).(string)
	return who
}

// SearchShares is the store's per-caller bound on concurrent searches.
func (s *Store) SearchShares() *SearchShares { return s.shares }
