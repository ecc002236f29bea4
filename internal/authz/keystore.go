package authz

import (
	"context"
	"slices"
	"sync"
	"time"
)

// KeyStore keeps the server's signing keys. The store implements it on the
// database so that every node of a cluster shares the keys; MemKeyStore is
// for tests and single-process tools.
type KeyStore interface {
	// LoadSigningKeys returns all keys not yet expired, newest first.
	LoadSigningKeys(ctx context.Context) ([]StoredKey, error)
	// SaveSigningKey stores a new key; saving a kid or a non-empty Slot
	// that exists keeps the stored key and drops the new one, without
	// error.
	SaveSigningKey(ctx context.Context, k StoredKey) error
}

// StoredKey is one signing key as stored. The private key is kept because
// every node must sign with it.
type StoredKey struct {
	KID        string
	Alg        string // ES256 or RS256
	PrivatePEM []byte // PKCS#8, PEM type "PRIVATE KEY"
	Created    time.Time
	// NotAfter ends the key's life: after it no token signed by the key is
	// accepted and the key leaves the JWKS.
	NotAfter time.Time
	// Slot is "alg:kid" of the key this one succeeds ("alg:" for the
	// first): nodes that each make a successor at the same moment offer
	// the same slot, and the store keeps only the first.
	Slot string
}

// MemKeyStore is a KeyStore in memory.
type MemKeyStore struct {
	now  func() time.Time
	mu   sync.Mutex
	keys []StoredKey
}

// NewMemKeyStore returns an empty store; now decides which keys have
// expired (time.Now when nil).
func NewMemKeyStore(now func() time.Time) *MemKeyStore {
	if now == nil {
		now = time.Now
	}
	return &MemKeyStore{now: now}
}

// LoadSigningKeys implements KeyStore.
func (m *MemKeyStore) LoadSigningKeys(ctx context.Context) ([]StoredKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	var out []StoredKey
	for _, k := range m.keys {
		if k.NotAfter.After(now) {
			k.PrivatePEM = slices.Clone(k.PrivatePEM)
			out = append(out, k)
		}
	}
	slices.SortStableFunc(out, func(a, b StoredKey) int { return b.Created.Compare(a.Created) })
	return out, nil
}

// SaveSigningKey implements KeyStore.
func (m *MemKeyStore) SaveSigningKey(ctx context.Context, k StoredKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	kept := m.keys[:0]
	for _, x := range m.keys {
		if x.NotAfter.After(now) {
			kept = append(kept, x)
		}
	}
	m.keys = kept
	for _, x := range m.keys {
		if x.KID == k.KID || (k.Slot != "" && x.Slot == k.Slot) {
			return nil
		}
	}
	k.PrivatePEM = slices.Clone(k.PrivatePEM)
	m.keys = append(m.keys, k)
	return nil
}
