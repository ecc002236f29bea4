package store

import (
	"fmt"
	"testing"
	"time"
)

func (c *testClock) advance(d time.Duration) { c.set(c.now().Add(d)) }

// freshCache returns a cache of maxBytes whose changes were just read
// back.
func freshCache(maxBytes int64) (*readCache, *testClock) {
	clock := &testClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	c := newReadCache(maxBytes, clock.now)
	c.caughtUp(clock.now())
	return c, clock
}

func entry(id string, version int64, body string, patients ...string) *cacheEntry {
	return &cacheEntry{key: cacheKey{typ: "Observation", id: id}, version: version, body: []byte(body), patients: patients}
}

func fillNow(c *readCache, e *cacheEntry) { c.fill(e, c.generation(e.key)) }

func cachedVersion(c *readCache, id string) int64 {
	if e := c.get(cacheKey{typ: "Observation", id: id}); e != nil {
		return e.version
	}
	return 0
}

func TestReadCacheFillAndInvalidate(t *testing.T) {
	c, _ := freshCache(1 << 20)
	fillNow(c, entry("a", 1, `{"v":1}`, "p1"))
	if v := cachedVersion(c, "a"); v != 1 {
		t.Fatalf("cached version %d, want 1", v)
	}
	c.invalidate(cacheKey{typ: "Observation", id: "a"})
	if v := cachedVersion(c, "a"); v != 0 {
		t.Fatalf("an invalidated key still answers version %d", v)
	}
	st := ReadCacheStats{Hits: c.hits.Load(), Misses: c.misses.Load(), Fills: c.fills.Load(), Invalidations: c.invalidations.Load()}
	if st != (ReadCacheStats{Hits: 1, Misses: 1, Fills: 1, Invalidations: 1}) {
		t.Errorf("stats %+v", st)
	}
	if c.bytes.Load() != 0 {
		t.Errorf("bytes %d after the only entry went", c.bytes.Load())
	}
}

// A reader that read the database before an invalidation of its key was
// processed does not keep what it read: it may be the version replaced.
func TestReadCacheFillRace(t *testing.T) {
	c, _ := freshCache(1 << 20)
	k := cacheKey{typ: "Observation", id: "a"}
	gen := c.generation(k)
	c.invalidate(k) // the change is heard while the reader is in the database
	c.fill(entry("a", 1, `{}`), gen)
	if v := cachedVersion(c, "a"); v != 0 {
		t.Fatalf("a value read before an invalidation was kept (version %d)", v)
	}
	gen = c.generation(k)
	c.flush()
	c.fill(entry("a", 1, `{}`), gen)
	if v := cachedVersion(c, "a"); v != 0 {
		t.Fatalf("a value read before a flush was kept (version %d)", v)
	}
	fillNow(c, entry("a", 1, `{}`))
	if v := cachedVersion(c, "a"); v != 1 {
		t.Fatalf("a fill with nothing in between was not kept (version %d)", v)
	}
}

func TestReadCacheVersionNeverGoesBack(t *testing.T) {
	c, _ := freshCache(1 << 20)
	fillNow(c, entry("a", 3, `{"v":3}`))
	fillNow(c, entry("a", 2, `{"v":2}`))
	if v := cachedVersion(c, "a"); v != 3 {
		t.Fatalf("version %d after an older fill, want 3", v)
	}
	fillNow(c, entry("a", 4, `{"v":4}`))
	if v := cachedVersion(c, "a"); v != 4 {
		t.Fatalf("version %d after a newer fill, want 4", v)
	}
}

// The cache holds at most its bytes, dropping the least recently used.
func TestReadCacheEvictsByBytes(t *testing.T) {
	body := string(make([]byte, 1000))
	per := int64(len(body)+len("Observation")+len("x000")) + readCacheEntryOverhead
	c, _ := freshCache(readCacheShards * 4 * per) // room for four entries in a shard
	var ids []string
	for i := 0; len(ids) < 6; i++ { // six ids of one shard
		id := fmt.Sprintf("x%03d", i)
		if c.shard(cacheKey{typ: "Observation", id: id}) == c.shard(cacheKey{typ: "Observation", id: "x000"}) {
			ids = append(ids, id)
		}
	}
	for _, id := range ids[:4] {
		fillNow(c, entry(id, 1, body))
	}
	cachedVersion(c, ids[0]) // used: ids[1] is now the least recently used
	fillNow(c, entry(ids[4], 1, body))
	fillNow(c, entry(ids[5], 1, body))
	for i, want := range []int64{1, 0, 0, 1, 1, 1} {
		if v := cachedVersion(c, ids[i]); v != want {
			t.Errorf("%s: version %d, want %d", ids[i], v, want)
		}
	}
	if max := c.shard(cacheKey{typ: "Observation", id: ids[0]}).max; c.bytes.Load() > max {
		t.Errorf("%d bytes cached, more than the shard's %d", c.bytes.Load(), max)
	}
	// An entry larger than a shard is not kept at all.
	fillNow(c, entry("huge", 1, string(make([]byte, 8*per))))
	if v := cachedVersion(c, "huge"); v != 0 {
		t.Errorf("an entry larger than its shard was kept")
	}
}

// Past the staleness bound since the newest read of the changes began, the
// cache neither answers nor fills, until a newer read is applied.
func TestReadCacheStaleChanges(t *testing.T) {
	c, clock := freshCache(1 << 20)
	fillNow(c, entry("a", 1, `{}`))
	clock.advance(readCacheBound)
	if v := cachedVersion(c, "a"); v != 1 {
		t.Fatalf("at the bound the cache should still answer")
	}
	clock.advance(time.Millisecond)
	if c.answering() || c.get(cacheKey{typ: "Observation", id: "a"}) != nil {
		t.Fatalf("past the bound the cache still answers")
	}
	fillNow(c, entry("b", 1, `{}`))
	c.caughtUp(clock.now().Add(time.Second)) // sent later than now: the clock was set back
	if c.answering() {
		t.Fatalf("a read of the changes begun after now made the cache answer")
	}
	c.caughtUp(clock.now())
	if v := cachedVersion(c, "a"); v != 1 {
		t.Errorf("after a fresh read of the changes: version %d, want 1", v)
	}
	if v := cachedVersion(c, "b"); v != 0 {
		t.Errorf("a fill made while stale was kept")
	}
}

// A failed read of the changes empties the cache and stops it until a read
// back through the next one.
func TestReadCacheDisconnected(t *testing.T) {
	c, clock := freshCache(1 << 20)
	fillNow(c, entry("a", 1, `{}`))
	c.disconnected()
	if c.answering() {
		t.Fatal("answering after a read of the changes failed")
	}
	c.caughtUp(clock.now())
	if v := cachedVersion(c, "a"); v != 0 {
		t.Fatalf("an entry from before the disconnection answered (version %d)", v)
	}
	if c.flushes.Load() != 1 || c.bytes.Load() != 0 {
		t.Errorf("flushes %d, bytes %d", c.flushes.Load(), c.bytes.Load())
	}
}

// A restricted read from the cache answers only inside the patient's
// compartment.
func TestReadCacheCompartment(t *testing.T) {
	e := entry("a", 1, `{}`, "p1", "p2")
	if !e.inCompartment("p2") || e.inCompartment("p3") {
		t.Fatal("compartment membership")
	}
}
