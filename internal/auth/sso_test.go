package auth

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/authz"
)

// handOff signs the patient user in through SignInBrowser, as the portal
// does, and gives the browser the cookie it sets.
func handOff(t *testing.T, e *env, b browser, username string) {
	t.Helper()
	u, err := e.store.PatientUserByUsername(bg, username)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	if err := e.srv.SignInBrowser(bg, rec, AccountPatient, u.ID, ""); err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse(e.base)
	b.Client.Jar.SetCookies(base, rec.Result().Cookies())
}

func TestSignInHandOff(t *testing.T) {
	e := newEnv(t)
	client := e.publicClient()
	e.addPatientUser("amy", "pat-1")
	_, challenge := pkce()
	scopes := "launch/patient openid patient/Patient.rs"

	// Handed over: the flow goes straight to consent, with amy's patient.
	b := e.browser()
	handOff(t, e, b, "amy")
	b.Open(e.authorizeURL(e.authParams(client, scopes, challenge)))
	if !strings.Contains(b.URL.Path, "/connect/consent") {
		t.Fatalf("with the hand-off, the flow is at %s, want consent", b.URL.Path)
	}

	// prompt=login asks for the password all the same.
	p := e.authParams(client, scopes, challenge)
	p.Set("prompt", "login")
	b.Open(e.authorizeURL(p))
	if !strings.Contains(b.URL.Path, "/connect/login") {
		t.Errorf("prompt=login went to %s", b.URL.Path)
	}

	// Without the hand-off, or after it expired, the sign-in page.
	other := e.browser()
	other.Open(e.authorizeURL(e.authParams(client, scopes, challenge)))
	if !strings.Contains(other.URL.Path, "/connect/login") {
		t.Errorf("without a hand-off the flow is at %s", other.URL.Path)
	}
	e.clock.Advance(ssoTTL + time.Minute)
	b.Open(e.authorizeURL(e.authParams(client, scopes, challenge)))
	if !strings.Contains(b.URL.Path, "/connect/login") {
		t.Errorf("after the hand-off expired the flow is at %s", b.URL.Path)
	}

	// A forged or foreign cookie does nothing: an access token is not a
	// hand-off.
	forged := e.browser()
	base, _ := url.Parse(e.base)
	amy, _ := e.store.PatientUserByUsername(bg, "amy")
	access, err := e.keys.SignAccessToken(bg, authz.Claims{Issuer: e.base, Audience: e.fhirBase, Subject: amy.ID,
		Role: authz.RolePatient, IssuedAt: e.clock.Now(), Expiry: e.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"not-a-token", access} {
		forged.Client.Jar.SetCookies(base, []*http.Cookie{{Name: ssoCookie, Value: v, Path: "/"}})
		forged.Open(e.authorizeURL(e.authParams(client, scopes, challenge)))
		if !strings.Contains(forged.URL.Path, "/connect/login") {
			t.Errorf("a forged hand-off went to %s", forged.URL.Path)
		}
	}

	// A disabled or unknown user cannot be handed over.
	if err := e.srv.SignInBrowser(bg, httptest.NewRecorder(), AccountPatient, "nobody", ""); err == nil {
		t.Error("an unknown user was handed over")
	}
	if err := e.srv.SignInBrowser(bg, httptest.NewRecorder(), "robot", "x", ""); err == nil {
		t.Error("an unknown kind was handed over")
	}
}

// TestHandOffLaunchForAnotherPatient: a launch for another patient's record
// does not start signed in as this patient.
func TestHandOffLaunchForAnotherPatient(t *testing.T) {
	e := newEnv(t)
	reg := e.register(ClientMetadata{ClientName: "Launch App", RedirectURIs: []string{appRedirect},
		TokenEndpointAuthMethod: AuthNone, Scope: "launch openid patient/Patient.rs", InitiateLoginURI: "https://app.example/launch"})
	e.addPatientUser("amy", "pat-1")
	launch, _, err := e.srv.NewLaunch(bg, LaunchRequest{ClientID: reg.ClientID, Patient: "pat-2"})
	if err != nil {
		t.Fatal(err)
	}
	_, challenge := pkce()
	b := e.browser()
	handOff(t, e, b, "amy")
	p := e.authParams(reg.ClientID, "launch openid patient/Patient.rs", challenge)
	p.Set("launch", launch)
	b.Open(e.authorizeURL(p))
	if !strings.Contains(b.URL.Path, "/connect/login") {
		t.Errorf("a launch for another patient went to %s, want the sign-in page", b.URL.Path)
	}
}
