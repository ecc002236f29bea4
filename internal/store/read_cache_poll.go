package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// cachePoller keeps the read cache coherent (see read_cache.go): ten
// times a second it reads the rows of resource_changes (migration 0022)
// it has not seen and drops the resources they name.
//
// Rows are read by the writing transaction's id, not by their sequence
// number: a transaction that took a lower number may commit after one
// with a higher number has been read, and a reader that remembered only
// the highest number would never see it. Each read is one statement, so
// the rows it returns and pg_snapshot_xmin of its snapshot agree: every
// transaction with an id below that xmin had ended when the statement
// began, so its rows (if it committed) were returned; a transaction at or
// above it may still commit. The next read asks again for every row from
// that xmin on, and the rows already applied are known by their sequence
// number until their transaction falls below the xmin.
type cachePoller struct {
	stop context.CancelFunc
	done sync.WaitGroup

	// Only the poller's goroutine touches these.
	low     uint64           // read rows from this transaction id on
	seen    map[int64]uint64 // rows applied whose xid is at or above low: seq → xid
	synced  bool             // low and seen follow a poll that succeeded
	history []xminAt         // the xmins seen, oldest first, for pruning
	pruned  time.Time

	started, completed atomic.Uint64 // polls begun, and the number of the newest one applied (tests)
	failures           atomic.Uint64 // polls failed, counted once the cache is emptied (tests)
	// pollHook, set by tests, runs before a poll's rows are applied and
	// may fail the poll.
	pollHook atomic.Pointer[func() error]
}

// xminAt is a snapshot xmin and when it was seen.
type xminAt struct {
	xmin uint64
	at   time.Time
}

// readCachePollEvery is how often a node reads the changes; readCacheBound
// (read_cache.go) is several of these, so a slow poll or two does not stop
// the answers.
const readCachePollEvery = 100 * time.Millisecond

// Rows are kept until every node must have read them: a node that has not
// read the changes for readCacheRetention/2 empties its cache before it
// applies the next read. Pruning runs every readCachePruneEvery on each
// node; it removes the rows of transactions that had ended
// readCacheRetention ago.
const (
	readCacheRetention  = 5 * time.Minute
	readCachePruneEvery = 30 * time.Second
)

// pollBackoffMax bounds the wait between reads that fail.
const pollBackoffMax = 5 * time.Second

// sqlReadChanges is one read of the changes: the statement snapshot's xmin
// on every row, and the rows of the transactions from $1 on (none: one
// row of NULLs).
const sqlReadChanges = `SELECT pg_snapshot_xmin(pg_current_snapshot())::text, c.seq, c.xid::text, array_to_string(c.keys, ',')
	FROM (SELECT 1) one LEFT JOIN resource_changes c ON c.xid >= $1::text::xid8 ORDER BY c.seq`

// sqlPruneChanges removes the rows of transactions below $1.
const sqlPruneChanges = `DELETE FROM resource_changes WHERE xid < $1::text::xid8`

// sqlRecordFlush records a change of every resource.
const sqlRecordFlush = `INSERT INTO resource_changes (keys) VALUES (NULL)`

// startReadCache turns the read cache on (PostgreSQL, a writable store,
// Options.ReadCacheBytes above zero) and starts its poller; Close stops it.
// With the cache off a writable PostgreSQL store still prunes the changes
// (the triggers record them whether or not any node reads them).
func (s *Store) startReadCache(opt Options) {
	if !s.d.postgres || opt.ReadOnly {
		return
	}
	p := &cachePoller{}
	s.cachePoller = p
	ctx, cancel := context.WithCancel(context.Background())
	p.stop = cancel
	if opt.ReadCacheBytes <= 0 {
		p.done.Go(func() { s.pruneOnly(ctx) })
		return
	}
	s.readCache = newReadCache(opt.ReadCacheBytes, s.now)
	p.done.Go(func() { s.poll(ctx) })
}

// stopReadCache stops the poller.
func (s *Store) stopReadCache() {
	if p := s.cachePoller; p != nil {
		p.stop()
		p.done.Wait()
		if s.readCache != nil {
			s.readCache.disconnected()
		}
	}
}

// sqlSnapshotXmin is the oldest transaction still running.
const sqlSnapshotXmin = `SELECT pg_snapshot_xmin(pg_current_snapshot())::text`

