package auth

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// The operator's and the portal's listings and changes, kept apart from the
// flows the token endpoint runs.

// SetClientSecretHash implements ClientStore.
func (m *MemStore) SetClientSecretHash(ctx context.Context, id, hash string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.clients[id]
	if !ok {
		return notFound("client")
	}
	c.SecretHash = hash
	m.clients[id] = c
	return nil
}

// DeleteClient implements ClientStore.
func (m *MemStore) DeleteClient(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.clients[id]; !ok {
		return notFound("client")
	}
	delete(m.clients, id)
	m.clientRevoked[id] = allTokens
	m.clientOrder = slices.DeleteFunc(m.clientOrder, func(x string) bool { return x == id })
	for gid, g := range m.grants {
		if g.ClientID == id {
			delete(m.grants, gid)
		}
	}
	for h, t := range m.refresh {
		if t.ClientID == id {
			delete(m.refresh, h)
		}
	}
	for h, c := range m.codes {
		if c.ClientID == id {
			delete(m.codes, h)
		}
	}
	for h, l := range m.launches {
		if l.ClientID == id {
			delete(m.launches, h)
		}
	}
	return nil
}

// Users implements UserStore.
func (m *MemStore) Users(ctx context.Context) ([]User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]User, 0, len(m.users))
	for _, u := range m.users {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b User) int { return cmp.Compare(a.Username, b.Username) })
	return out, nil
}

// PatientUsers implements UserStore.
func (m *MemStore) PatientUsers(ctx context.Context) ([]PatientUser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]PatientUser, 0, len(m.patientUsers))
	for _, u := range m.patientUsers {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b PatientUser) int { return cmp.Compare(a.Username, b.Username) })
	return out, nil
}

// GrantsBySubject implements GrantStore.
func (m *MemStore) GrantsBySubject(ctx context.Context, subject string) ([]Grant, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Grant
	for _, g := range m.grants {
		if g.Subject == subject {
			out = append(out, m.withLastUse(g))
		}
	}
	slices.SortFunc(out, func(a, b Grant) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// withLastUse returns a copy of g with LastUsedAt derived from its refresh
// tokens. The caller holds m.mu.
func (m *MemStore) withLastUse(g Grant) Grant {
	g = cloneGrant(g)
	g.LastUsedAt = time.Time{}
	for _, t := range m.refresh {
		if t.GrantID == g.ID && t.CreatedAt.After(g.LastUsedAt) {
			g.LastUsedAt = t.CreatedAt
		}
	}
	return g
}
