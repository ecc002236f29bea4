package store

import (
	"context"
	"sync"
	"time"

	"github.com/emedpractice/emp/internal/errs"
)

// SettingsCache answers Setting from memory on the hot paths that read a
// site setting on every request (validate_profiles on every FHIR write,
// the JSON faces' switches). Settings change rarely, so the cache keeps
// the answers while the store's settings epoch (a counter every change
// increments in its own transaction, on any node) is unchanged, and reads
// the epoch at most once every TTL. A change made through this node's
// store takes effect here at once (LocalSettingChanges changed); one made
// on another node within the TTL. It is the revocation cache's scheme
// (authz.RevocationCache) for settings.
type SettingsCache struct {
	st  *Store
	ttl time.Duration
	now func() time.Time

	mu     sync.Mutex
	valid  bool      // the epoch was read
	epoch  int64     // the settings epoch the answers belong to
	local  uint64    // st.LocalSettingChanges() when the epoch was read
	read   time.Time // when the epoch was read
	values map[string]settingAnswer
}

// settingAnswer is what Store.Setting answered: a value, or NotFound.
type settingAnswer struct {
	value string
	err   error
}

// DefaultSettingsTTL is how long a node trusts the settings epoch it read:
// a setting changed on another node is seen here within it.
const DefaultSettingsTTL = 250 * time.Millisecond

// SettingsCacheOptions tune a SettingsCache; the zero value is the default.
type SettingsCacheOptions struct {
	// TTL is how long the node trusts the settings epoch it read
	// (DefaultSettingsTTL when zero; negative: read it on every call).
	TTL time.Duration
	// Now is the clock of the epoch's age; time.Now when nil. A clock
	// that stands still keeps the epoch read forever: changes made
	// through other stores are then never seen.
	Now func() time.Time
}

// NewSettingsCache returns a cache of st's settings.
func NewSettingsCache(st *Store, opt SettingsCacheOptions) *SettingsCache {
	c := &SettingsCache{st: st, ttl: opt.TTL, now: opt.Now}
	if c.now == nil {
		c.now = time.Now
	}
	if c.ttl == 0 {
		c.ttl = DefaultSettingsTTL
	}
	return c
}

// Setting is Store.Setting, answered from memory while no setting changed.
func (c *SettingsCache) Setting(ctx context.Context, key string) (string, error) {
	local := c.st.LocalSettingChanges()
	now := c.now()
	c.mu.Lock()
	fresh := c.valid && c.local == local && now.Sub(c.read) < c.ttl
	if a, ok := c.values[key]; ok && fresh {
		c.mu.Unlock()
		return a.value, a.err
	}
	c.mu.Unlock()
	if !fresh {
		e, err := c.st.SettingsEpoch(ctx)
		if err != nil {
			return "", err
		}
		c.mu.Lock()
		if !c.valid || e != c.epoch || local != c.local {
			c.values = map[string]settingAnswer{}
		}
		c.valid, c.epoch, c.local, c.read = true, e, local, now
		a, ok := c.values[key]
		c.mu.Unlock()
		if ok {
			return a.value, a.err
		}
	}
	c.mu.Lock()
	epoch := c.epoch
	c.mu.Unlock()
	v, err := c.st.Setting(ctx, key)
	if err != nil && errs.KindOf(err) != errs.NotFound {
		return "", err
	}
	c.mu.Lock()
	// Kept only if no change was seen meanwhile, here or through the
	// epoch: a value read before a change must not outlive it. The value
	// itself was read after the epoch, so it is never older than it.
	if c.epoch == epoch && c.local == local && c.st.LocalSettingChanges() == local {
		c.values[key] = settingAnswer{value: v, err: err}
	}
	c.mu.Unlock()
	return v, err
}
