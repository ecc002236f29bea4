package auth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func (e *env) registerJSON(body string) result {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.base+"/connect/register", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return do(e.t, nil, req)
}

func TestRegisterPublicPatientApp(t *testing.T) {
	e := newEnv(t)
	r := e.registerJSON(`{"client_name":"My App","redirect_uris":["https://app.example/cb"],"scope":"openid fhirUser launch/patient patient/Patient.read patient/Document.read made-up"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r.str("client_id") == "" || r.json["client_secret"] != nil {
		t.Fatalf("public client: %s", r.body)
	}
	if r.str("token_endpoint_auth_method") != "none" || r.str("status") != "approved" {
		t.Errorf("method %q status %q", r.str("token_endpoint_auth_method"), r.str("status"))
	}
	// Unknown scopes are dropped from what is registered (RFC 7591 2);
	// Document.read, from the product's scope list, is kept.
	if r.str("scope") != "openid fhirUser launch/patient patient/Patient.read patient/Document.read" {
		t.Errorf("scope %q", r.str("scope"))
	}
	c, err := e.store.Client(bg, r.str("client_id"))
	if err != nil || c.Status != ClientApproved || !c.Public() {
		t.Fatalf("stored %+v %v", c, err)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Error("registration answer is cacheable")
	}
}

func TestRegisterConfidentialGetsHashedSecret(t *testing.T) {
	e := newEnv(t)
	r := e.registerJSON(`{"application_type":"private","redirect_uris":["https://app.example/cb"],"scope":"openid patient/Patient.rs"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("%d %s", r.status, r.body)
	}
	secret := r.str("client_secret")
	if len(secret) < 43 || r.str("token_endpoint_auth_method") != AuthClientSecretBasic {
		t.Fatalf("%s", r.body)
	}
	c, _ := e.store.Client(bg, r.str("client_id"))
	if c.SecretHash == secret || c.SecretHash != HashSecret(secret) {
		t.Errorf("secret stored as %q", c.SecretHash)
	}
}

func TestRegisterApproval(t *testing.T) {
	cases := []struct {
		name   string
		body   string
		manual bool
		want   ClientStatus
	}{
		{"patient app", `{"redirect_uris":["https://a.example/cb"],"scope":"patient/Patient.rs"}`, false, ClientApproved},
		{"patient app, manual approval", `{"redirect_uris":["https://a.example/cb"],"scope":"patient/Patient.rs"}`, true, ClientPending},
		{"user scopes wait", `{"application_type":"private","redirect_uris":["https://a.example/cb"],"scope":"user/Patient.rs"}`, false, ClientPending},
		{"EHR launch waits", `{"redirect_uris":["https://a.example/cb"],"scope":"launch patient/Patient.rs"}`, false, ClientPending},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.manual {
				e.store.SetSetting(bg, SettingAppApproval, "manual")
			}
			r := e.registerJSON(tc.body)
			if r.status != http.StatusCreated || ClientStatus(r.str("status")) != tc.want {
				t.Fatalf("%d %s, want status %s", r.status, r.body, tc.want)
			}
		})
	}
}

