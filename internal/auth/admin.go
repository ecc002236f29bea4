package auth

import (
	"context"
	"net/url"
	"strings"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/errs"
)

// The operator's actions (emp user add, emp client add, emp launch): the
// server's rules and hashing in one place, for the command line and the
// demo to call.

// NewUser is a staff user to add.
type NewUser struct {
	Username, Password string
	Role               string // admin, clinician or front-office
	Practitioner       string // the user's Practitioner id, if any
	Name, Email        string
}

// AddUser hashes the password and stores a staff user.
func (s *Server) AddUser(ctx context.Context, nu NewUser) (User, error) {
	if !authz.IsUserRole(nu.Role) {
		return User{}, errs.Field("role", "role must be admin, clinician or front-office")
	}
	if err := checkCredentials(nu.Username, nu.Password); err != nil {
		return User{}, err
	}
	hash, err := s.passwords.Hash(nu.Password)
	if err != nil {
		return User{}, err
	}
	id, err := s.rand.id()
	if err != nil {
		return User{}, err
	}
	u := User{ID: id, Username: nu.Username, PasswordHash: hash, Role: nu.Role, Practitioner: nu.Practitioner,
		Name: nu.Name, Email: nu.Email, CreatedAt: s.now()}
	return u, s.store.CreateUser(ctx, u)
}

// NewPatientUser is a patient-portal user to add.
type NewPatientUser struct {
	Username, Password string
	Patient            string // the user's Patient id
	Name, Email        string
}

// AddPatientUser hashes the password and stores a patient-portal user.
func (s *Server) AddPatientUser(ctx context.Context, nu NewPatientUser) (PatientUser, error) {
	if nu.Patient == "" {
		return PatientUser{}, errs.Field("patient", "a patient user needs the id of their Patient")
	}
	if err := checkCredentials(nu.Username, nu.Password); err != nil {
		return PatientUser{}, err
	}
	hash, err := s.passwords.Hash(nu.Password)
	if err != nil {
		return PatientUser{}, err
	}
	id, err := s.rand.id()
	if err != nil {
		return PatientUser{}, err
	}
	u := PatientUser{ID: id, Username: nu.Username, PasswordHash: hash, Patient: nu.Patient, Name: nu.Name,
		Email: nu.Email, CreatedAt: s.now()}
	return u, s.store.CreatePatientUser(ctx, u)
}

// minPasswordLength follows NIST SP 800-63B for memorised secrets.
const minPasswordLength = 8

func checkCredentials(username, password string) error {
	switch {
	case strings.TrimSpace(username) == "" || username != strings.TrimSpace(username):
		return errs.Field("username", "a username may not be empty or start or end with a space")
	case len(password) < minPasswordLength:
		return errs.Field("password", "a password needs at least %d characters", minPasswordLength)
	}
	return nil
}

// LaunchRequest is an EHR launch to prepare: the app and the context it
// opens with.
type LaunchRequest struct {
	ClientID    string
	Patient     string
	Encounter   string
	Intent      string
	FHIRContext []FHIRContext
}

// NewLaunch stores a launch context and returns the opaque launch value and
// the URL that opens the app with it (its launch URI with iss and launch),
// empty when the client registered no launch URI.
func (s *Server) NewLaunch(ctx context.Context, lr LaunchRequest) (launch, launchURL string, err error) {
	c, err := s.store.Client(ctx, lr.ClientID)
	if err != nil {
		return "", "", err
	}
	if err := clientUsable(c); err != nil {
		return "", "", errs.E(errs.Invalid, "client %s is not approved or is disabled", c.ID)
	}
	if lr.Patient == "" {
		return "", "", errs.Field("patient", "a launch needs a patient")
	}
	if s.patients != nil {
		if _, err := s.patients.Patient(ctx, lr.Patient); err != nil {
			return "", "", err
		}
	}
	v, err := s.rand.secret()
	if err != nil {
		return "", "", err
	}
	now := s.now()
	l := Launch{Hash: HashSecret(v), ClientID: c.ID, Patient: lr.Patient, Encounter: lr.Encounter, Intent: lr.Intent,
		FHIRContext: lr.FHIRContext, CreatedAt: now, ExpiresAt: now.Add(s.launchTTL)}
	if err := s.store.CreateLaunch(ctx, l); err != nil {
		return "", "", err
	}
	if c.LaunchURI != "" {
		launchURL = withParams(c.LaunchURI, url.Values{"iss": {s.fhirBase}, "launch": {v}})
	}
	return v, launchURL, nil
}
