package server_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// These tests drive the authorization server with clients we did not
// write: golang.org/x/oauth2 for the code flow with PKCE and for refresh,
// its clientcredentials package for backend services, and go-oidc verifying
// the id_token against the server's own discovery document. If our answers
// drift from what ordinary OAuth2/OIDC libraries expect, these fail.

const appScopes = "launch/patient openid fhirUser offline_access patient/Patient.rs patient/Observation.rs"

// oauthApp is an x/oauth2 configuration for a public app on the server.
func (ts *testServer) oauthApp(clientID string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:    clientID,
		RedirectURL: appRedirect,
		Scopes:      strings.Fields(appScopes),
		Endpoint: oauth2.Endpoint{
			AuthURL: ts.app.BaseURL + "/connect/authorize", TokenURL: ts.app.BaseURL + "/connect/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
	}
}

// launchWithOAuth2 runs a standalone launch: x/oauth2 builds the authorize
// URL with an S256 challenge, the test browser signs the patient in and
// consents, and x/oauth2 exchanges the code with the verifier.
func launchWithOAuth2(t *testing.T, ts *testServer, cfg *oauth2.Config, username, nonce string) *oauth2.Token {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	state := randomString()
	b := ts.browser()
	b.Open(cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("aud", ts.app.FHIRBase), oauth2.SetAuthURLParam("nonce", nonce)))
	login(b, username)
	b.Consent(nil)
	q := b.Redirected(appRedirect)
	if q.Get("state") != state || q.Get("code") == "" {
		t.Fatalf("redirect query %v", q)
	}
	tok, err := cfg.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("x/oauth2 exchange: %v", err)
	}
	return tok
}

// seedPatient stores a Patient with the id through the FHIR face.
func (ts *testServer) seedPatient(id string) {
	ts.t.Helper()
	admin := ts.token("user/*.cruds", "")
	r := ts.do("PUT", "/fhir/r4/Patient/"+id, admin, `{"resourceType":"Patient","id":"`+id+`","name":[{"family":"Shaw","given":["Amy"]}]}`)
	if r.status != 201 && r.status != 200 {
		ts.t.Fatalf("seed patient: %d %s", r.status, r.body)
	}
}

func TestOAuth2LibraryCodeFlowWithPKCE(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newAuthTestServer(t, dialect)
		ts.seedPatient("pat-a")
		ts.addPatientUser("amy", "pat-a")
		cfg := ts.oauthApp(ts.publicApp(appScopes))
		ctx := context.Background()

		tok := launchWithOAuth2(t, ts, cfg, "amy", "nonce-1")
		if !tok.Valid() || !strings.EqualFold(tok.TokenType, "bearer") || tok.RefreshToken == "" || tok.Expiry.IsZero() {
			t.Fatalf("token %+v", tok)
		}
		if tok.Extra("patient") != "pat-a" {
			t.Errorf("patient context %v", tok.Extra("patient"))
		}
		granted := strings.Fields(tok.Extra("scope").(string))
		for _, want := range strings.Fields(appScopes) {
			if !contains(granted, want) {
				t.Errorf("scope %q not granted: %v", want, granted)
			}
		}

		// The library's client carries the token to the FHIR face.
		resp, err := cfg.Client(ctx, tok).Get(ts.app.FHIRBase + "/Patient/pat-a")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("Patient read with the library's client: %d", resp.StatusCode)
		}

		// go-oidc discovers the issuer and verifies the id_token.
		provider, err := oidc.NewProvider(ctx, ts.app.BaseURL)
		if err != nil {
			t.Fatalf("go-oidc discovery: %v", err)
		}
		raw, _ := tok.Extra("id_token").(string)
		idt, err := provider.Verifier(&oidc.Config{ClientID: cfg.ClientID}).Verify(ctx, raw)
		if err != nil {
			t.Fatalf("go-oidc verify: %v", err)
		}
		var claims struct {
			FHIRUser string `json:"fhirUser"`
			Nonce    string `json:"nonce"`
		}
		if err := idt.Claims(&claims); err != nil {
			t.Fatal(err)
		}
		if idt.Issuer != ts.app.BaseURL || idt.Subject == "" || claims.Nonce != "nonce-1" || !strings.HasSuffix(claims.FHIRUser, "Patient/pat-a") {
			t.Errorf("id_token iss %q sub %q nonce %q fhirUser %q", idt.Issuer, idt.Subject, claims.Nonce, claims.FHIRUser)
		}
		// An id_token checked against another client id is refused.
		if _, err := provider.Verifier(&oidc.Config{ClientID: "someone-else"}).Verify(ctx, raw); err == nil {
			t.Error("id_token accepted for another audience")
		}
		// The userinfo endpoint the discovery names answers for the token.
		ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil || ui.Subject != idt.Subject {
			t.Errorf("userinfo: %v %+v", err, ui)
		}
	})
}

