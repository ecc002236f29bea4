package store

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// cacheListener keeps the read cache coherent (see read_cache.go): one
// connection of its own, outside the pool, LISTENs on the resources'
// channel (migration 0022) and applies what it hears; a second goroutine
// sends the node's heartbeats through the pool.
type cacheListener struct {
	cfg  *pgx.ConnConfig
	node string // this node's heartbeats are "hb:<node>:<sent>"
	stop context.CancelFunc
	done sync.WaitGroup

	// sent remembers when the latest heartbeats were sent, by sequence
	// number (a ring: behind a pooler that drops notifications none come
	// back, and it must not grow).
	sentMu sync.Mutex
	seq    uint64
	sent   [heartbeatsRemembered]sentHeartbeat

	pid      atomic.Uint32 // the listening connection's backend (tests)
	connects atomic.Uint64 // connections made (tests)
	// heardHook, set by tests, runs before each notification is applied;
	// connectHook before each connection attempt.
	heardHook   atomic.Pointer[func(payload string)]
	connectHook atomic.Pointer[func()]
}

// sentHeartbeat is one heartbeat sent: its sequence number and time.
type sentHeartbeat struct {
	seq uint64
	at  time.Time
}

// heartbeatsRemembered is how many heartbeats sent are remembered: more
// than are sent within readCacheBound.
const heartbeatsRemembered = 64

// sqlNotifyResources sends $1 on this schema's resources channel.
const sqlNotifyResources = `SELECT pg_notify(emp_resources_channel(current_schema()), $1)`

// A listening connection that hears nothing, not even its node's
// heartbeats, for listenSilenceLimit is given up and replaced; it is looked
// at every listenSilenceCheck.
const (
	listenSilenceCheck = time.Second
	listenSilenceLimit = 5 * time.Second
)

// listenBackoff bounds the wait between attempts to connect the listener
// again.
const (
	listenBackoffMin = 100 * time.Millisecond
	listenBackoffMax = 5 * time.Second
)

// startReadCache turns the read cache on (PostgreSQL, a writable store,
// Options.ReadCacheBytes above zero) and starts its listener and
// heartbeat; Close stops them.
func (s *Store) startReadCache(dsn string, opt Options) error {
	if !s.d.postgres || opt.ReadOnly || opt.ReadCacheBytes <= 0 {
		return nil
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("store: read cache: %w", err)
	}
	var b [8]byte
	if _, err := s.rand.Read(b[:]); err != nil {
		return fmt.Errorf("store: read cache: %w", err)
	}
	s.readCache = newReadCache(opt.ReadCacheBytes, s.now)
	l := &cacheListener{cfg: cfg, node: hex.EncodeToString(b[:])}
	s.cacheListener = l
	ctx, cancel := context.WithCancel(context.Background())
	l.stop = cancel
	l.done.Go(func() { s.listen(ctx) })
	l.done.Go(func() { s.heartbeats(ctx) })
	return nil
}

// stopReadCache stops the listener and the heartbeat.
func (s *Store) stopReadCache() {
	if l := s.cacheListener; l != nil {
		l.stop()
		l.done.Wait()
		s.readCache.disconnected()
	}
}

// listen runs listening sessions until ctx ends, connecting again after a
// failure with a growing pause. Between sessions the cache answers nothing.
func (s *Store) listen(ctx context.Context) {
	backoff := listenBackoffMin
	for {
		connected, err := s.listenOnce(ctx)
		s.readCache.disconnected()
		s.readCache.processed()
		if ctx.Err() != nil {
			return
		}
		if connected {
			backoff = listenBackoffMin
		}
		s.log.Warn("store: read cache listener disconnected; the cache answers nothing until it is back", "err", err, "retry", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, listenBackoffMax)
	}
}

