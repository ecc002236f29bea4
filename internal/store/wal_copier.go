package store

import (
	"context"
	"database/sql"
	"sync"
)

// walCopier moves a bulk load's pages from the write-ahead log into the
// database file on a second connection, so on a second core. SQLite's own
// checkpoint runs inside the commit that fills the log past 1,000 pages:
// it stopped the single writer for a sixth of a load, mostly in pwrite.
//
// While a walCopier runs, the writer does not checkpoint by itself. After
// each of the load's commits the copier is woken and copies what is
// committed (a passive checkpoint: it never blocks the writer). A log can
// only start over from its beginning once all of it is copied, and the
// copier alone seldom catches up with a busy writer; so when the log has
// grown past walCopyLimit pages, the writer itself finishes the copy
// (restart), most of which the copier has done already, and the log starts
// over instead of growing without bound.
type walCopier struct {
	s      *Store
	db     *sql.DB
	wake   chan struct{}
	done   chan struct{}
	wg     sync.WaitGroup
	limit  int // walCopyLimit, or the store's walCopyPages (tests)
	mu     sync.Mutex
	frames int // the log's size in pages at the last copy
}

// walCopyLimit is the log size, in pages, at which the writer finishes a
// copy itself: 64 MiB of 4 KiB pages.
const walCopyLimit = 16384

// startWALCopier starts copying for a bulk load on SQLite; stop ends it
// and gives the writer its own checkpoints back.
func (s *Store) startWALCopier(ctx context.Context) (*walCopier, error) {
	db, err := sql.Open("sqlite", s.sqliteDSN)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if _, err := s.w.ExecContext(ctx, "PRAGMA wal_autocheckpoint=0"); err != nil {
		db.Close()
		return nil, err
	}
	c := &walCopier{s: s, db: db, wake: make(chan struct{}, 1), done: make(chan struct{}), limit: walCopyLimit}
	if s.walCopyPages > 0 {
		c.limit = s.walCopyPages
	}
	c.wg.Add(1)
	go c.run(context.WithoutCancel(ctx))
	return c, nil
}

func (c *walCopier) run(ctx context.Context) {
	defer c.wg.Done()
	for {
		select {
		case <-c.done:
			return
		case <-c.wake:
		}
		var busy, frames, copied int
		err := c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
		if err != nil {
			// The writer copies the log itself after its next commit,
			// so a copier that cannot work never lets the log grow.
			frames = c.limit + 1
		}
		c.mu.Lock()
		c.frames = frames
		c.mu.Unlock()
	}
}

// committed is called by the writer after each commit of the load.
func (c *walCopier) committed(ctx context.Context) error {
	c.mu.Lock()
	full := c.frames > c.limit
	if full {
		c.frames = 0
	}
	c.mu.Unlock()
	if full {
		// Waits for a copy in progress (busy timeout), finishes it and
		// makes the next transaction write the log from its start.
		var busy, frames, copied int
		if err := c.s.w.QueryRowContext(ctx, "PRAGMA wal_checkpoint(RESTART)").Scan(&busy, &frames, &copied); err != nil {
			return err
		}
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return nil
}

// stop ends the copying and restores the writer's checkpoints.
func (c *walCopier) stop(ctx context.Context) error {
	close(c.done)
	c.wg.Wait()
	c.db.Close()
	_, err := c.s.w.ExecContext(context.WithoutCancel(ctx), "PRAGMA wal_autocheckpoint=1000")
	return err
}
