package authstore

import (
	"context"
	"time"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/store"
)

// CreateGrant implements auth.GrantStore.
func (s *Store) CreateGrant(ctx context.Context, g auth.Grant) error {
	fc, err := encodeContext(g.FHIRContext)
	if err != nil {
		return err
	}
	return s.st.CreateGrant(ctx, store.AuthGrant{ID: g.ID, ClientID: g.ClientID, GrantType: g.GrantType,
		Subject: g.Subject, Role: g.Role, FHIRUser: g.FHIRUser, Scope: g.Scope, Patient: g.Patient,
		Encounter: g.Encounter, Intent: g.Intent, FHIRContext: fc, NeedPatientBanner: g.NeedPatientBanner,
		AuthTime: g.AuthTime, CreatedAt: g.CreatedAt, RevokedAt: g.RevokedAt, Session: g.Session})
}

func fromGrant(g store.AuthGrant) (auth.Grant, error) {
	fc, err := decodeContext(g.FHIRContext)
	if err != nil {
		return auth.Grant{}, err
	}
	return auth.Grant{ID: g.ID, ClientID: g.ClientID, GrantType: g.GrantType, Subject: g.Subject, Role: g.Role,
		FHIRUser: g.FHIRUser, Scope: g.Scope, Patient: g.Patient, Encounter: g.Encounter, Intent: g.Intent,
		FHIRContext: fc, NeedPatientBanner: g.NeedPatientBanner, AuthTime: g.AuthTime, CreatedAt: g.CreatedAt,
		RevokedAt: g.RevokedAt, Session: g.Session, LastUsedAt: g.LastUsedAt}, nil
}

// Grant implements auth.GrantStore.
func (s *Store) Grant(ctx context.Context, id string) (auth.Grant, error) {
	g, err := s.st.Grant(ctx, id)
	if err != nil {
		return auth.Grant{}, err
	}
	return fromGrant(g)
}

// GrantsBySubject implements auth.GrantStore.
func (s *Store) GrantsBySubject(ctx context.Context, subject string) ([]auth.Grant, error) {
	gs, err := s.st.GrantsBySubject(ctx, subject)
	if err != nil {
		return nil, err
	}
	out := make([]auth.Grant, len(gs))
	for i, g := range gs {
		if out[i], err = fromGrant(g); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RevokeGrant implements auth.GrantStore.
func (s *Store) RevokeGrant(ctx context.Context, id string, at time.Time) error {
	defer s.revokedLocally()
	return s.st.RevokeGrant(ctx, id, at)
}

// CreateRefreshToken implements auth.GrantStore.
func (s *Store) CreateRefreshToken(ctx context.Context, t auth.RefreshToken) error {
	return s.st.CreateRefreshToken(ctx, store.OAuthRefreshToken(t))
}

// RefreshToken implements auth.GrantStore.
func (s *Store) RefreshToken(ctx context.Context, hash string) (auth.RefreshToken, error) {
	t, err := s.st.RefreshToken(ctx, hash)
	return auth.RefreshToken(t), err
}

// RotateRefreshToken implements auth.GrantStore.
func (s *Store) RotateRefreshToken(ctx context.Context, oldHash string, next auth.RefreshToken, at time.Time) error {
	return s.st.RotateRefreshToken(ctx, oldHash, store.OAuthRefreshToken(next), at)
}

// RevokeToken implements auth.GrantStore.
func (s *Store) RevokeToken(ctx context.Context, jti string, expires time.Time) error {
	defer s.revokedLocally()
	return s.st.RevokeToken(ctx, jti, expires)
}
