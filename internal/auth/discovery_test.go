package auth

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func TestSmartConfiguration(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/.well-known/smart-configuration", "/fhir/r4/.well-known/smart-configuration"} {
		t.Run(path, func(t *testing.T) {
			r := e.get(path, func(r *http.Request) {
				r.Header.Set("Accept", "text/html")
				r.Header.Set("Origin", "https://any.example")
			})
			if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
				t.Fatalf("%d %s", r.status, r.header.Get("Content-Type"))
			}
			if r.header.Get("Access-Control-Allow-Origin") != "https://any.example" {
				t.Errorf("CORS: %q", r.header.Get("Access-Control-Allow-Origin"))
			}
			for _, k := range []string{"issuer", "jwks_uri", "authorization_endpoint", "token_endpoint", "registration_endpoint",
				"introspection_endpoint", "revocation_endpoint", "userinfo_endpoint"} {
				if v := r.str(k); !strings.HasPrefix(v, e.base) {
					t.Errorf("%s = %q, want an absolute URL on %s", k, v, e.base)
				}
			}
			if r.str("token_endpoint") != e.tokenURL {
				t.Errorf("token_endpoint %q", r.str("token_endpoint"))
			}
			strs := func(k string) []string {
				var out []string
				for _, v := range r.json[k].([]any) {
					out = append(out, v.(string))
				}
				return out
			}
			if got := strs("code_challenge_methods_supported"); !slices.Equal(got, []string{"S256"}) {
				t.Errorf("code_challenge_methods_supported %v", got)
			}
			caps := strs("capabilities")
			for _, c := range []string{"launch-ehr", "launch-standalone", "authorize-post", "client-public",
				"client-confidential-symmetric", "client-confidential-asymmetric", "sso-openid-connect", "context-banner",
				"context-style", "context-ehr-patient", "context-ehr-encounter", "context-standalone-patient",
				"permission-offline", "permission-patient", "permission-user", "permission-v1", "permission-v2"} {
				if !slices.Contains(caps, c) {
					t.Errorf("capability %s missing", c)
				}
			}
			if !slices.Contains(strs("token_endpoint_auth_methods_supported"), "private_key_jwt") {
				t.Error("private_key_jwt not advertised")
			}
			if algs := strs("token_endpoint_auth_signing_alg_values_supported"); !slices.Contains(algs, "RS384") || !slices.Contains(algs, "ES384") {
				t.Errorf("signing algs %v", algs)
			}
			gt := strs("grant_types_supported")
			if !slices.Contains(gt, "authorization_code") || !slices.Contains(gt, "client_credentials") || slices.Contains(gt, "password") {
				t.Errorf("grant types %v", gt)
			}
		})
	}
}

func TestGrantTypesFollowPasswordSetting(t *testing.T) {
	e := newEnv(t)
	e.store.SetSetting(bg, SettingPasswordGrant, "on")
	r := e.get("/.well-known/openid-configuration")
	if !slices.Contains(r.json["grant_types_supported"].([]any), any("password")) {
		t.Errorf("password grant enabled but not advertised: %v", r.json["grant_types_supported"])
	}
}

func TestOpenIDConfiguration(t *testing.T) {
	e := newEnv(t)
	r := e.get("/.well-known/openid-configuration")
	if r.status != 200 {
		t.Fatal(r.status)
	}
	for _, k := range []string{"issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "response_types_supported",
		"subject_types_supported", "id_token_signing_alg_values_supported"} {
		if _, ok := r.json[k]; !ok {
			t.Errorf("%s missing", k)
		}
	}
	if r.str("issuer") != e.base {
		t.Errorf("issuer %q", r.str("issuer"))
	}
	if !slices.Contains(r.json["id_token_signing_alg_values_supported"].([]any), any("RS256")) {
		t.Error("RS256 missing")
	}
}

func TestJWKSHasAnRSAKey(t *testing.T) {
	e := newEnv(t)
	r := e.get("/connect/jwks")
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(r.body, &set); err != nil {
		t.Fatal(err)
	}
	rsa := 0
	for _, k := range set.Keys {
		if k.Algorithm == "RS256" && k.IsPublic() && k.KeyID != "" {
			rsa++
		}
		if !k.IsPublic() {
			t.Errorf("private key %s published", k.KeyID)
		}
	}
	if rsa == 0 {
		t.Errorf("no RS256 key in %s", r.body)
	}
}

func TestSmartStyleIsJSON(t *testing.T) {
	e := newEnv(t)
	r := e.get("/connect/smart-style")
	if r.status != 200 || r.json["color_background"] == nil {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestPatternsCoverEveryEndpoint(t *testing.T) {
	e := newEnv(t)
	mux := http.NewServeMux()
	e.srv.Mount(mux)
	for _, p := range []string{"/connect/token", "/connect/authorize", "/authorize/logout", "/connect/jwks",
		"/fhir/r4/.well-known/smart-configuration", "/.well-known/openid-configuration", "/connect/consent"} {
		req, _ := http.NewRequest(http.MethodGet, e.base+p, nil)
		if _, pat := mux.Handler(req); pat == "" {
			t.Errorf("%s not mounted", p)
		}
	}
}
