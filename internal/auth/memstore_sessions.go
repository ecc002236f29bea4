package auth

import (
	"context"
	"time"
)

// SetPasswordHash implements UserStore.
func (m *MemStore) SetPasswordHash(ctx context.Context, kind, id, hash string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch kind {
	case KindStaff:
		u, ok := m.users[id]
		if !ok {
			return notFound("user")
		}
		u.PasswordHash = hash
		m.users[id] = u
	case KindPatient:
		u, ok := m.patientUsers[id]
		if !ok {
			return notFound("user")
		}
		u.PasswordHash = hash
		m.patientUsers[id] = u
	default:
		return notFound("user")
	}
	return nil
}

// CreateSession implements SessionStore.
func (m *MemStore) CreateSession(ctx context.Context, s Session) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.sessions[s.Hash]; ok {
		return conflict("session")
	}
	m.sessions[s.Hash] = s
	return nil
}

// Session implements SessionStore.
func (m *MemStore) Session(ctx context.Context, hash string) (Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[hash]
	if !ok {
		return Session{}, notFound("session")
	}
	return s, nil
}

// TouchSession implements SessionStore.
func (m *MemStore) TouchSession(ctx context.Context, hash string, seen, idleUntil time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[hash]
	if !ok {
		return notFound("session")
	}
	s.SeenAt, s.IdleExpiresAt = seen, idleUntil
	m.sessions[hash] = s
	return nil
}

// EndSession implements SessionStore.
func (m *MemStore) EndSession(ctx context.Context, hash string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for h, s := range m.sessions {
		if h == hash || s.Parent == hash {
			delete(m.sessions, h)
		}
	}
	return nil
}

// EndUserSessions implements SessionStore.
func (m *MemStore) EndUserSessions(ctx context.Context, userKind, userID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	ended := map[string]bool{}
	for h, s := range m.sessions {
		if s.UserKind == userKind && s.UserID == userID {
			ended[h] = true
		}
	}
	for h, s := range m.sessions {
		if ended[h] || ended[s.Parent] {
			delete(m.sessions, h)
		}
	}
	return nil
}