// pruneOnly is the poller of a node without a read cache: every
// readCachePruneEvery it notes the oldest transaction still running and
// prunes the changes as a poller does.
func (s *Store) pruneOnly(ctx context.Context) {
	p := s.cachePoller
	for {
		var xm string
		if err := s.w.QueryRowContext(ctx, sqlSnapshotXmin).Scan(&xm); err == nil {
			if xmin, err := strconv.ParseUint(xm, 10, 64); err == nil {
				now := s.now()
				p.history = append(p.history, xminAt{xmin: xmin, at: now})
				s.pruneChanges(ctx, now)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(readCachePruneEvery):
		}
	}
}

// poll reads the changes every readCachePollEvery until ctx ends. After a
// read that failed the cache answers nothing and is emptied, and reads are
// tried again with a growing pause.
func (s *Store) poll(ctx context.Context) {
	p := s.cachePoller
	t := time.NewTicker(readCachePollEvery)
	defer t.Stop()
	backoff := readCachePollEvery
	for {
		err := s.pollOnce(ctx)
		wait := readCachePollEvery
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if p.synced {
				s.log.Warn("store: read cache cannot read the changes; it answers nothing until it can", "err", err)
			}
			p.synced = false
			s.readCache.disconnected()
			p.failures.Add(1)
			wait, backoff = backoff, min(2*backoff, pollBackoffMax)
		} else {
			backoff = readCachePollEvery
		}
		s.readCache.processed()
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

// pollOnce reads the changes not yet applied and applies them; then the
// cache may answer for everything committed before the read began.
func (s *Store) pollOnce(ctx context.Context) error {
	p := s.cachePoller
	n := p.started.Add(1)
	began := s.now()
	rows, err := s.w.QueryContext(ctx, sqlReadChanges, strconv.FormatUint(p.low, 10))
	if err != nil {
		return err
	}
	type change struct {
		seq  int64
		xid  uint64
		keys []string
		all  bool
	}
	var xmin uint64
	var changes []change
	for rows.Next() {
		var xm string
		var seq *int64
		var xid *string
		var keys *string // ids hold no commas
		if err := rows.Scan(&xm, &seq, &xid, &keys); err != nil {
			rows.Close()
			return err
		}
		if xmin, err = strconv.ParseUint(xm, 10, 64); err != nil {
			rows.Close()
			return fmt.Errorf("store: read cache: xmin %q: %w", xm, err)
		}
		if seq == nil {
			continue
		}
		x, err := strconv.ParseUint(*xid, 10, 64)
		if err != nil {
			rows.Close()
			return fmt.Errorf("store: read cache: xid %q: %w", *xid, err)
		}
		ch := change{seq: *seq, xid: x, all: keys == nil}
		if keys != nil {
			ch.keys = strings.Split(*keys, ",")
		}
		changes = append(changes, ch)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if h := p.pollHook.Load(); h != nil {
		if err := (*h)(); err != nil {
			return err
		}
	}
	c := s.readCache
	if !p.synced {
		// The first read, or the first after reads failed: the cache
		// is empty and filled nothing since (it answered nothing), so
		// earlier changes do not matter; from here on none is missed.
		p.seen = map[int64]uint64{}
	} else if last := p.history[len(p.history)-1].at; began.Sub(last) > readCacheRetention/2 {
		// This node has not read for so long that rows it never saw
		// may have been pruned.
		c.flush()
	}
	for _, ch := range changes {
		if _, ok := p.seen[ch.seq]; ok {
			continue
		}
		p.seen[ch.seq] = ch.xid
		if !p.synced {
			continue
		}
		if ch.all {
			c.flush()
			continue
		}
		keys := make([]cacheKey, 0, len(ch.keys))
		for _, k := range ch.keys {
			if typ, id, ok := strings.Cut(k, "/"); ok {
				keys = append(keys, cacheKey{typ: typ, id: id})
			}
		}
		c.invalidate(keys...)
	}
	for seq, xid := range p.seen {
		if xid < xmin {
			delete(p.seen, seq)
		}
	}
	p.low, p.synced = xmin, true
	p.history = append(p.history, xminAt{xmin: xmin, at: began})
	c.caughtUp(began)
	s.pruneChanges(ctx, began)
	p.completed.Store(n)
	return nil
}

// pruneChanges removes, every readCachePruneEvery, the rows of the
// transactions that had ended readCacheRetention ago: the xmin this node
// saw then. A failure is only logged; the next prune tries again.
func (s *Store) pruneChanges(ctx context.Context, now time.Time) {
	p := s.cachePoller
	if now.Sub(p.pruned) < readCachePruneEvery {
		return
	}
	var cut uint64
	i := 0
	for i < len(p.history) && now.Sub(p.history[i].at) >= readCacheRetention {
		cut = p.history[i].xmin
		i++
	}
	// Keep one entry a retention old at most; the list stays about a
	// retention long.
	if i > 1 {
		p.history = append(p.history[:0], p.history[i-1:]...)
	}
	p.pruned = now
	if cut == 0 {
		return
	}
	if _, err := s.w.ExecContext(ctx, sqlPruneChanges, strconv.FormatUint(cut, 10)); err != nil {
		s.log.Warn("store: read cache: pruning the changes", "err", err)
	}
}

// announceFlush empties every node's read cache (PostgreSQL): a change the
// triggers do not record was made, such as compartment rows added to
// resources that exist (an added row only makes a confined read find more,
// and a create needs no record, so no trigger watches additions).
func (s *Store) announceFlush(ctx context.Context) error {
	if !s.d.postgres {
		return nil
	}
	_, err := s.w.ExecContext(ctx, sqlRecordFlush)
	return err
}
