package auth

import (
	"context"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/emedpractice/emp/internal/errs"
)

// MemStore is a Storage in memory, for tests and single-process tools. It
// never forgets anything; a long-running server wants the SQL store.
type MemStore struct {
	mu            sync.Mutex
	clients       map[string]Client
	clientOrder   []string
	users         map[string]User
	patientUsers  map[string]PatientUser
	interactions  map[string]Interaction
	launches      map[string]Launch
	codes         map[string]Code
	assertionIDs  map[string]time.Time
	grants        map[string]Grant
	refresh       map[string]RefreshToken
	revokedTokens map[string]time.Time
	// clientRevoked: per client, the iat up to which its tokens are
	// refused (see SetClientStatus).
	clientRevoked map[string]time.Time
	settings      map[string]string
	sessions      map[string]Session
	// Now is the clock of client status changes; time.Now by default.
	Now func() time.Time
}

// allTokens is a revocation time after every iat.
var allTokens = time.Unix(1<<62, 0)

// NewMemStore returns an empty store.
func NewMemStore() *MemStore {
	return &MemStore{
		clients:       map[string]Client{},
		users:         map[string]User{},
		patientUsers:  map[string]PatientUser{},
		interactions:  map[string]Interaction{},
		launches:      map[string]Launch{},
		codes:         map[string]Code{},
		assertionIDs:  map[string]time.Time{},
		grants:        map[string]Grant{},
		refresh:       map[string]RefreshToken{},
		revokedTokens: map[string]time.Time{},
		clientRevoked: map[string]time.Time{},
		settings:      map[string]string{},
		sessions:      map[string]Session{},
		Now:           time.Now,
	}
}

var _ Storage = (*MemStore)(nil)

func notFound(what string) error       { return errs.E(errs.NotFound, "%s not found", what) }
func conflict(what string) error       { return errs.E(errs.Conflict, "%s exists", what) }
func cloneStrings(s []string) []string { return slices.Clone(s) }

func cloneClient(c Client) Client {
	c.RedirectURIs = cloneStrings(c.RedirectURIs)
	c.PostLogoutRedirectURIs = cloneStrings(c.PostLogoutRedirectURIs)
	c.GrantTypes = cloneStrings(c.GrantTypes)
	c.Contacts = cloneStrings(c.Contacts)
	return c
}

// CreateClient implements ClientStore.
func (m *MemStore) CreateClient(ctx context.Context, c Client) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.clients[c.ID]; ok {
		return conflict("client")
	}
	m.clients[c.ID] = cloneClient(c)
	if _, ok := m.clientRevoked[c.ID]; ok {
		m.clientRevoked[c.ID] = m.Now()
	}
	m.clientOrder = append(m.clientOrder, c.ID)
	return nil
}

// Client implements ClientStore.
func (m *MemStore) Client(ctx context.Context, id string) (Client, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.clients[id]
	if !ok {
		return Client{}, notFound("client")
	}
	return cloneClient(c), nil
}

// Clients implements ClientStore.
func (m *MemStore) Clients(ctx context.Context) ([]Client, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Client, 0, len(m.clientOrder))
	for _, id := range m.clientOrder {
		out = append(out, cloneClient(m.clients[id]))
	}
	return out, nil
}

// SetClientStatus implements ClientStore.
func (m *MemStore) SetClientStatus(ctx context.Context, id string, s ClientStatus) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.clients[id]
	if !ok {
		return notFound("client")
	}
	switch {
	case s == ClientDisabled:
		now := m.Now()
		for gid, g := range m.grants {
			if g.ClientID == id && g.RevokedAt.IsZero() {
				g.RevokedAt = now
				m.grants[gid] = g
			}
		}
		m.clientRevoked[id] = allTokens
	case c.Status == ClientDisabled:
		m.clientRevoked[id] = m.Now()
	}
	c.Status = s
	m.clients[id] = c
	return nil
}

