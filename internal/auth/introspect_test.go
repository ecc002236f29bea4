package auth

import (
	"net/url"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

func TestIntrospectAccessToken(t *testing.T) {
	e := newEnv(t)
	clientID, tok := e.patientTokens()
	r := e.post("/connect/introspect", url.Values{"token": {tok.str("access_token")}, "client_id": {clientID}})
	if r.status != 200 || r.json["active"] != true {
		t.Fatalf("%d %s", r.status, r.body)
	}
	id := verifyIDToken(t, e, tok.str("id_token"))
	checks := map[string]any{
		"scope": tok.str("scope"), "client_id": clientID, "patient": "pat-1", "iss": id["iss"], "sub": id["sub"],
		"fhirUser": id["fhirUser"], "token_type": "Bearer",
	}
	for k, want := range checks {
		if r.json[k] != want {
			t.Errorf("%s = %v, want %v", k, r.json[k], want)
		}
	}
	if exp, ok := r.json["exp"].(float64); !ok || int64(exp) != e.clock.Now().Unix()+3600 {
		t.Errorf("exp %v", r.json["exp"])
	}
}

func TestIntrospectRefreshToken(t *testing.T) {
	e := newEnv(t)
	clientID, tok := e.patientTokens()
	r := e.post("/connect/introspect", url.Values{"token": {tok.str("refresh_token")}, "client_id": {clientID}, "token_type_hint": {"refresh_token"}})
	if r.json["active"] != true || r.str("scope") != tok.str("scope") || r.str("token_type") != "refresh_token" {
		t.Fatalf("%s", r.body)
	}
}

func TestIntrospectInactive(t *testing.T) {
	e := newEnv(t)
	clientID, tok := e.patientTokens()
	other := e.publicClient()
	backend := e.backendClient("system/*.rs")
	cc := e.post("/connect/token", ccForm("system/*.rs", assertion(t, rsaKey(), jose.RS384, "rs-1", e.assertionClaims(backend), nil)))
	cases := map[string]url.Values{
		"invalid token value":           {"token": {"invalid_token_value"}, "client_id": {clientID}},
		"malformed JWT":                 {"token": {"a.b.c"}, "client_id": {clientID}},
		"another client's token":        {"token": {tok.str("access_token")}, "client_id": {other}},
		"another client's refresh":      {"token": {tok.str("refresh_token")}, "client_id": {other}},
		"backend token, patient client": {"token": {cc.str("access_token")}, "client_id": {clientID}},
	}
	for name, form := range cases {
		t.Run(name, func(t *testing.T) {
			r := e.post("/connect/introspect", form)
			if r.status != 200 || len(r.json) != 1 || r.json["active"] != false {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
}

func TestIntrospectRevokedAndExpired(t *testing.T) {
	e := newEnv(t)
	clientID, tok := e.patientTokens()
	e.clock.Advance(2 * time.Hour)
	r := e.post("/connect/introspect", url.Values{"token": {tok.str("access_token")}, "client_id": {clientID}})
	if r.json["active"] != false {
		t.Errorf("expired token active: %s", r.body)
	}
	// Revoking the refresh token ends it for introspection too.
	e.post("/connect/revoke", url.Values{"token": {tok.str("refresh_token")}, "client_id": {clientID}})
	r = e.post("/connect/introspect", url.Values{"token": {tok.str("refresh_token")}, "client_id": {clientID}})
	if r.json["active"] != false {
		t.Errorf("revoked refresh token active: %s", r.body)
	}
}

func TestIntrospectWithBearer(t *testing.T) {
	e := newEnv(t)
	_, tok := e.patientTokens()
	r := e.post("/connect/introspect", url.Values{"token": {tok.str("access_token")}}, bearer(tok.str("access_token")))
	if r.json["active"] != true {
		t.Fatalf("%d %s", r.status, r.body)
	}
	wantOAuthError(t, e.post("/connect/introspect", url.Values{"token": {tok.str("access_token")}}, bearer("forged")), 401, errInvalidClient)
}

func TestIntrospectNeedsCaller(t *testing.T) {
	e := newEnv(t)
	_, tok := e.patientTokens()
	wantOAuthError(t, e.post("/connect/introspect", url.Values{"token": {tok.str("access_token")}}), 401, errInvalidClient)
}
