package auth

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/go-jose/go-jose/v4"
)

func ccForm(scopes, assertion string) url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "scope": {scopes},
		"client_assertion_type": {assertionType}, "client_assertion": {assertion}}
}

const backendScopes = "system/*.rs system/*.$export system/Patient.$export"

func TestClientCredentialsRS384(t *testing.T) {
	e := newEnv(t)
	id := e.backendClient(backendScopes)
	r := e.post("/connect/token", ccForm("system/Observation.rs system/Patient.read user/Patient.rs openid", assertion(t, rsaKey(), jose.RS384, "rs-1", e.assertionClaims(id), nil)))
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if !strings.EqualFold(r.str("token_type"), "bearer") || r.json["expires_in"] != float64(60) {
		t.Errorf("token_type %q expires_in %v", r.str("token_type"), r.json["expires_in"])
	}
	// Only the system/ scopes within the registration are granted.
	if r.str("scope") != "system/Observation.rs system/Patient.read" {
		t.Errorf("scope %q", r.str("scope"))
	}
	if r.json["refresh_token"] != nil || r.json["id_token"] != nil {
		t.Error("a backend token response carries a refresh token or id_token")
	}
	if r.header.Get("Cache-Control") != "no-store" || r.header.Get("Pragma") != "no-cache" {
		t.Error("token answer is cacheable")
	}
	p, err := e.srv.Verifier().Verify(bg, r.str("access_token"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Role != authz.RoleSystem || p.ClientID != id || p.Subject != id || p.Audience != e.fhirBase {
		t.Errorf("claims %+v", p.Claims)
	}
	if err := p.CanFHIR("Observation", 2); err != nil {
		t.Errorf("system token cannot read Observation: %v", err)
	}
}

func TestClientCredentialsES384(t *testing.T) {
	e := newEnv(t)
	id := e.backendClient(backendScopes)
	r := e.post("/connect/token", ccForm("system/*.rs", assertion(t, ecKey(), jose.ES384, "ec-1", e.assertionClaims(id), nil)))
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestClientCredentialsRefusals(t *testing.T) {
	type tc struct {
		name   string
		form   func(e *env, id string) url.Values
		status int
		code   string
	}
	sign := func(e *env, key any, alg jose.SignatureAlgorithm, kid string, edit func(map[string]any), hdr map[string]any, id string) string {
		c := e.assertionClaims(id)
		if edit != nil {
			edit(c)
		}
		return assertion(e.t, key, alg, kid, c, hdr)
	}
	good := func(edit func(map[string]any)) func(e *env, id string) url.Values {
		return func(e *env, id string) url.Values {
			return ccForm("system/*.rs", sign(e, rsaKey(), jose.RS384, "rs-1", edit, nil, id))
		}
	}
	cases := []tc{
		{"wrong aud", good(func(c map[string]any) { c["aud"] = "https://other.example/token" }), 401, errInvalidClient},
		{"aud is the issuer", func(e *env, id string) url.Values {
			return ccForm("system/*.rs", sign(e, rsaKey(), jose.RS384, "rs-1", func(c map[string]any) { c["aud"] = e.base }, nil, id))
		}, 401, errInvalidClient},
		{"expired", good(func(c map[string]any) { c["exp"] = c["iat"].(int64) - 120 }), 401, errInvalidClient},
		{"exp too far ahead", good(func(c map[string]any) { c["exp"] = c["iat"].(int64) + 3600 }), 401, errInvalidClient},
		{"no exp", good(func(c map[string]any) { delete(c, "exp") }), 401, errInvalidClient},
		{"no jti", good(func(c map[string]any) { delete(c, "jti") }), 401, errInvalidClient},
		{"iss is not sub", good(func(c map[string]any) { c["sub"] = "someone-else" }), 401, errInvalidClient},
		{"unknown client", good(func(c map[string]any) { c["iss"], c["sub"] = "nobody", "nobody" }), 401, errInvalidClient},
		{"nbf in the future", good(func(c map[string]any) { c["nbf"] = c["iat"].(int64) + 600 }), 401, errInvalidClient},
		{"RS256 is not allowed", func(e *env, id string) url.Values {
			return ccForm("system/*.rs", sign(e, rsaKey(), jose.RS256, "rs-1", nil, nil, id))
		}, 401, errInvalidClient},
		{"HS256 with the public key as secret", func(e *env, id string) url.Values {
			return ccForm("system/*.rs", sign(e, []byte("a-shared-secret-a-shared-secret-xx"), jose.HS256, "rs-1", nil, nil, id))
		}, 401, errInvalidClient},
		{"alg none", func(e *env, id string) url.Values {
			c := e.assertionClaims(id)
			tok := b64url(`{"alg":"none","kid":"rs-1"}`) + "." + b64url(mustJSON(c)) + "."
			return ccForm("system/*.rs", tok)
		}, 401, errInvalidClient},
		{"signed by another key", func(e *env, id string) url.Values {
			return ccForm("system/*.rs", sign(e, otherRSAKey(), jose.RS384, "rs-1", nil, nil, id))
		}, 401, errInvalidClient},
		{"RS384 header on the EC key's kid", func(e *env, id string) url.Values {
			return ccForm("system/*.rs", sign(e, rsaKey(), jose.RS384, "ec-1", nil, nil, id))
		}, 401, errInvalidClient},
		{"unknown kid", func(e *env, id string) url.Values {
			return ccForm("system/*.rs", sign(e, rsaKey(), jose.RS384, "nope", nil, nil, id))
		}, 401, errInvalidClient},
		{"no kid", func(e *env, id string) url.Values {
			return ccForm("system/*.rs", sign(e, rsaKey(), jose.RS384, "", nil, nil, id))
		}, 401, errInvalidClient},
		{"jku not registered", func(e *env, id string) url.Values {
			return ccForm("system/*.rs", sign(e, rsaKey(), jose.RS384, "rs-1", nil, map[string]any{"jku": "https://evil.example/jwks"}, id))
		}, 401, errInvalidClient},
		{"client_id differs from iss", func(e *env, id string) url.Values {
			f := good(nil)(e, id)
			f.Set("client_id", "other")
			return f
		}, 401, errInvalidClient},
		{"garbage assertion", func(e *env, id string) url.Values { return ccForm("system/*.rs", "not.a.jwt") }, 401, errInvalidClient},
		{"no assertion", func(e *env, id string) url.Values {
			return url.Values{"grant_type": {"client_credentials"}, "scope": {"system/*.rs"}, "client_id": {id}}
		}, 401, errInvalidClient},
		{"no scope", func(e *env, id string) url.Values {
			f := good(nil)(e, id)
			f.Del("scope")
			return f
		}, 400, errInvalidRequest},
		{"scope not registered", func(e *env, id string) url.Values {
			f := good(nil)(e, id)
			f.Set("scope", "system/*.cruds")
			f.Set("scope", "user/Patient.rs patient/Patient.rs")
			return f
		}, 400, errInvalidScope},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			id := e.backendClient(backendScopes)
			r := e.post("/connect/token", c.form(e, id))
			wantOAuthError(t, r, c.status, c.code)
		})
	}
}

func TestClientCredentialsAssertionReplay(t *testing.T) {
	e := newEnv(t)
	id := e.backendClient(backendScopes)
	a := assertion(t, rsaKey(), jose.RS384, "rs-1", e.assertionClaims(id), nil)
	if r := e.post("/connect/token", ccForm("system/*.rs", a)); r.status != 200 {
		t.Fatalf("first use: %d %s", r.status, r.body)
	}
	wantOAuthError(t, e.post("/connect/token", ccForm("system/*.rs", a)), 401, errInvalidClient)
}

func TestClientCredentialsNeedsTheGrantType(t *testing.T) {
	e := newEnv(t)
	jwks := publicJWKS(t, map[string]any{"rs-1": rsaKey()})
	id := e.register(ClientMetadata{TokenEndpointAuthMethod: AuthPrivateKeyJWT, JWKS: []byte(jwks), RedirectURIs: []string{appRedirect},
		GrantTypes: []string{GrantAuthorizationCode}, Scope: "system/*.rs openid"}).ClientID
	r := e.post("/connect/token", ccForm("system/*.rs", assertion(t, rsaKey(), jose.RS384, "rs-1", e.assertionClaims(id), nil)))
	wantOAuthError(t, r, 400, errUnauthorizedClient)
}

func TestClientCredentialsWithSecretRefused(t *testing.T) {
	e := newEnv(t)
	id, secret := e.confidentialClient("openid user/Patient.rs")
	r := e.post("/connect/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"system/*.rs"}}, basic(id, secret))
	wantOAuthError(t, r, 401, errInvalidClient)
}

func TestClientCredentialsTokenExpires(t *testing.T) {
	e := newEnv(t)
	id := e.backendClient(backendScopes)
	r := e.post("/connect/token", ccForm("system/*.rs", assertion(t, rsaKey(), jose.RS384, "rs-1", e.assertionClaims(id), nil)))
	e.clock.Advance(2 * time.Minute)
	if _, err := e.srv.Verifier().Verify(bg, r.str("access_token")); err == nil {
		t.Error("a one-minute token still verifies two minutes later")
	}
}

// jwksServer serves the test keys over TLS with the Cache-Control given,
// counting fetches.
func jwksServer(t *testing.T, cacheControl string, body func() string) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if cacheControl != "" {
			w.Header().Set("Cache-Control", cacheControl)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(body()))
	}))
	t.Cleanup(ts.Close)
	return ts, &n
}

func TestClientCredentialsJWKSByURL(t *testing.T) {
	keys := func() string { return publicJWKS(t, map[string]any{"rs-1": rsaKey(), "ec-1": ecKey()}) }
	cases := []struct {
		name         string
		cacheControl string
		advance      time.Duration
		wantFetches  int32
	}{
		{"max-age caches", "max-age=120", 0, 1},
		{"no-store is not cached", "no-store", 0, 2},
		{"no-cache is not cached", "no-cache", 0, 2},
		{"expired max-age refetches", "public, max-age=30", time.Minute, 2},
		{"no header: short default", "", 0, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ks, fetches := jwksServer(t, tc.cacheControl, keys)
			e := newEnv(t, func(c *Config) { c.HTTPClient = ks.Client() })
			id := e.register(ClientMetadata{JWKSURI: ks.URL + "/jwks.json", Scope: "system/*.rs"}).ClientID
			for i, kv := range []struct {
				key any
				alg jose.SignatureAlgorithm
				kid string
			}{{rsaKey(), jose.RS384, "rs-1"}, {ecKey(), jose.ES384, "ec-1"}} {
				if i == 1 {
					e.clock.Advance(tc.advance)
				}
				r := e.post("/connect/token", ccForm("system/*.rs", assertion(t, kv.key, kv.alg, kv.kid, e.assertionClaims(id), nil)))
				if r.status != 200 {
					t.Fatalf("assertion %d: %d %s", i, r.status, r.body)
				}
			}
			if got := fetches.Load(); got != tc.wantFetches {
				t.Errorf("fetched the JWKS %d times, want %d", got, tc.wantFetches)
			}
		})
	}
}

func TestClientCredentialsJWKSRotation(t *testing.T) {
	// A client that adds a key is found by one refetch, even inside its
	// cache lifetime; an unknown kid does not refetch more than once per
	// interval.
	var current atomic.Value
	current.Store(publicJWKS(t, map[string]any{"rs-1": rsaKey()}))
	ks, fetches := jwksServer(t, "max-age=3600", func() string { return current.Load().(string) })
	e := newEnv(t, func(c *Config) { c.HTTPClient = ks.Client() })
	id := e.register(ClientMetadata{JWKSURI: ks.URL, Scope: "system/*.rs"}).ClientID
	if r := e.post("/connect/token", ccForm("system/*.rs", assertion(t, rsaKey(), jose.RS384, "rs-1", e.assertionClaims(id), nil))); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	current.Store(publicJWKS(t, map[string]any{"rs-1": rsaKey(), "rs-2": otherRSAKey()}))
	e.clock.Advance(time.Minute)
	if r := e.post("/connect/token", ccForm("system/*.rs", assertion(t, otherRSAKey(), jose.RS384, "rs-2", e.assertionClaims(id), nil))); r.status != 200 {
		t.Fatalf("new key: %d %s", r.status, r.body)
	}
	for range 3 {
		e.post("/connect/token", ccForm("system/*.rs", assertion(t, rsaKey(), jose.RS384, "unknown", e.assertionClaims(id), nil)))
	}
	if got := fetches.Load(); got != 2 {
		t.Errorf("fetched %d times, want 2 (first use, one refetch for the new kid)", got)
	}
}

func TestClientCredentialsJKUMatchingRegistration(t *testing.T) {
	ks, _ := jwksServer(t, "max-age=60", func() string { return publicJWKS(t, map[string]any{"rs-1": rsaKey()}) })
	e := newEnv(t, func(c *Config) { c.HTTPClient = ks.Client() })
	id := e.register(ClientMetadata{JWKSURI: ks.URL, Scope: "system/*.rs"}).ClientID
	r := e.post("/connect/token", ccForm("system/*.rs", assertion(t, rsaKey(), jose.RS384, "rs-1", e.assertionClaims(id), map[string]any{"jku": ks.URL})))
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestCacheTTL(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		h    http.Header
		want time.Duration
	}{
		{http.Header{"Cache-Control": {"max-age=60"}}, time.Minute},
		{http.Header{"Cache-Control": {"public, max-age=600"}, "Age": {"100"}}, 500 * time.Second},
		{http.Header{"Cache-Control": {"max-age=86400"}}, jwksMaxTTL},
		{http.Header{"Cache-Control": {"no-store"}}, 0},
		{http.Header{"Cache-Control": {"max-age=60, no-cache"}}, 0},
		{http.Header{"Cache-Control": {"max-age=abc"}}, 0},
		{http.Header{"Expires": {now.Add(2 * time.Minute).Format(http.TimeFormat)}, "Date": {now.Format(http.TimeFormat)}}, 2 * time.Minute},
		{http.Header{"Expires": {"0"}}, 0},
		{http.Header{}, jwksDefaultTTL},
	}
	for _, tc := range cases {
		if got := cacheTTL(tc.h, now); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.h, got, tc.want)
		}
	}
}