// OriginRegistered implements ClientStore.
func (m *MemStore) OriginRegistered(ctx context.Context, origin string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, c := range m.clients {
		if c.Status != ClientApproved {
			continue
		}
		for _, r := range c.RedirectURIs {
			// A native app's private-use URI has no origin: it matches
			// none, not the empty one.
			if o := OriginOf(r); o != "" && o == origin {
				return true, nil
			}
		}
	}
	return false, nil
}

// OriginOf is the origin (scheme://host[:port]) of an absolute URL as a
// browser's Origin header writes it, or "" when u has none. The SQL store
// may index clients by the origins of their redirect URIs with it.
func OriginOf(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Scheme == "" || p.Host == "" {
		return ""
	}
	return p.Scheme + "://" + p.Host
}

// CreateUser implements UserStore.
func (m *MemStore) CreateUser(ctx context.Context, u User) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.users[u.ID]; ok {
		return conflict("user")
	}
	for _, x := range m.users {
		if x.Username == u.Username {
			return conflict("username")
		}
	}
	m.users[u.ID] = u
	return nil
}

// UserByID implements UserStore.
func (m *MemStore) UserByID(ctx context.Context, id string) (User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[id]
	if !ok {
		return User{}, notFound("user")
	}
	return u, nil
}

// UserByUsername implements UserStore.
func (m *MemStore) UserByUsername(ctx context.Context, username string) (User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, u := range m.users {
		if u.Username == username {
			return u, nil
		}
	}
	return User{}, notFound("user")
}

// CreatePatientUser implements UserStore.
func (m *MemStore) CreatePatientUser(ctx context.Context, u PatientUser) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.patientUsers[u.ID]; ok {
		return conflict("patient user")
	}
	for _, x := range m.patientUsers {
		if x.Username == u.Username {
			return conflict("username")
		}
	}
	m.patientUsers[u.ID] = u
	return nil
}

// PatientUserByID implements UserStore.
func (m *MemStore) PatientUserByID(ctx context.Context, id string) (PatientUser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.patientUsers[id]
	if !ok {
		return PatientUser{}, notFound("patient user")
	}
	return u, nil
}

// PatientUserByUsername implements UserStore.
func (m *MemStore) PatientUserByUsername(ctx context.Context, username string) (PatientUser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, u := range m.patientUsers {
		if u.Username == username {
			return u, nil
		}
	}
	return PatientUser{}, notFound("patient user")
}

func cloneInteraction(in Interaction) Interaction {
	in.FHIRContext = slices.Clone(in.FHIRContext)
	return in
}

// SaveInteraction implements FlowStore.
func (m *MemStore) SaveInteraction(ctx context.Context, in Interaction) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.interactions[in.ID] = cloneInteraction(in)
	return nil
}

// Interaction implements FlowStore.
func (m *MemStore) Interaction(ctx context.Context, id string) (Interaction, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	in, ok := m.interactions[id]
	if !ok {
		return Interaction{}, notFound("interaction")
	}
	return cloneInteraction(in), nil
}

// DeleteInteraction implements FlowStore.
func (m *MemStore) DeleteInteraction(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.interactions, id)
	return nil
}

// CreateLaunch implements FlowStore.
func (m *MemStore) CreateLaunch(ctx context.Context, l Launch) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.launches[l.Hash]; ok {
		return conflict("launch")
	}
	l.FHIRContext = slices.Clone(l.FHIRContext)
	m.launches[l.Hash] = l
	return nil
}

// Launch implements FlowStore.
func (m *MemStore) Launch(ctx context.Context, hash string) (Launch, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.launches[hash]
	if !ok {
		return Launch{}, notFound("launch")
	}
	l.FHIRContext = slices.Clone(l.FHIRContext)
	return l, nil
}

// CreateCode implements FlowStore.
func (m *MemStore) CreateCode(ctx context.Context, c Code) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.codes[c.Hash]; ok {
		return conflict("code")
	}
	m.codes[c.Hash] = c
	return nil
}

// Code implements FlowStore.
func (m *MemStore) Code(ctx context.Context, hash string) (Code, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.codes[hash]
	if !ok {
		return Code{}, notFound("code")
	}
	return c, nil
}

