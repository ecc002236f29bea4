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
