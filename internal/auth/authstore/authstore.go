package authstore

import (
	"context"
	"time"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/store"
)

// Store is auth.Storage over the SQL store.
type Store struct {
	st *store.Store
}

var _ auth.Storage = (*Store)(nil)

// New returns the authorization server's storage in st.
func New(st *store.Store) *Store { return &Store{st: st} }

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

// SetSetting implements auth.SettingStore.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	return s.st.SetSetting(ctx, key, value)
}
