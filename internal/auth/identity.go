package auth

import (
	"context"
	"sync"

	"github.com/emedpractice/emp/internal/authz"
)

// identity is a person who signed in, staff or patient, as the flows need
// them.
type identity struct {
	ID       string
	Account  string // AccountStaff or AccountPatient
	Role     string // the tokens' role
	Username string
	Name     string
	Email    string
	FHIRUser string // "Practitioner/…", "Patient/…" or empty
	Patient  string // a patient user's own patient
}

func staffIdentity(u User) identity {
	id := identity{ID: u.ID, Account: AccountStaff, Role: u.Role, Username: u.Username, Name: u.Name, Email: u.Email}
	if u.Practitioner != "" {
		id.FHIRUser = "Practitioner/" + u.Practitioner
	}
	return id
}

func patientIdentity(u PatientUser) identity {
	return identity{ID: u.ID, Account: AccountPatient, Role: authz.RolePatient, Username: u.Username, Name: u.Name,
		Email: u.Email, FHIRUser: "Patient/" + u.Patient, Patient: u.Patient}
}

// identityOf loads the person a token's subject and role name.
func (s *Server) identityOf(ctx context.Context, subject, role string) (identity, error) {
	if role == authz.RolePatient {
		u, err := s.store.PatientUserByID(ctx, subject)
		if err != nil {
			return identity{}, err
		}
		return patientIdentity(u), nil
	}
	u, err := s.store.UserByID(ctx, subject)
	if err != nil {
		return identity{}, err
	}
	return staffIdentity(u), nil
}

// checkPassword finds the user of the account and checks the password. It
// answers ok false for an unknown user, a disabled one and a wrong password
// alike, and spends the same hashing work on each, so neither the answer nor
// its timing tells which usernames exist.
func (s *Server) checkPassword(ctx context.Context, account, username, password string) (identity, bool, error) {
	var hash string
	var id identity
	var disabled bool
	var err error
	switch account {
	case AccountPatient:
		var u PatientUser
		if u, err = s.store.PatientUserByUsername(ctx, username); err == nil {
			hash, id, disabled = u.PasswordHash, patientIdentity(u), u.Disabled
		}
	default:
		var u User
		if u, err = s.store.UserByUsername(ctx, username); err == nil {
			hash, id, disabled = u.PasswordHash, staffIdentity(u), u.Disabled
		}
	}
	if err != nil && !isNotFound(err) {
		return identity{}, false, err
	}
	if hash == "" {
		if hash, err = s.dummyHash.get(); err != nil {
			return identity{}, false, err
		}
	}
	ok, err := s.passwords.Verify(hash, password)
	if err != nil {
		return identity{}, false, err
	}
	if !ok || disabled || id.ID == "" {
		return identity{}, false, nil
	}
	return id, true, nil
}

// dummyHash is a hash of a random password at the hasher's cost, checked
// for unknown usernames; made on first need, since it costs a hash.
type dummyHash struct {
	hasher PasswordHasher
	once   sync.Once
	hash   string
	err    error
}

func (d *dummyHash) get() (string, error) {
	d.once.Do(func() { d.hash, d.err = d.hasher.Hash("no such user: the password does not matter") })
	return d.hash, d.err
}
