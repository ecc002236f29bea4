package loginthrottle

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/emedpractice/emp/internal/authrec"
)

// Mem is a Store in one process, for tests and tools that run without a
// database; a server keeps the counts in its store so that every node
// shares them. It forgets a key when maxMemKeys are kept and a new one
// comes, rather than grow without bound.
type Mem struct {
	mu   sync.Mutex
	rows map[string]authrec.ThrottleEntry
}

const maxMemKeys = 100_000

// NewMem returns an empty Mem.
func NewMem() *Mem { return &Mem{rows: map[string]authrec.ThrottleEntry{}} }

var _ Store = (*Mem)(nil)

// ThrottleFail implements Store.
func (m *Mem) ThrottleFail(ctx context.Context, key string, at, resetBefore time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.rows[key]
	if !ok && len(m.rows) >= maxMemKeys {
		clear(m.rows)
	}
	if !ok || e.LastAt.Before(resetBefore) {
		e = authrec.ThrottleEntry{Key: key}
	}
	e.Failures++
	e.LastAt = at
	m.rows[key] = e
	return e.Failures, nil
}

// ThrottleHold implements Store.
func (m *Mem) ThrottleHold(ctx context.Context, key string, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.rows[key]; ok && e.Until.Before(until) {
		e.Until = until
		m.rows[key] = e
	}
	return nil
}

// ThrottleEntries implements Store.
func (m *Mem) ThrottleEntries(ctx context.Context, keys ...string) ([]authrec.ThrottleEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []authrec.ThrottleEntry
	for _, k := range keys {
		if e, ok := m.rows[k]; ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// ThrottleList implements Store.
func (m *Mem) ThrottleList(ctx context.Context, since time.Time, limit int) ([]authrec.ThrottleEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []authrec.ThrottleEntry
	for _, e := range m.rows {
		if !e.LastAt.Before(since) {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b authrec.ThrottleEntry) int {
		return cmp.Or(b.LastAt.Compare(a.LastAt), cmp.Compare(a.Key, b.Key))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// ThrottleClear implements Store.
func (m *Mem) ThrottleClear(ctx context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.rows, key)
	return nil
}