// listenOnce connects, LISTENs, empties the cache (what changed while no one
// listened is not known) and applies notifications until the connection
// fails or ctx ends. connected reports whether it got as far as listening.
func (s *Store) listenOnce(ctx context.Context) (connected bool, err error) {
	l := s.cacheListener
	if h := l.connectHook.Load(); h != nil {
		(*h)()
	}
	conn, err := pgx.ConnectConfig(ctx, l.cfg.Copy())
	if err != nil {
		return false, err
	}
	defer func() {
		// A database that went away must not hold Close up.
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(closeCtx)
	}()
	var channel string
	if err := conn.QueryRow(ctx, `SELECT emp_resources_channel(current_schema())`).Scan(&channel); err != nil {
		return false, err
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return false, err
	}
	// Flushed after LISTEN took effect: an entry filled before may miss
	// a change made before it; one filled after (its reader's generation
	// noted after this flush) cannot.
	s.readCache.flush()
	l.pid.Store(conn.PgConn().PID())
	l.connects.Add(1)
	s.readCache.processed()
	lastHeard := time.Now()
	for {
		waitCtx, cancel := context.WithTimeout(ctx, listenSilenceCheck)
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		if err != nil {
			if ctx.Err() != nil || waitCtx.Err() == nil || conn.IsClosed() {
				return true, err
			}
			// Only the wait timed out. The heartbeats arrive ten times a
			// second: a connection that stays silent is broken without
			// knowing it (a peer gone without a reset), and is replaced.
			// Real time, not the store's clock: this is about the
			// connection's health, not what the cache answers.
			if time.Since(lastHeard) > listenSilenceLimit {
				return true, fmt.Errorf("no notification for %s", listenSilenceLimit)
			}
			continue
		}
		lastHeard = time.Now()
		if h := l.heardHook.Load(); h != nil {
			(*h)(n.Payload)
		}
		s.applyNotification(n.Payload)
		s.readCache.processed()
	}
}

// applyNotification applies one payload: "r:Type/id,…" drops those
// resources, "*" everything, "hb:<node>:<sent>" is a heartbeat (this node's
// moves the staleness bound; other nodes' are ignored).
func (s *Store) applyNotification(payload string) {
	c := s.readCache
	switch {
	case payload == "*":
		c.flush()
	case strings.HasPrefix(payload, "r:"):
		var keys []cacheKey
		for k := range strings.SplitSeq(payload[2:], ",") {
			if typ, id, ok := strings.Cut(k, "/"); ok {
				keys = append(keys, cacheKey{typ: typ, id: id})
			}
		}
		c.invalidate(keys...)
	case strings.HasPrefix(payload, "hb:"):
		node, seq, _ := strings.Cut(payload[3:], ":")
		if node != s.cacheListener.node {
			return
		}
		n, err := strconv.ParseUint(seq, 10, 64)
		if err != nil {
			return
		}
		l := s.cacheListener
		l.sentMu.Lock()
		h := l.sent[n%heartbeatsRemembered]
		l.sentMu.Unlock()
		if h.seq == n {
			c.heardHeartbeat(h.at)
		}
	}
}

// heartbeats sends the node's heartbeat every readCacheHeartbeatEvery
// until ctx ends.
func (s *Store) heartbeats(ctx context.Context) {
	t := time.NewTicker(readCacheHeartbeatEvery)
	defer t.Stop()
	for {
		if err := s.sendHeartbeat(ctx); err != nil && ctx.Err() == nil {
			s.log.Debug("store: read cache heartbeat", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sendHeartbeat notifies this node's next heartbeat, remembering when it
// was sent: when it is heard back, every write committed before then has
// been heard too (notifications arrive in commit order).
func (s *Store) sendHeartbeat(ctx context.Context) error {
	l := s.cacheListener
	l.sentMu.Lock()
	l.seq++
	n := l.seq
	l.sent[n%heartbeatsRemembered] = sentHeartbeat{seq: n, at: s.now()}
	l.sentMu.Unlock()
	payload := "hb:" + l.node + ":" + strconv.FormatUint(n, 10)
	_, err := s.w.ExecContext(ctx, sqlNotifyResources, payload)
	return err
}

// announceFlush empties every node's read cache (PostgreSQL): a change the
// triggers do not announce was made, such as compartment rows added to
// resources that exist (an added row only makes a confined read find more,
// and a create needs no announcement, so no trigger watches additions).
func (s *Store) announceFlush(ctx context.Context) error {
	if !s.d.postgres {
		return nil
	}
	_, err := s.w.ExecContext(ctx, sqlNotifyResources, "*")
	return err
}
