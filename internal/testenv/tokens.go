package testenv

import (
	"time"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/server"
)

// PatientToken mints a patient's own token (role patient, in the
// patient's context) of subject "patient-" and the patient's id, the way
// a portal sign-in makes one.
func (s *Server) PatientToken(scope, patient string) string {
	s.T.Helper()
	return s.Mint(server.TokenRequest{Subject: "patient-" + patient, ClientID: "test-client", Scope: scope,
		Patient: patient, Role: authz.RolePatient, TTL: time.Hour})
}

// SystemToken mints a backend service's token (role system) for the
// client: its subject is the client, as with client credentials.
func (s *Server) SystemToken(client, scope string) string {
	s.T.Helper()
	return s.Mint(server.TokenRequest{Subject: client, ClientID: client, Scope: scope, Role: authz.RoleSystem, TTL: time.Hour})
}