func TestOAuth2LibraryRefreshRotates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newAuthTestServer(t, dialect)
		ts.seedPatient("pat-a")
		ts.addPatientUser("amy", "pat-a")
		cfg := ts.oauthApp(ts.publicApp(appScopes))
		ctx := context.Background()
		first := launchWithOAuth2(t, ts, cfg, "amy", "n")

		// An expired token makes the library refresh it.
		stale := &oauth2.Token{AccessToken: first.AccessToken, RefreshToken: first.RefreshToken, Expiry: time.Now().Add(-time.Minute)}
		second, err := cfg.TokenSource(ctx, stale).Token()
		if err != nil {
			t.Fatalf("x/oauth2 refresh: %v", err)
		}
		if second.AccessToken == first.AccessToken || second.RefreshToken == "" || second.RefreshToken == first.RefreshToken {
			t.Fatalf("refresh did not rotate: %+v", second)
		}
		if r := ts.do("GET", "/fhir/r4/Patient/pat-a", second.AccessToken, ""); r.status != 200 {
			t.Fatalf("read with the refreshed token: %d %s", r.status, r.body)
		}
		// The new refresh token works once more.
		third, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: second.RefreshToken}).Token()
		if err != nil {
			t.Fatalf("second refresh: %v", err)
		}

		// Reusing a rotated refresh token fails with an OAuth error, and
		// ends the family: the newest refresh token stops working too.
		_, err = cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: first.RefreshToken}).Token()
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || (re.Response.StatusCode != 400 && re.Response.StatusCode != 401) || re.ErrorCode != "invalid_grant" {
			t.Fatalf("reused refresh token: %v", err)
		}
		if _, err := cfg.TokenSource(ctx, &oauth2.Token{RefreshToken: third.RefreshToken}).Token(); err == nil {
			t.Error("the family survived the reuse of an old refresh token")
		}
	})
}

func TestOAuth2LibraryConfidentialClientBasicAuth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newAuthTestServer(t, dialect)
		ts.seedPatient("pat-a")
		ts.addPatientUser("amy", "pat-a")
		reg := ts.register(auth.ClientMetadata{ClientName: "Clinic app", RedirectURIs: []string{appRedirect},
			TokenEndpointAuthMethod: auth.AuthClientSecretBasic, Scope: appScopes})
		cfg := ts.oauthApp(reg.ClientID)
		cfg.ClientSecret = reg.ClientSecret
		cfg.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
		tok := launchWithOAuth2(t, ts, cfg, "amy", "n")
		if tok.Extra("patient") != "pat-a" {
			t.Errorf("patient %v", tok.Extra("patient"))
		}
		// The wrong secret is refused as the library expects.
		cfg.ClientSecret = "wrong"
		_, err := cfg.TokenSource(context.Background(), &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
			t.Fatalf("wrong secret: %v", err)
		}
	})
}

// signedAssertion makes a private_key_jwt client assertion.
func signedAssertion(t testing.TB, key *rsa.PrivateKey, kid, clientID, aud string) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS384, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	claims, _ := json.Marshal(map[string]any{"iss": clientID, "sub": clientID, "aud": aud,
		"iat": now.Unix(), "exp": now.Add(4 * time.Minute).Unix(), "jti": randomString()})
	jws, err := sig.Sign(claims)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := jws.CompactSerialize()
	return s
}

// rsaBackend registers a backend client holding a new RS384 key by value.
func (ts *testServer) rsaBackend(scopes string) (string, *rsa.PrivateKey) {
	ts.t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		ts.t.Fatal(err)
	}
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS384", Use: "sig"}}})
	reg := ts.register(auth.ClientMetadata{ClientName: "backend", TokenEndpointAuthMethod: auth.AuthPrivateKeyJWT,
		GrantTypes: []string{auth.GrantClientCredentials}, Scope: scopes, JWKS: jwks})
	return reg.ClientID, key
}

func TestClientCredentialsLibrary(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newAuthTestServer(t, dialect)
		ts.seedPatient("pat-a")
		id, key := ts.rsaBackend("system/Patient.rs system/Observation.rs")
		tokenURL := ts.app.BaseURL + "/connect/token"
		// clientcredentials sends the assertion through EndpointParams; a
		// fresh configuration per token, since each assertion's jti is
		// single-use.
		fetch := func(scopes ...string) (*oauth2.Token, error) {
			cc := clientcredentials.Config{ClientID: id, TokenURL: tokenURL, Scopes: scopes, AuthStyle: oauth2.AuthStyleInParams,
				EndpointParams: url.Values{
					"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
					"client_assertion":      {signedAssertion(t, key, "k1", id, tokenURL)},
				}}
			return cc.Token(context.Background())
		}
		tok, err := fetch("system/Patient.rs")
		if err != nil {
			t.Fatalf("clientcredentials: %v", err)
		}
		if tok.RefreshToken != "" || tok.Extra("scope") != "system/Patient.rs" || time.Until(tok.Expiry) > 5*time.Minute {
			t.Errorf("token %+v scope %v", tok, tok.Extra("scope"))
		}
		if r := ts.do("GET", "/fhir/r4/Patient/pat-a", tok.AccessToken, ""); r.status != 200 {
			t.Errorf("read: %d %s", r.status, r.body)
		}
		if r := ts.do("GET", "/fhir/r4/Observation", tok.AccessToken, ""); r.status != 403 {
			t.Errorf("type not in the token: %d", r.status)
		}
		// Scopes beyond the registration are not granted.
		if _, err := fetch("system/Condition.rs"); err == nil {
			t.Error("got a token for an unregistered scope")
		}
		// An assertion signed by another key is refused as invalid_client.
		other, _ := rsa.GenerateKey(rand.Reader, 2048)
		cc := clientcredentials.Config{ClientID: id, TokenURL: tokenURL, Scopes: []string{"system/Patient.rs"}, AuthStyle: oauth2.AuthStyleInParams,
			EndpointParams: url.Values{"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
				"client_assertion": {signedAssertion(t, other, "k1", id, tokenURL)}}}
		_, err = cc.Token(context.Background())
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.ErrorCode != "invalid_client" {
			t.Errorf("foreign key: %v", err)
		}
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
