package store

import (
	"errors"
	"testing"
	"time"
)

// What the read cache's tests in package store_test need to see and hold.

// ReadCacheHolds reports whether s's read cache holds typ/id, without
// counting a hit or a miss.
func ReadCacheHolds(s *Store, typ, id string) bool {
	k := cacheKey{typ: typ, id: id}
	sh := s.readCache.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.m[k] != nil
}

// HoldReadCachePoller stops s's poller before it applies its next read
// of the changes, until release is called (at the latest when the test
// ends).
func HoldReadCachePoller(t testing.TB, s *Store) (release func()) {
	return hold(t, &s.cachePoller.pollHook, func(gate <-chan struct{}) func() error {
		return func() error { <-gate; return nil }
	})
}

// FailReadCachePolls makes s's reads of the changes fail until release is
// called (at the latest when the test ends).
func FailReadCachePolls(t testing.TB, s *Store) (release func()) {
	return hold(t, &s.cachePoller.pollHook, func(<-chan struct{}) func() error {
		return func() error { return errors.New("a read of the changes that fails (test)") }
	})
}

// ReadCachePollFailures counts s's reads of the changes that failed, each
// counted once the cache was emptied.
func ReadCachePollFailures(s *Store) uint64 { return s.cachePoller.failures.Load() }

type hookPointer[F any] interface {
	Store(*F)
}

func hold[F any](t testing.TB, p hookPointer[F], hook func(gate <-chan struct{}) F) (release func()) {
	gate := make(chan struct{})
	h := hook(gate)
	p.Store(&h)
	released := false
	release = func() {
		if !released {
			released = true
			p.Store(nil)
			close(gate)
		}
	}
	t.Cleanup(release)
	return release
}

// WaitReadCache waits until cond holds, looking again each time s's
// listener has processed something; the deadline only bounds a failure.
func WaitReadCache(t testing.TB, s *Store, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(time.Minute)
	for {
		next := s.readCache.next()
		if cond() {
			return
		}
		select {
		case <-next:
		case <-deadline:
			t.Fatalf("read cache: %s: not within a minute", what)
		}
	}
}

// SyncReadCache returns once s's poller has applied a read of the changes
// that began after it was called: every transaction committed before then
// has been applied.
func SyncReadCache(t testing.TB, s *Store) {
	t.Helper()
	p := s.cachePoller
	after := p.started.Load()
	WaitReadCache(t, s, "a read of the changes", func() bool { return p.completed.Load() > after })
}
