package authz

import (
	"hash/maphash"
	"sync"
	"time"
)

// tokenCache remembers verified tokens, so a client's repeated requests skip
// the signature check (tens of microseconds for ES256, a large part of a FHIR
// read's budget). Entries are keyed by a seeded 64-bit hash of the token and
// hold the token itself: a hit counts only when the whole token is equal, so
// two tokens can never share a Principal, whatever their hashes. An entry
// lives until its token expires.
type tokenCache struct {
	max  int // <= 0: disabled
	seed maphash.Seed
	mu   sync.RWMutex
	m    map[uint64]cacheEntry
}

type cacheEntry struct {
	token string
	p     *Principal
	until time.Time
}

func newTokenCache(max int) *tokenCache {
	c := &tokenCache{max: max, seed: maphash.MakeSeed()}
	if max > 0 {
		c.m = make(map[uint64]cacheEntry)
	}
	return c
}

func (c *tokenCache) get(token string, now time.Time) (*Principal, bool) {
	if c.max <= 0 {
		return nil, false
	}
	h := maphash.String(c.seed, token)
	c.mu.RLock()
	e, ok := c.m[h]
	c.mu.RUnlock()
	if !ok || e.token != token || !now.Before(e.until) {
		return nil, false
	}
	return e.p, true
}

func (c *tokenCache) put(token string, p *Principal, until, now time.Time) {
	if c.max <= 0 {
		return
	}
	h := maphash.String(c.seed, token)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		c.evict(now)
	}
	c.m[h] = cacheEntry{token: token, p: p, until: until}
}

// evict drops the expired entries, then, if the cache is still full, enough
// others (in the map's random order) to leave a quarter free, so the sweep
// runs once per many inserts.
func (c *tokenCache) evict(now time.Time) {
	for k, e := range c.m {
		if !now.Before(e.until) {
			delete(c.m, k)
		}
	}
	target := c.max * 3 / 4
	for k := range c.m {
		if len(c.m) <= target {
			break
		}
		delete(c.m, k)
	}
}

func (c *tokenCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
