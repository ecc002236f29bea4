package authz

import (
	"context"
	"hash/maphash"
	"strconv"
	"sync"
	"time"

	"github.com/emedpractice/emp/internal/authrec"
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

// The revocation check is asked for every request, after the token cache.
// Revocations are rare, so the cache keeps the store's answers while the
// store's revocation epoch (a counter every revocation increments in its
// own transaction, on any node) is unchanged, and reads the epoch at most
// once every EpochTTL. A revocation made through this node's store takes
// effect here at once (LocalRevocations changed); one made on another node
// within EpochTTL. This is the whole hot path: gate → cache → store.

// RevocationSource is where revocations are kept; *store.Store is it.
type RevocationSource interface {
	// Revoked reports whether the token, its grant or its client was
	// revoked (see auth.GrantStore).
	Revoked(ctx context.Context, t authrec.TokenRef) (bool, error)
	// RevocationEpoch is the count of revocations made on any node.
	RevocationEpoch(ctx context.Context) (int64, error)
	// LocalRevocations counts the revocations made through this handle,
	// without reading the database.
	LocalRevocations() uint64
}

// DefaultEpochTTL is how long a node trusts the revocation epoch it read.
const DefaultEpochTTL = 250 * time.Millisecond

// maxRevocationAnswers bounds the kept answers; past it they start over.
const maxRevocationAnswers = 100_000

// RevocationCacheOptions tune a RevocationCache; the zero value is the
// default.
type RevocationCacheOptions struct {
	// EpochTTL is how long the node trusts the revocation epoch it read
	// (DefaultEpochTTL when zero; negative: read it on every check).
	EpochTTL time.Duration
	// Now is the clock of the epoch's age; time.Now when nil.
	Now func() time.Time
}

// RevocationCache is the RevocationChecker of the tokens this server
// issues: the store's answers, kept while no revocation happened.
type RevocationCache struct {
	src RevocationSource
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	valid   bool      // the epoch was read
	epoch   int64     // the store's revocation epoch the answers belong to
	local   uint64    // src.LocalRevocations() when the epoch was read
	read    time.Time // when the epoch was read
	answers map[string]bool
}

// NewRevocationCache returns a cache of src's answers.
func NewRevocationCache(src RevocationSource, opt RevocationCacheOptions) *RevocationCache {
	c := &RevocationCache{src: src, ttl: opt.EpochTTL, now: opt.Now}
	if c.now == nil {
		c.now = time.Now
	}
	if c.ttl == 0 {
		c.ttl = DefaultEpochTTL
	}
	return c
}

func revocationKey(t authrec.TokenRef) string {
	return t.JTI + "\x00" + t.Grant + "\x00" + t.ClientID + "\x00" + strconv.FormatInt(t.IssuedAt.Unix(), 10)
}

// IsRevoked implements RevocationChecker.
func (c *RevocationCache) IsRevoked(ctx context.Context, cl *Claims) (bool, error) {
	t := authrec.TokenRef{JTI: cl.ID, Grant: cl.Grant, ClientID: cl.ClientID, IssuedAt: cl.IssuedAt}
	local := c.src.LocalRevocations()
	now := c.now()
	c.mu.Lock()
	fresh := c.valid && c.local == local && now.Sub(c.read) < c.ttl
	c.mu.Unlock()
	if !fresh {
		e, err := c.src.RevocationEpoch(ctx)
		if err != nil {
			return false, err
		}
		c.mu.Lock()
		if !c.valid || e != c.epoch || local != c.local {
			c.answers = map[string]bool{}
		}
		c.valid, c.epoch, c.local, c.read = true, e, local, now
		c.mu.Unlock()
	}
	key := revocationKey(t)
	c.mu.Lock()
	v, ok := c.answers[key]
	epoch := c.epoch
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := c.src.Revoked(ctx, t)
	if err != nil {
		return false, err
	}
	c.mu.Lock()
	// Kept only if no revocation was seen meanwhile, here or through the
	// epoch: an answer from before a revocation must not outlive it.
	if c.epoch == epoch && c.local == local && c.src.LocalRevocations() == local {
		if len(c.answers) >= maxRevocationAnswers {
			c.answers = map[string]bool{}
		}
		c.answers[key] = v
	}
	c.mu.Unlock()
	return v, nil
}
