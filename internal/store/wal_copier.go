package store

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
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
// copier alone seldom catches up with a busy writer; so the writer itself
// measures the log file after each commit and, once it is larger than the
// limit, finishes the copy (most of which the copier has done already) and
// truncates the log. The bound so depends only on what the writer sees,
// never on when the copier's goroutine gets to run.
type walCopier struct {
	s    *Store
	db   *sql.DB
	wake chan struct{}
	done chan struct{}
	wg   sync.WaitGroup
	// limit is the log file size, in bytes, past which the writer
	// truncates the log: walCopyLimit, or the store's walCopyBytes (tests).
	limit int64
	// copying is held around every checkpoint. SQLite refuses a checkpoint
	// while another one runs, without waiting (the busy timeout does not
	// apply to the checkpoint lock), so the writer's truncating
	// checkpoint would fail whenever it met the copier's.
	copying sync.Mutex
}

// walCopyLimit is the log file size, in bytes, at which the writer finishes
// a copy itself: 64 MiB.
const walCopyLimit = 64 << 20

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
	if s.walCopyBytes > 0 {
		c.limit = s.walCopyBytes
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
		// A copy that fails is left to the writer: it measures the log
		// itself and finishes the copy past the limit.
		var busy, frames, copied int
		c.copying.Lock()
		c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
		c.copying.Unlock()
	}
}

// committed is called by the writer after each commit of the load. It
// measures the log file and, past the limit, copies the rest of the log
// and truncates it; otherwise it wakes the copier.
//
// The file's size is the most the log has held since it was last
// truncated (SQLite writes a log from its start again once all of it is
// copied, without shrinking the file), so truncating, not merely
// restarting, keeps the measure true.
func (c *walCopier) committed(ctx context.Context) error {
	fi, err := os.Stat(c.s.walPath)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Size() > c.limit {
		// Waits for the copier's copy in progress, finishes the copy
		// (waiting for readers within the busy timeout) and empties the
		// log. A reader that holds an old snapshot longer than that leaves
		// the log as it is (busy is 1): the next commit tries again.
		c.copying.Lock()
		var busy, frames, copied int
		err := c.s.w.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &copied)
		c.copying.Unlock()
		return err
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
