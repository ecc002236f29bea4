package store

import (
	"hash/maphash"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// On PostgreSQL a read by id costs the node about twice the CPU it costs on
// SQLite (driver, pool, socket, wake-ups) and the database as much again, so
// a node keeps the current versions of the resources it has read: the read
// cache. It answers Read (unrestricted and confined to a patient's
// compartment) without going to the database, and stays coherent with every
// writer through the changes the database records (read_cache_poll.go):
//
//   - Every update or deletion of a resource row, and every removal of a
//     compartment row, is recorded by a trigger (migration 0022) in
//     resource_changes, in the writing transaction; every node reads the
//     rows it has not seen ten times a second and drops the keys they
//     name. A create needs no record: a read that found nothing is never
//     cached.
//   - A write made through this node drops its keys itself right after its
//     commit (invalidateAfterCommit), so the writer reads its own write at
//     once.
//   - A read of the changes sees every transaction committed before it
//     began. The cache answers only while the newest read that succeeded
//     began at most readCacheBound ago: an answer is never staler than
//     that, even when reads of the changes are slow or fail.
//   - A reader notes its shard's generation before it reads the database and
//     fills only if no invalidation of that shard was processed in between,
//     so a value read before a change is never kept after the change was
//     read; and a newer cached version is never replaced by an older one.
//
// SQLite needs none of this: its reads are in-process.

// readCacheBound is the staleness bound: the cache answers only while the
// newest read of the changes began at most this long ago.
const readCacheBound = 500 * time.Millisecond

// readCacheShards splits the cache so that concurrent readers of different
// resources rarely wait on one another's lock.
const readCacheShards = 64

// readCacheEntryOverhead approximates what an entry costs besides its body
// and strings (the entry, its map slot, list links).
const readCacheEntryOverhead = 160

// cacheKey names a resource.
type cacheKey struct{ typ, id string }

// cacheEntry is the current version of one resource as Read returns it,
// with the patients whose compartment holds it. An entry is never changed
// once filled (only its list links are, under its shard's lock): a newer
// version is a new entry.
type cacheEntry struct {
	key      cacheKey
	version  int64
	updated  int64 // Unix microseconds
	deleted  bool
	body     []byte
	patients []string
	size     int64

	prev, next *cacheEntry // the shard's LRU list
}

// inCompartment reports whether patient's compartment holds the resource.
func (e *cacheEntry) inCompartment(patient string) bool {
	return slices.Contains(e.patients, patient)
}

// cacheShard is one part of the cache: a map, its least recently used
// order, and its generation.
type cacheShard struct {
	mu    sync.Mutex
	m     map[cacheKey]*cacheEntry
	lru   cacheEntry // sentinel: lru.next is the most recently used
	bytes int64
	max   int64
	// gen counts invalidations of the shard's keys and flushes: a fill
	// is kept only if gen did not change since its reader noted it.
	gen uint64
}

// readCache is a node's cache of current resource versions; see above.
type readCache struct {
	seed   maphash.Seed
	shards [readCacheShards]cacheShard
	now    func() time.Time

	// heard is when the newest read of the changes that was applied
	// began (by now, with its monotonic reading when the clock has one);
	// nil before the first and after one failed, until one succeeds.
	heard atomic.Pointer[time.Time]

	hits, misses, fills, invalidations, flushes atomic.Uint64
	bytes                                       atomic.Int64

	// changed is closed and replaced whenever the poller read the
	// changes, or failed to (tests wait on it).
	changedMu sync.Mutex
	changed   chan struct{}
}

func newReadCache(maxBytes int64, now func() time.Time) *readCache {
	c := &readCache{seed: maphash.MakeSeed(), now: now, changed: make(chan struct{})}
	for i := range c.shards {
		sh := &c.shards[i]
		sh.m = map[cacheKey]*cacheEntry{}
		sh.lru.next, sh.lru.prev = &sh.lru, &sh.lru
		sh.max = max(maxBytes/readCacheShards, 1)
	}
	return c
}

func (c *readCache) shard(k cacheKey) *cacheShard {
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.WriteString(k.typ)
	h.WriteByte('/')
	h.WriteString(k.id)
	return &c.shards[h.Sum64()%readCacheShards]
}

// answering reports whether the cache may answer now: a read of the
// changes that began at most readCacheBound ago was applied.
func (c *readCache) answering() bool {
	heard := c.heard.Load()
	if heard == nil {
		return false
	}
	age := c.now().Sub(*heard)
	return age >= 0 && age <= readCacheBound // a clock set back answers nothing until the next read
}

// get returns the cached entry of k, or nil. It answers nothing while the
// changes read are stale.
func (c *readCache) get(k cacheKey) *cacheEntry {
	if !c.answering() {
		return nil
	}
	sh := c.shard(k)
	sh.mu.Lock()
	e := sh.m[k]
	if e != nil {
		sh.unlink(e)
		sh.pushFront(e)
	}
	sh.mu.Unlock()
	if e == nil {
		c.misses.Add(1)
	} else {
		c.hits.Add(1)
	}
	return e
}

// generation is noted by a reader before it reads k from the database, for
// fill.
func (c *readCache) generation(k cacheKey) uint64 {
	sh := c.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.gen
}

// fill keeps e, read from the primary after its reader noted gen, unless
// an invalidation of its shard was processed since (the value may predate
// it), the changes read are stale, or a newer version is cached already.
func (c *readCache) fill(e *cacheEntry, gen uint64) {
	if !c.answering() {
		return
	}
	e.size = int64(len(e.body)+len(e.key.typ)+len(e.key.id)) + readCacheEntryOverhead
	for _, p := range e.patients {
		e.size += int64(len(p)) + 16
	}
	sh := c.shard(e.key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.gen != gen || e.size > sh.max {
		return
	}
	if old := sh.m[e.key]; old != nil {
		if old.version >= e.version {
			return
		}
		c.removeLocked(sh, old)
	}
	sh.m[e.key] = e
	sh.pushFront(e)
	sh.bytes += e.size
	c.bytes.Add(e.size)
	c.fills.Add(1)
	for sh.bytes > sh.max {
		c.removeLocked(sh, sh.lru.prev)
	}
}

// invalidate drops the keys: their resources changed.
func (c *readCache) invalidate(keys ...cacheKey) {
	for _, k := range keys {
		sh := c.shard(k)
		sh.mu.Lock()
		sh.gen++
		if e := sh.m[k]; e != nil {
			c.removeLocked(sh, e)
		}
		sh.mu.Unlock()
	}
	c.invalidations.Add(uint64(len(keys)))
}

// flush drops everything: what changed is not known.
func (c *readCache) flush() {
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		sh.gen++
		for _, e := range sh.m {
			c.removeLocked(sh, e)
		}
		sh.mu.Unlock()
	}
	c.flushes.Add(1)
}

// disconnected stops the answers until a read of the changes succeeds
// again, and drops everything: what changed meanwhile is not known.
func (c *readCache) disconnected() {
	c.heard.Store(nil)
	c.flush()
}

// caughtUp records that every change committed before began has been
// applied. The poller reads one after another, so began only grows.
func (c *readCache) caughtUp(began time.Time) { c.heard.Store(&began) }

// processed wakes those waiting for the poller (tests).
func (c *readCache) processed() {
	c.changedMu.Lock()
	close(c.changed)
	c.changed = make(chan struct{})
	c.changedMu.Unlock()
}

// next returns a channel closed when the poller has read the changes once
// more (tests).
func (c *readCache) next() <-chan struct{} {
	c.changedMu.Lock()
	defer c.changedMu.Unlock()
	return c.changed
}

func (c *readCache) removeLocked(sh *cacheShard, e *cacheEntry) {
	delete(sh.m, e.key)
	sh.unlink(e)
	sh.bytes -= e.size
	c.bytes.Add(-e.size)
}

func (sh *cacheShard) unlink(e *cacheEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (sh *cacheShard) pushFront(e *cacheEntry) {
	e.prev, e.next = &sh.lru, sh.lru.next
	sh.lru.next.prev = e
	sh.lru.next = e
}

// ReadCacheStats are the read cache's counters since the store opened
// (all zero when it has none: SQLite, or turned off).
type ReadCacheStats struct {
	Hits, Misses, Fills, Invalidations, Flushes uint64
	Bytes                                       int64
	// Answering reports whether the cache may answer now (the
	// changes were read within the bound).
	Answering bool
}

// ReadCacheStats reports the read cache's counters.
func (s *Store) ReadCacheStats() ReadCacheStats {
	c := s.readCache
	if c == nil {
		return ReadCacheStats{}
	}
	return ReadCacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Fills: c.fills.Load(),
		Invalidations: c.invalidations.Load(), Flushes: c.flushes.Load(), Bytes: c.bytes.Load(),
		Answering: c.answering()}
}
