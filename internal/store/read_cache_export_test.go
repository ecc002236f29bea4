package store

import (
	"sync"
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

// ReadCacheListenerPID is the backend of s's listening connection.
func ReadCacheListenerPID(s *Store) uint32 { return s.cacheListener.pid.Load() }

// ReadCacheConnects counts the connections s's listener made.
func ReadCacheConnects(s *Store) uint64 { return s.cacheListener.connects.Load() }

// HoldReadCacheListener stops s's listener before it applies its next
// notification, until release is called (at the latest when the test
// ends).
func HoldReadCacheListener(t testing.TB, s *Store) (release func()) {
	return hold(t, &s.cacheListener.heardHook, func(gate <-chan struct{}) func(string) {
		return func(string) { <-gate }
	})
}

// HoldReadCacheConnect stops s's listener before its next attempt to
// connect, until release is called (at the latest when the test ends).
func HoldReadCacheConnect(t testing.TB, s *Store) (release func()) {
	return hold(t, &s.cacheListener.connectHook, func(gate <-chan struct{}) func() {
		return func() { <-gate }
	})
}

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

// SyncReadCache returns once s's listener has applied every notification
// of the transactions committed before it was called: it notifies a
// marker of its own and waits for it (notifications arrive in commit
// order).
func SyncReadCache(t testing.TB, s *Store) {
	t.Helper()
	marker := "sync:" + time.Now().Format(time.RFC3339Nano)
	heard := make(chan struct{})
	var once sync.Once
	hook := func(payload string) {
		if payload == marker {
			once.Do(func() { close(heard) })
		}
	}
	s.cacheListener.heardHook.Store(&hook)
	defer s.cacheListener.heardHook.Store(nil)
	if _, err := s.w.Exec(sqlNotifyResources, marker); err != nil {
		t.Fatal(err)
	}
	select {
	case <-heard:
	case <-time.After(time.Minute):
		t.Fatal("read cache: the listener did not hear its marker within a minute")
	}
}
