package api

import (
	"strconv"
	"sync"
)

// recordCache keeps mapped records by resource version. Mapping a record
// means decoding the resource's JSON, which costs several times the read
// itself; a record mapped from one version of a resource is the same every
// time (integer ids never change), so reads of unchanged resources reuse
// it. Keys carry the version, so an update is never served stale. Records
// that depend on other resources (a facility's organization, a policy's
// subscriber) are not cached. The cache belongs to one Handler; it is
// emptied when full.
type recordCache struct {
	mu  sync.Mutex
	m   map[string]any
	max int
}

func newRecordCache(max int) *recordCache {
	return &recordCache{m: make(map[string]any, 256), max: max}
}

func cacheKey(recordName, id string, version int64) string {
	return recordName + "/" + id + "/" + strconv.FormatInt(version, 10)
}

func (c *recordCache) get(key string) (any, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	v, ok := c.m[key]
	c.mu.Unlock()
	return v, ok
}

func (c *recordCache) put(key string, v any) {
	if c == nil {
		return
	}
	c.mu.Lock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[key] = v
	c.mu.Unlock()
}