func TestRegisterSystemScopesWait(t *testing.T) {
	e := newEnv(t)
	jwks := publicJWKS(t, map[string]any{"k1": rsaKey()})
	r := e.registerJSON(`{"client_name":"Bulk","jwks":` + jwks + `,"scope":"system/*.rs system/*.$export"}`)
	if r.status != http.StatusCreated || r.str("status") != string(ClientPending) {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r.str("token_endpoint_auth_method") != AuthPrivateKeyJWT {
		t.Errorf("method %q", r.str("token_endpoint_auth_method"))
	}
	if gt := r.json["grant_types"].([]any); len(gt) != 1 || gt[0] != "client_credentials" {
		t.Errorf("grant types %v", gt)
	}
	// A pending client is refused at the token endpoint.
	id := r.str("client_id")
	claims := e.assertionClaims(id)
	res := e.post("/connect/token", ccForm("system/*.rs", assertion(t, rsaKey(), jose.RS384, "k1", claims, nil)))
	wantOAuthError(t, res, 401, errInvalidClient)
}

func TestRegisterRefusals(t *testing.T) {
	ecPriv, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	privJWKS, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: ecPriv, KeyID: "p"}}})
	hmacJWKS, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "h"}}})
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p256JWKS, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: p256.Public(), KeyID: "e"}}})
	good := publicJWKS(t, map[string]any{"k1": rsaKey()})
	cases := []struct {
		name, body, code string
	}{
		{"public with user scope", `{"redirect_uris":["https://a.example/cb"],"scope":"user/Patient.rs"}`, errInvalidClientMetadata},
		{"public with system scope", `{"redirect_uris":["https://a.example/cb"],"scope":"system/Patient.rs"}`, errInvalidClientMetadata},
		{"system scope with a secret", `{"application_type":"private","redirect_uris":["https://a.example/cb"],"scope":"system/Patient.rs"}`, errInvalidClientMetadata},
		{"client_credentials without keys", `{"application_type":"private","grant_types":["client_credentials"],"scope":"openid"}`, errInvalidClientMetadata},
		{"private_key_jwt without keys", `{"token_endpoint_auth_method":"private_key_jwt","redirect_uris":["https://a.example/cb"],"scope":"openid"}`, errInvalidClientMetadata},
		{"private key registered", `{"jwks":` + string(privJWKS) + `,"scope":"system/*.rs"}`, errInvalidClientMetadata},
		{"symmetric key registered", `{"jwks":` + string(hmacJWKS) + `,"scope":"system/*.rs"}`, errInvalidClientMetadata},
		{"P-256 key registered", `{"jwks":` + string(p256JWKS) + `,"scope":"system/*.rs"}`, errInvalidClientMetadata},
		{"jwks and jwks_uri", `{"jwks":` + good + `,"jwks_uri":"https://k.example/jwks","scope":"system/*.rs"}`, errInvalidClientMetadata},
		{"http jwks_uri", `{"jwks_uri":"http://k.example/jwks","scope":"system/*.rs"}`, errInvalidClientMetadata},
		{"no redirect_uris", `{"scope":"patient/Patient.rs"}`, errInvalidRedirectURI},
		{"http redirect off loopback", `{"redirect_uris":["http://app.example/cb"],"scope":"patient/Patient.rs"}`, errInvalidRedirectURI},
		{"redirect with fragment", `{"redirect_uris":["https://app.example/cb#x"],"scope":"patient/Patient.rs"}`, errInvalidRedirectURI},
		{"javascript redirect", `{"redirect_uris":["javascript:alert(1)"],"scope":"patient/Patient.rs"}`, errInvalidRedirectURI},
		{"relative redirect", `{"redirect_uris":["/cb"],"scope":"patient/Patient.rs"}`, errInvalidRedirectURI},
		{"no scope", `{"redirect_uris":["https://a.example/cb"]}`, errInvalidClientMetadata},
		{"only unknown scopes", `{"redirect_uris":["https://a.example/cb"],"scope":"email phone"}`, errInvalidClientMetadata},
		{"implicit grant", `{"redirect_uris":["https://a.example/cb"],"response_types":["token"],"scope":"openid"}`, errInvalidClientMetadata},
		{"unknown auth method", `{"token_endpoint_auth_method":"tls_client_auth","redirect_uris":["https://a.example/cb"],"scope":"openid"}`, errInvalidClientMetadata},
		{"not JSON", `client_name=x`, errInvalidClientMetadata},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			r := e.registerJSON(tc.body)
			wantOAuthError(t, r, 400, tc.code)
			if cs, _ := e.store.Clients(bg); len(cs) != 0 {
				t.Errorf("a refused registration stored %d clients", len(cs))
			}
		})
	}
}

func TestRegisterAcceptsNativeAndLoopbackRedirects(t *testing.T) {
	e := newEnv(t)
	r := e.registerJSON(`{"redirect_uris":["http://127.0.0.1:8765/cb","http://localhost/cb","com.example.app:/oauth"],"scope":"patient/Patient.rs"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestRegisterJWKSAsString(t *testing.T) {
	// OpenEMR accepts the key set as a JSON string; so do we.
	e := newEnv(t)
	jwks, _ := json.Marshal(publicJWKS(t, map[string]any{"k1": rsaKey()}))
	r := e.registerJSON(`{"jwks":` + string(jwks) + `,"scope":"system/*.rs"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("%d %s", r.status, r.body)
	}
	c, _ := e.store.Client(bg, r.str("client_id"))
	if !json.Valid([]byte(c.JWKS)) || c.JWKS[0] != '{' {
		t.Errorf("stored JWKS %q", c.JWKS)
	}
}

func TestRegisterRequiresJSON(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest(http.MethodPost, e.base+"/connect/register", bytes.NewReader([]byte(`{"scope":"openid"}`)))
	req.Header.Set("Content-Type", "text/plain")
	wantOAuthError(t, do(t, nil, req), 400, errInvalidClientMetadata)
}
