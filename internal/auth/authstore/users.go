package authstore

import (
	"context"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/store"
)

// CreateUser implements auth.UserStore.
func (s *Store) CreateUser(ctx context.Context, u auth.User) error {
	return s.st.CreateStaffUser(ctx, store.StaffUser(u))
}

// UserByID implements auth.UserStore.
func (s *Store) UserByID(ctx context.Context, id string) (auth.User, error) {
	u, err := s.st.StaffUserByID(ctx, id)
	return auth.User(u), err
}

// UserByUsername implements auth.UserStore.
func (s *Store) UserByUsername(ctx context.Context, username string) (auth.User, error) {
	u, err := s.st.StaffUserByUsername(ctx, username)
	return auth.User(u), err
}

// Users implements auth.UserStore.
func (s *Store) Users(ctx context.Context) ([]auth.User, error) {
	us, err := s.st.StaffUsers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]auth.User, len(us))
	for i, u := range us {
		out[i] = auth.User(u)
	}
	return out, nil
}

// CreatePatientUser implements auth.UserStore.
func (s *Store) CreatePatientUser(ctx context.Context, u auth.PatientUser) error {
	return s.st.CreatePortalUser(ctx, store.PortalUser(u))
}

// PatientUserByID implements auth.UserStore.
func (s *Store) PatientUserByID(ctx context.Context, id string) (auth.PatientUser, error) {
	u, err := s.st.PortalUserByID(ctx, id)
	return auth.PatientUser(u), err
}

// PatientUserByUsername implements auth.UserStore.
func (s *Store) PatientUserByUsername(ctx context.Context, username string) (auth.PatientUser, error) {
	u, err := s.st.PortalUserByUsername(ctx, username)
	return auth.PatientUser(u), err
}

// PatientUsers implements auth.UserStore.
func (s *Store) PatientUsers(ctx context.Context) ([]auth.PatientUser, error) {
	us, err := s.st.PortalUsers(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]auth.PatientUser, len(us))
	for i, u := range us {
		out[i] = auth.PatientUser(u)
	}
	return out, nil
}
