package authstore

import (
	"context"
	"time"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/store"
)

// Store is auth.Storage over the SQL store.
type Store struct {
	st       *store.Store
	now      func() time.Time
	epochTTL time.Duration
	revoked  revocationCache
}

var _ auth.Storage = (*Store)(nil)

// Options tune the storage; the zero value is the default.
type Options struct {
	// EpochTTL is how long the node trusts the revocation epoch it read
	// (DefaultEpochTTL when zero; negative: read it on every check).
	EpochTTL time.Duration
	// Now is the clock of the epoch's age; time.Now when nil.
	Now func() time.Time
}

// New returns the authorization server's storage in st.
func New(st *store.Store) *Store { return NewWithOptions(st, Options{}) }

// NewWithOptions is New with options.
func NewWithOptions(st *store.Store, opt Options) *Store {
	s := &Store{st: st, now: opt.Now, epochTTL: opt.EpochTTL}
	if s.now == nil {
		s.now = time.Now
	}
	if s.epochTTL == 0 {
		s.epochTTL = DefaultEpochTTL
	}
	return s
}

// Purge deletes expired flow state, revocations and refresh tokens (see
// store.Store.Purge) and reports how many rows went. The server runs it
// periodically; now is its clock.
func (s *Store) Purge(ctx context.Context, now time.Time) (int64, error) {
	return s.st.Purge(ctx, now)
}

// Settings

// Setting implements auth.SettingStore.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	return s.st.Setting(ctx, key)
}

// InitSetting implements auth.SettingStore.
func (s *Store) InitSetting(ctx context.Context, key, value string) (string, error) {
	return s.st.InitSetting(ctx, key, value)
}

// SetSetting implements auth.SettingStore.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	return s.st.SetSetting(ctx, key, value)
}
