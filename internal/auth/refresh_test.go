package auth

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func refreshForm(rt string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}
}

func TestRefreshRotates(t *testing.T) {
	e := newEnv(t)
	_, tok := e.patientTokens()
	e.clock.Advance(10 * time.Minute)
	// A public client refreshes without naming itself: the token does.
	r := e.post("/connect/token", refreshForm(tok.str("refresh_token")))
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r.str("refresh_token") == "" || r.str("refresh_token") == tok.str("refresh_token") {
		t.Error("the refresh token was not rotated")
	}
	if r.str("scope") != tok.str("scope") || r.str("patient") != "pat-1" || r.json["expires_in"] != float64(3600) {
		t.Errorf("refresh answer %s", r.body)
	}
	if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Pragma") != "no-cache" {
		t.Error("refresh answer is cacheable")
	}
	if p, err := e.srv.Verifier().Verify(bg, r.str("access_token")); err != nil || p.Patient != "pat-1" {
		t.Fatalf("%v %+v", err, p)
	}
	// And the new one works in turn.
	if r2 := e.post("/connect/token", refreshForm(r.str("refresh_token"))); r2.status != 200 {
		t.Fatalf("second refresh: %d %s", r2.status, r2.body)
	}
}

func TestRefreshReuseRevokesFamily(t *testing.T) {
	e := newEnv(t)
	_, tok := e.patientTokens()
	old := tok.str("refresh_token")
	next := e.post("/connect/token", refreshForm(old))
	if next.status != 200 {
		t.Fatal(next.status)
	}
	wantOAuthError(t, e.post("/connect/token", refreshForm(old)), 400, errInvalidGrant)
	// The whole family is gone: the rotated token and every access token.
	wantOAuthError(t, e.post("/connect/token", refreshForm(next.str("refresh_token"))), 400, errInvalidGrant)
	for _, at := range []string{tok.str("access_token"), next.str("access_token")} {
		if _, err := e.srv.Verifier().Verify(bg, at); err == nil {
			t.Error("an access token of a revoked family still verifies")
		}
	}
}

func TestRefreshNarrowsNeverWidens(t *testing.T) {
	e := newEnv(t)
	_, tok := e.patientTokens()
	rt := tok.str("refresh_token")
	f := refreshForm(rt)
	f.Set("scope", "patient/Patient.rs patient/Observation.rs")
	r := e.post("/connect/token", f)
	if r.status != 200 || r.str("scope") != "patient/Patient.rs patient/Observation.rs" {
		t.Fatalf("narrowing: %d %s", r.status, r.body)
	}
	// The family keeps the whole grant: the next refresh may ask for all of it.
	r2 := e.post("/connect/token", refreshForm(r.str("refresh_token")))
	if r2.str("scope") != patientScopes {
		t.Errorf("after narrowing, full refresh got %q", r2.str("scope"))
	}
	for _, wider := range []string{"patient/Patient.rs patient/Immunization.rs", "patient/Patient.cruds", "user/Patient.rs", "system/*.rs"} {
		f := refreshForm(r2.str("refresh_token"))
		f.Set("scope", wider)
		wantOAuthError(t, e.post("/connect/token", f), 400, errInvalidScope)
	}
}

func TestRefreshOnlyWithOfflineAccess(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	clientID := e.publicClient()
	code, verifier := e.codeFlow(clientID, "openid launch/patient patient/Patient.rs online_access")
	r := e.exchange(clientID, code, verifier)
	if r.status != 200 || r.json["refresh_token"] != nil {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestRefreshLivesThreeMonths(t *testing.T) {
	e := newEnv(t)
	_, tok := e.patientTokens()
	e.clock.Advance(89 * 24 * time.Hour)
	r := e.post("/connect/token", refreshForm(tok.str("refresh_token")))
	if r.status != 200 {
		t.Fatalf("at 89 days: %d %s", r.status, r.body)
	}
	// Rotation starts a new period.
	e.clock.Advance(89 * 24 * time.Hour)
	r = e.post("/connect/token", refreshForm(r.str("refresh_token")))
	if r.status != 200 {
		t.Fatalf("89 days after the rotation: %d %s", r.status, r.body)
	}
	e.clock.Advance(93 * 24 * time.Hour)
	wantOAuthError(t, e.post("/connect/token", refreshForm(r.str("refresh_token"))), 400, errInvalidGrant)
}

func TestRefreshBoundToClient(t *testing.T) {
	e := newEnv(t)
	_, tok := e.patientTokens()
	other := e.publicClient()
	f := refreshForm(tok.str("refresh_token"))
	f.Set("client_id", other)
	wantOAuthError(t, e.post("/connect/token", f), 400, errInvalidGrant)
}

func TestRefreshConfidentialMustAuthenticate(t *testing.T) {
	e := newEnv(t)
	e.addPatientUser("amy", "pat-1")
	id, secret := e.confidentialClient(patientScopes)
	code, verifier := e.codeFlow(id, patientScopes)
	tok := e.post("/connect/token", url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {appRedirect}, "code_verifier": {verifier}}, basic(id, secret))
	rt := tok.str("refresh_token")
	wantOAuthError(t, e.post("/connect/token", refreshForm(rt)), 401, errInvalidClient)
	wantOAuthError(t, e.post("/connect/token", refreshForm(rt), basic(id, "wrong")), 401, errInvalidClient)
	if r := e.post("/connect/token", refreshForm(rt), basic(id, secret)); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestRefreshDisabledClient(t *testing.T) {
	e := newEnv(t)
	clientID, tok := e.patientTokens()
	e.store.SetClientStatus(bg, clientID, ClientDisabled)
	r := e.post("/connect/token", refreshForm(tok.str("refresh_token")))
	wantOAuthError(t, r, 401, errInvalidClient)
	if !strings.Contains(r.str("error_description"), "disabled") {
		t.Errorf("description %q", r.str("error_description"))
	}
}
