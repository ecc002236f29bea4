package server_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// backendClient registers a private_key_jwt client with an RS384 key given
// by value, as `emp client add --jwks-file` does, and returns a function
// that makes a fresh client assertion.
func (ts *testServer) backendClient(scope string) (id string, assert func() string) {
	ts.t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		ts.t.Fatal(err)
	}
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS384", Use: "sig"}}})
	reg, err := ts.app.Auth.Register(context.Background(), auth.ClientMetadata{
		ClientName: "backend", TokenEndpointAuthMethod: auth.AuthPrivateKeyJWT,
		GrantTypes: []string{auth.GrantClientCredentials}, Scope: scope, JWKS: jwks,
	}, true)
	if err != nil {
		ts.t.Fatal(err)
	}
	tokenURL := ts.app.BaseURL + "/connect/token"
	return reg.ClientID, func() string {
		sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS384, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}},
			(&jose.SignerOptions{}).WithType("JWT"))
		if err != nil {
			ts.t.Fatal(err)
		}
		jti := make([]byte, 12)
		rand.Read(jti)
		now := time.Now()
		claims, _ := json.Marshal(map[string]any{"iss": reg.ClientID, "sub": reg.ClientID, "aud": tokenURL,
			"iat": now.Unix(), "exp": now.Add(4 * time.Minute).Unix(), "jti": base64.RawURLEncoding.EncodeToString(jti)})
		jws, err := sig.Sign(claims)
		if err != nil {
			ts.t.Fatal(err)
		}
		s, _ := jws.CompactSerialize()
		return s
	}
}

func (ts *testServer) form(path string, v url.Values) response {
	ts.t.Helper()
	resp, err := http.PostForm(ts.srv.URL+path, v)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return response{status: resp.StatusCode, header: resp.Header, body: []byte(b.String())}
}

// TestBackendServicesThroughTheWholeServer: discovery, a client-credentials
// token from the authorization server on the SQL store, the FHIR face
// honouring its scopes, and revocation taking effect at once.
func TestBackendServicesThroughTheWholeServer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		ts := newTestServer(t, dialect)
		for _, path := range []string{"/.well-known/smart-configuration", "/fhir/r4/.well-known/smart-configuration"} {
			r := ts.do("GET", path, "", "")
			if r.status != 200 || r.json(t)["token_endpoint"] != ts.app.BaseURL+"/connect/token" {
				t.Fatalf("%s: %d %s", path, r.status, r.body)
			}
		}
		admin := ts.token("user/*.cruds", "")
		ts.do("PUT", "/fhir/r4/Patient/p1", admin, `{"resourceType":"Patient","id":"p1"}`)

		id, assert := ts.backendClient("system/Patient.rs")
		r := ts.form("/connect/token", url.Values{
			"grant_type": {"client_credentials"}, "scope": {"system/Patient.rs"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion":      {assert()},
		})
		if r.status != 200 || r.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("token: %d %s %s", r.status, r.header.Get("Cache-Control"), r.body)
		}
		tok, _ := r.json(t)["access_token"].(string)
		if tok == "" {
			t.Fatalf("no access token: %s", r.body)
		}
		if r := ts.do("GET", "/fhir/r4/Patient/p1", tok, ""); r.status != 200 {
			t.Errorf("system/Patient.rs read: %d %s", r.status, r.body)
		}
		if r := ts.do("GET", "/fhir/r4/Observation", tok, ""); r.status != 403 {
			t.Errorf("ungranted type: %d", r.status)
		}
		// The same assertion twice is a replay.
		a := assert()
		form := url.Values{"grant_type": {"client_credentials"}, "scope": {"system/Patient.rs"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a}}
		if r := ts.form("/connect/token", form); r.status != 200 {
			t.Fatalf("second token: %d %s", r.status, r.body)
		}
		if r := ts.form("/connect/token", form); r.status != 400 && r.status != 401 {
			t.Errorf("replayed assertion: %d %s", r.status, r.body)
		}
		// Revoking the token ends it on the FHIR face at once.
		rv := ts.form("/connect/revoke", url.Values{"token": {tok},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assert()}})
		if rv.status != 200 {
			t.Fatalf("revoke: %d %s", rv.status, rv.body)
		}
		if r := ts.do("GET", "/fhir/r4/Patient/p1", tok, ""); r.status != 401 {
			t.Errorf("revoked token: %d", r.status)
		}
		// A disabled client gets no token.
		if err := ts.app.Store.SetClientStatus(context.Background(), id, auth.ClientDisabled); err != nil {
			t.Fatal(err)
		}
		form.Set("client_assertion", assert())
		if r := ts.form("/connect/token", form); r.status == 200 {
			t.Errorf("disabled client got a token: %s", r.body)
		}
	})
}

// TestOperatorTokenRevocable: a token minted by `emp token` carries an id,
// so revoking it works like revoking any other.
func TestOperatorTokenRevocable(t *testing.T) {
	ts := newTestServer(t, "sqlite")
	tok := ts.token("user/*.cruds", "")
	p, err := ts.app.Gate.Verify(context.Background(), tok)
	if err != nil || p.ID == "" {
		t.Fatalf("operator token: %v, jti %q", err, p.ID)
	}
	if err := ts.app.Store.RevokeToken(context.Background(), p.ID, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if r := ts.do("GET", "/fhir/r4/Patient", tok, ""); r.status != 401 {
		t.Errorf("revoked operator token: %d", r.status)
	}
}
