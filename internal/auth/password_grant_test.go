package auth

import (
	"net/url"
	"testing"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/loginthrottle"
)

func passwordForm(clientID, user, pw, role, scopes string) url.Values {
	return url.Values{"grant_type": {"password"}, "client_id": {clientID}, "username": {user}, "password": {pw},
		"user_role": {role}, "scope": {scopes}}
}

func TestPasswordGrantOffByDefault(t *testing.T) {
	e := newEnv(t)
	e.addClinician("drjones", "prac-9")
	id := e.register(ClientMetadata{RedirectURIs: []string{appRedirect}, TokenEndpointAuthMethod: AuthNone, Scope: "openid patient/Patient.rs"}).ClientID
	wantOAuthError(t, e.post("/connect/token", passwordForm(id, "drjones", "correct horse", "users", "openid")), 400, errUnsupportedGrantType)
}

func TestPasswordGrantStaff(t *testing.T) {
	e := newEnv(t)
	e.store.SetSetting(bg, SettingPasswordGrant, "on")
	e.addClinician("drjones", "prac-9")
	id, secret := e.confidentialClient("openid fhirUser offline_access api:oemr user/patient.read user/Patient.rs patient/Patient.rs launch/patient")
	r := e.post("/connect/token", passwordForm("", "drjones", "correct horse", "users", "openid fhirUser offline_access api:oemr user/patient.read user/Patient.rs patient/Patient.rs launch/patient"), basic(id, secret))
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// No patient context can be chosen here: patient/ and launch/patient go.
	if r.str("scope") != "openid fhirUser offline_access api:oemr user/patient.read user/Patient.rs" {
		t.Errorf("scope %q", r.str("scope"))
	}
	if r.str("refresh_token") == "" || r.str("id_token") == "" {
		t.Errorf("%s", r.body)
	}
	p, err := e.srv.Verifier().Verify(bg, r.str("access_token"))
	if err != nil || p.Role != authz.RoleClinician || p.FHIRUser != "Practitioner/prac-9" {
		t.Fatalf("%v %+v", err, p)
	}
	if err := p.CanAPI("patient", 2); err != nil {
		t.Errorf("api:oemr token cannot read /api/patient: %v", err)
	}
}

func TestPasswordGrantPatient(t *testing.T) {
	e := newEnv(t)
	e.store.SetSetting(bg, SettingPasswordGrant, "true")
	e.addPatientUser("amy", "pat-1")
	id := e.publicClient()
	r := e.post("/connect/token", passwordForm(id, "amy", "correct horse", "patient", "openid patient/Patient.rs patient/Observation.rs"))
	if r.status != 200 || r.str("patient") != "pat-1" || r.json["refresh_token"] != nil {
		t.Fatalf("%d %s", r.status, r.body)
	}
	// The email, when sent, must be the user's.
	f := passwordForm(id, "amy", "correct horse", "patient", "openid")
	f.Set("email", "someone@example.org")
	wantOAuthError(t, e.post("/connect/token", f), 400, errInvalidGrant)
}

func TestPasswordGrantRefusals(t *testing.T) {
	e := newEnv(t)
	e.store.SetSetting(bg, SettingPasswordGrant, "on")
	e.addPatientUser("amy", "pat-1")
	id := e.publicClient()
	wantOAuthError(t, e.post("/connect/token", passwordForm(id, "amy", "wrong", "patient", "openid")), 400, errInvalidGrant)
	wantOAuthError(t, e.post("/connect/token", passwordForm(id, "nobody", "correct horse", "patient", "openid")), 400, errInvalidGrant)
	wantOAuthError(t, e.post("/connect/token", passwordForm(id, "amy", "correct horse", "users", "openid")), 400, errInvalidGrant)
	wantOAuthError(t, e.post("/connect/token", passwordForm(id, "amy", "correct horse", "admin", "openid")), 400, errInvalidRequest)
	wantOAuthError(t, e.post("/connect/token", passwordForm(id, "amy", "correct horse", "patient", "user/Patient.rs")), 400, errInvalidScope)
}

func TestPasswordGrantThrottled(t *testing.T) {
	e := newEnv(t)
	e.store.SetSetting(bg, SettingPasswordGrant, "on")
	e.addPatientUser("amy", "pat-1")
	id := e.publicClient()
	for range loginthrottle.PolicyOf(loginthrottle.ClassAccount).Free + 1 {
		e.post("/connect/token", passwordForm(id, "amy", "wrong", "patient", "openid"))
	}
	r := e.post("/connect/token", passwordForm(id, "amy", "correct horse", "patient", "openid"))
	wantOAuthError(t, r, 429, errInvalidGrant)
}

func TestDisabledUserCannotSignIn(t *testing.T) {
	e := newEnv(t)
	e.store.SetSetting(bg, SettingPasswordGrant, "on")
	hash, _ := e.srv.passwords.Hash("correct horse")
	e.store.CreateUser(bg, User{ID: "u-x", Username: "gone", PasswordHash: hash, Role: authz.RoleAdmin, Disabled: true})
	id := e.publicClient()
	wantOAuthError(t, e.post("/connect/token", passwordForm(id, "gone", "correct horse", "users", "openid")), 400, errInvalidGrant)
}
