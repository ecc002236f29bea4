package server_test

import (
	"github.com/emedpractice/emp/internal/testenv"

	"context"
	"crypto/rand"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
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

// browser is a user agent with a cookie jar that follows redirects within
// the server and stops at any other host (the app).
type browser struct {
	t    *testing.T
	c    *http.Client
	last response
	url  *url.URL
}

func (ts *testServer) browser() *browser {
	jar, _ := cookiejar.New(nil)
	host := ts.srv.Listener.Addr().String()
	b := &browser{t: ts.t}
	b.c = &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Host != host {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return b
}

func (b *browser) open(u string) response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.send(req)
}

func (b *browser) send(req *http.Request) response {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	b.last = response{status: resp.StatusCode, header: resp.Header, body: body}
	b.url = resp.Request.URL
	return b.last
}

var (
	csrfField   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	formAction  = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
	tickedScope = regexp.MustCompile(`name="scope" value="([^"]+)" checked`)
)

// submit posts the page's form with vals and the page's CSRF token.
func (b *browser) submit(vals url.Values) response {
	b.t.Helper()
	page := string(b.last.body)
	c, a := csrfField.FindStringSubmatch(page), formAction.FindStringSubmatch(page)
	if c == nil || a == nil {
		b.t.Fatalf("no form on %s (%d): %s", b.url, b.last.status, page)
	}
	vals.Set("csrf", html.UnescapeString(c[1]))
	action, err := b.url.Parse(html.UnescapeString(a[1]))
	if err != nil {
		b.t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, action.String(), strings.NewReader(vals.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// A browser sends its Origin with a form POST; the pages' cross-origin
	// guard checks it.
	req.Header.Set("Origin", b.url.Scheme+"://"+b.url.Host)
	return b.send(req)
}

// login signs in a portal patient on the login page.
func (b *browser) login(username string) {
	b.t.Helper()
	if !strings.Contains(b.url.Path, "/connect/login") {
		b.t.Fatalf("not on the login page but %s (%d): %s", b.url, b.last.status, b.last.body)
	}
	b.submit(url.Values{"username": {username}, "password": {userPass}, "user_role": {auth.KindPatient}, "action": {"login"}})
}

// consent allows the scopes given, or every scope the page ticks when
// scopes is nil.
func (b *browser) consent(scopes []string) {
	b.t.Helper()
	if !strings.Contains(b.url.Path, "/connect/consent") {
		b.t.Fatalf("not on the consent page but %s (%d): %s", b.url, b.last.status, b.last.body)
	}
	if scopes == nil {
		for _, m := range tickedScope.FindAllStringSubmatch(string(b.last.body), -1) {
			scopes = append(scopes, html.UnescapeString(m[1]))
		}
	}
	b.submit(url.Values{"decision": {"allow"}, "scope": scopes})
}

// redirected is the query the app's redirect URI received.
func (b *browser) redirected() url.Values {
	b.t.Helper()
	loc, err := url.Parse(b.last.header.Get("Location"))
	if b.last.status != http.StatusSeeOther && b.last.status != http.StatusFound || err != nil || loc.Scheme+"://"+loc.Host+loc.Path != appRedirect {
		b.t.Fatalf("expected a redirect to the app, got %d to %q at %s: %s", b.last.status, b.last.header.Get("Location"), b.url, b.last.body)
	}
	return loc.Query()
}

// randomString is a URL-safe random value (state, nonce, jti).
func randomString() string {
	b := make([]byte, 18)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