// ConsumeCode implements FlowStore.
func (m *MemStore) ConsumeCode(ctx context.Context, hash string, at time.Time) (Code, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.codes[hash]
	if !ok {
		return Code{}, false, notFound("code")
	}
	if !c.UsedAt.IsZero() {
		return c, true, nil
	}
	c.UsedAt = at
	m.codes[hash] = c
	return c, false, nil
}

// UseAssertionID implements FlowStore.
func (m *MemStore) UseAssertionID(ctx context.Context, clientID, jti string, expires time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := clientID + "\x00" + jti
	if _, ok := m.assertionIDs[k]; ok {
		return false, nil
	}
	m.assertionIDs[k] = expires
	return true, nil
}

func cloneGrant(g Grant) Grant {
	g.FHIRContext = slices.Clone(g.FHIRContext)
	return g
}

// CreateGrant implements GrantStore.
func (m *MemStore) CreateGrant(ctx context.Context, g Grant) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.grants[g.ID]; ok {
		return conflict("grant")
	}
	g.LastUsedAt = time.Time{} // derived, never stored
	m.grants[g.ID] = cloneGrant(g)
	return nil
}

// Grant implements GrantStore.
func (m *MemStore) Grant(ctx context.Context, id string) (Grant, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g, ok := m.grants[id]
	if !ok {
		return Grant{}, notFound("grant")
	}
	return m.withLastUse(g), nil
}

// RevokeGrant implements GrantStore.
func (m *MemStore) RevokeGrant(ctx context.Context, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	g, ok := m.grants[id]
	if !ok {
		return notFound("grant")
	}
	if g.RevokedAt.IsZero() {
		g.RevokedAt = at
		m.grants[id] = g
	}
	return nil
}

// CreateRefreshToken implements GrantStore.
func (m *MemStore) CreateRefreshToken(ctx context.Context, t RefreshToken) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.refresh[t.Hash]; ok {
		return conflict("refresh token")
	}
	m.refresh[t.Hash] = t
	return nil
}

// RefreshToken implements GrantStore.
func (m *MemStore) RefreshToken(ctx context.Context, hash string) (RefreshToken, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.refresh[hash]
	if !ok {
		return RefreshToken{}, notFound("refresh token")
	}
	return t, nil
}

// RotateRefreshToken implements GrantStore.
func (m *MemStore) RotateRefreshToken(ctx context.Context, oldHash string, next RefreshToken, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.refresh[oldHash]
	if !ok {
		return notFound("refresh token")
	}
	if !old.RotatedAt.IsZero() {
		return errs.E(errs.Conflict, "refresh token already used")
	}
	if _, ok := m.refresh[next.Hash]; ok {
		return conflict("refresh token")
	}
	old.RotatedAt = at
	m.refresh[oldHash] = old
	m.refresh[next.Hash] = next
	return nil
}

// RevokeToken implements GrantStore.
func (m *MemStore) RevokeToken(ctx context.Context, jti string, expires time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.revokedTokens[jti] = expires
	return nil
}

// Revoked implements GrantStore.
func (m *MemStore) Revoked(ctx context.Context, t TokenRef) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.revokedTokens[t.JTI]; ok {
		return true, nil
	}
	if before, ok := m.clientRevoked[t.ClientID]; ok && !t.IssuedAt.After(before) {
		return true, nil
	}
	if t.Grant == "" {
		return false, nil
	}
	g, ok := m.grants[t.Grant]
	// A token naming a grant the store does not hold was not issued by this
	// server's flows; treat it as revoked rather than trust it.
	return !ok || g.Revoked(), nil
}

// Setting implements SettingStore.
func (m *MemStore) Setting(ctx context.Context, key string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.settings[key]
	if !ok {
		return "", notFound("setting " + key)
	}
	return v, nil
}

// InitSetting implements SettingStore.
func (m *MemStore) InitSetting(ctx context.Context, key, value string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.settings[key]; ok {
		return v, nil
	}
	m.settings[key] = value
	return value, nil
}

// SetSetting implements SettingStore.
func (m *MemStore) SetSetting(ctx context.Context, key, value string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.settings[key] = value
	return nil
}
