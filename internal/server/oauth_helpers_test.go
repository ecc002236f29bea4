package server_test

import (
	"github.com/emedpractice/emp/internal/testenv"

	"context"
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/server"
)

// The helpers below drive the authorization server's pages the way a
// person's browser does, over the whole server: real HTTP, the real login
// and consent forms, a cookie jar, and a stop at the app's redirect URI.

// appOrigin is the origin of the SMART app the tests register; appRedirect
// its redirect URI. Nothing listens there: the test browser stops at the
// redirect, as the app's page would receive it.
const (
	appOrigin   = "https://app.example"
	appRedirect = appOrigin + "/callback"
	userPass    = "correct horse battery"
)

// newAuthTestServer is newTestServer with cheap password hashing, so that
// tests that sign in do not pay Argon2id's cost for each login.
func newAuthTestServer(t *testing.T, dialect string) *testServer {
	t.Helper()
	return wrap(t, testenv.Start(t, dialect, func(c *server.Config) { c.Passwords = auth.PBKDF2{Iterations: 1000} }))
}

// addPatientUser creates a portal user for the patient.
func (ts *testServer) addPatientUser(username, patient string) {
	ts.t.Helper()
	if _, err := ts.app.Auth.AddPatientUser(context.Background(), auth.NewPatientUser{
		Username: username, Password: userPass, Patient: patient, Name: "Portal user " + username, Email: username + "@example.org",
	}); err != nil {
		ts.t.Fatal(err)
	}
}

// register adds an approved client, as `emp client add` does.
func (ts *testServer) register(md auth.ClientMetadata) auth.Registered {
	ts.t.Helper()
	reg, err := ts.app.Auth.Register(context.Background(), md, true)
	if err != nil {
		ts.t.Fatalf("register: %v", err)
	}
	return reg
}

// publicApp registers a public patient app on appOrigin.
func (ts *testServer) publicApp(scopes string) string {
	return ts.register(auth.ClientMetadata{ClientName: "Patient app", RedirectURIs: []string{appRedirect},
		TokenEndpointAuthMethod: auth.AuthNone, Scope: scopes}).ClientID
}

// browser is the test environment's browser following redirects within
// the server and stopping at the app.
func (ts *testServer) browser() *testenv.Browser { return ts.FollowingBrowser(ts.t) }

// login signs in a portal patient on the authorization server's login page.
func login(b *testenv.Browser, username string) {
	b.T.Helper()
	if !strings.Contains(b.URL.Path, "/connect/login") {
		b.T.Fatalf("not on the login page but %s (%d): %s", b.URL, b.Last.Status, b.Last.Body)
	}
	b.Submit(url.Values{"username": {username}, "password": {userPass}, "user_role": {auth.AccountPatient}, "action": {"login"}})
}

// randomString is a URL-safe random value (state, nonce, jti).
func randomString() string {
	b := make([]byte, 18)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
