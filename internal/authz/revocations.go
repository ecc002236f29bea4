package authz

import (
	"context"
	"sync"
)

// MemRevocations is a RevocationChecker in memory, for tests and tools.
type MemRevocations struct {
	mu     sync.Mutex
	tokens map[string]bool
	grants map[string]bool
}

// Revoke revokes one token by its jti.
func (m *MemRevocations) Revoke(jti string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tokens == nil {
		m.tokens = map[string]bool{}
	}
	m.tokens[jti] = true
}

// RevokeGrant revokes every token of a grant.
func (m *MemRevocations) RevokeGrant(grant string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.grants == nil {
		m.grants = map[string]bool{}
	}
	m.grants[grant] = true
}

// IsRevoked implements RevocationChecker.
func (m *MemRevocations) IsRevoked(ctx context.Context, c *Claims) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tokens[c.ID] || (c.Grant != "" && m.grants[c.Grant]), nil
}
