package authstore

import (
	"context"
	"time"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/store"
)

// SetPasswordHash implements auth.UserStore.
func (s *Store) SetPasswordHash(ctx context.Context, kind, id, hash string) error {
	switch kind {
	case auth.KindStaff:
		return s.st.SetStaffPasswordHash(ctx, id, hash)
	case auth.KindPatient:
		return s.st.SetPortalPasswordHash(ctx, id, hash)
	}
	return errs.E(errs.NotFound, "user not found")
}

// CreateSession implements auth.SessionStore.
func (s *Store) CreateSession(ctx context.Context, b auth.Session) error {
	return s.st.CreateSession(ctx, store.BrowserSession(b))
}

// Session implements auth.SessionStore.
func (s *Store) Session(ctx context.Context, hash string) (auth.Session, error) {
	b, err := s.st.Session(ctx, hash)
	return auth.Session(b), err
}

// TouchSession implements auth.SessionStore.
func (s *Store) TouchSession(ctx context.Context, hash string, seen, idleUntil time.Time) error {
	return s.st.TouchSession(ctx, hash, seen, idleUntil)
}

// EndSession implements auth.SessionStore.
func (s *Store) EndSession(ctx context.Context, hash string) error {
	return s.st.EndSession(ctx, hash)
}

// EndUserSessions implements auth.SessionStore.
func (s *Store) EndUserSessions(ctx context.Context, userKind, userID string) error {
	return s.st.EndUserSessions(ctx, userKind, userID)
}
