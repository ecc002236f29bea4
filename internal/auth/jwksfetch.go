package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Limits on fetching a client's registered JWKS.
const (
	maxJWKSBody = 256 << 10
	// jwksDefaultTTL is how long a set without caching headers is kept.
	jwksDefaultTTL = 5 * time.Minute
	// jwksMaxTTL bounds what a generous Cache-Control buys: a client that
	// rotates its keys should not wait a day.
	jwksMaxTTL = time.Hour
	// jwksMinRefetch bounds the refetches an unknown kid may cause: the kid
	// is read before any signature is checked, so anyone can send one.
	jwksMinRefetch = 10 * time.Second
	jwksCacheSize  = 1024
	jwksTimeout    = 10 * time.Second
)

// jwksCache keeps fetched key sets no longer than their Cache-Control
// allows (SMART#341): no-store and no-cache are not kept at all, max-age
// (less Age) or Expires bounds the rest.
type jwksCache struct {
	mu      sync.Mutex
	entries map[string]jwksEntry
}

type jwksEntry struct {
	keys    []jose.JSONWebKey
	fetched time.Time
	expires time.Time
}

func newJWKSCache() *jwksCache { return &jwksCache{entries: map[string]jwksEntry{}} }

// fetchJWKS returns the set at url, from the cache when fresh. refetch asks for
// a new copy (a kid was not found), granted at most every jwksMinRefetch.
func (s *Server) fetchJWKS(ctx context.Context, url string, refetch bool) ([]jose.JSONWebKey, error) {
	c := s.jwksCache
	now := s.now()
	c.mu.Lock()
	e, ok := c.entries[url]
	c.mu.Unlock()
	if ok && now.Before(e.expires) && (!refetch || now.Sub(e.fetched) < jwksMinRefetch) {
		return e.keys, nil
	}
	keys, ttl, err := s.getJWKS(ctx, url)
	if err != nil {
		return nil, err
	}
	if ttl > 0 {
		c.mu.Lock()
		if len(c.entries) >= jwksCacheSize {
			c.evict(now)
		}
		c.entries[url] = jwksEntry{keys: keys, fetched: now, expires: now.Add(ttl)}
		c.mu.Unlock()
	}
	return keys, nil
}

// inlineJWKS parses a key set registered by value, keeping the parsed
// keys: parsing RSA keys costs a fifth of a client-credentials request.
// Entries are keyed by the set's hash, so an updated registration is a new
// entry, never a stale one.
func (s *Server) inlineJWKS(jwks string) ([]jose.JSONWebKey, error) {
	c := s.jwksCache
	key := "inline:" + HashSecret(jwks)
	now := s.now()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.keys, nil
	}
	keys, err := parseJWKS([]byte(jwks))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.entries) >= jwksCacheSize {
		c.evict(now)
	}
	c.entries[key] = jwksEntry{keys: keys, fetched: now, expires: now.Add(jwksMaxTTL)}
	c.mu.Unlock()
	return keys, nil
}

// evict drops expired entries, or any one when none has expired. Must hold
// c.mu.
func (c *jwksCache) evict(now time.Time) {
	for k, e := range c.entries {
		if !now.Before(e.expires) {
			delete(c.entries, k)
		}
	}
	for k := range c.entries {
		if len(c.entries) < jwksCacheSize {
			break
		}
		delete(c.entries, k)
	}
}

// getJWKS fetches a key set and says how long it may be cached.
func (s *Server) getJWKS(ctx context.Context, url string) ([]jose.JSONWebKey, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, jwksTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Accept", "application/json, application/jwk-set+json")
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("fetch JWKS %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("fetch JWKS %s: status %d", url, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBody+1))
	if err != nil {
		return nil, 0, fmt.Errorf("fetch JWKS %s: %w", url, err)
	}
	if len(body) > maxJWKSBody {
		return nil, 0, fmt.Errorf("fetch JWKS %s: over %d bytes", url, maxJWKSBody)
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return nil, 0, fmt.Errorf("fetch JWKS %s: %w", url, err)
	}
	return keys, cacheTTL(resp.Header, s.now()), nil
}

// parseJWKS reads a JSON Web Key Set. Keys go-jose cannot read make the
// whole set fail: a set is the client's to get right.
func parseJWKS(b []byte) ([]jose.JSONWebKey, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("not a JSON Web Key Set: %w", err)
	}
	return set.Keys, nil
}

// cacheTTL is how long a response may be kept by a private cache.
func cacheTTL(h http.Header, now time.Time) time.Duration {
	maxAge, hasMaxAge := time.Duration(0), false
	for _, v := range h.Values("Cache-Control") {
		for _, d := range strings.Split(v, ",") {
			name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(name) {
			case "no-store", "no-cache":
				return 0
			case "max-age":
				n, err := strconv.Atoi(strings.Trim(val, `"`))
				if err != nil || n < 0 {
					return 0 // unreadable: the safe reading
				}
				maxAge, hasMaxAge = time.Duration(n)*time.Second, true
			}
		}
	}
	var ttl time.Duration
	switch {
	case hasMaxAge:
		ttl = maxAge
		if age, err := strconv.Atoi(h.Get("Age")); err == nil && age > 0 {
			ttl -= time.Duration(age) * time.Second
		}
	case h.Get("Expires") != "":
		exp, err := http.ParseTime(h.Get("Expires"))
		if err != nil {
			return 0 // RFC 9111 5.3: an invalid Expires means already expired
		}
		date := now
		if d, err := http.ParseTime(h.Get("Date")); err == nil {
			date = d
		}
		ttl = exp.Sub(date)
	default:
		ttl = jwksDefaultTTL
	}
	return max(0, min(ttl, jwksMaxTTL))
}
