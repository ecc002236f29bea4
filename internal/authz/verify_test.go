package authz

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"hash/maphash"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/authrec"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/go-jose/go-jose/v4"
)

// privateKey returns the ring's active private key of alg and its kid.
func (e *env) privateKey(t *testing.T, alg string) (crypto.Signer, string) {
	t.Helper()
	if _, err := e.keys.JWKS(bg); err != nil { // makes both keys
		t.Fatal(err)
	}
	stored, _ := e.store.LoadSigningKeys(bg)
	for _, k := range stored {
		if k.Alg == alg {
			block, _ := pem.Decode(k.PrivatePEM)
			priv, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			return priv.(crypto.Signer), k.KID
		}
	}
	t.Fatalf("no %s key", alg)
	return nil, ""
}

// craft signs any payload with any key, algorithm, kid and typ.
func craft(t *testing.T, alg jose.SignatureAlgorithm, key any, kid, typ string, payload any) string {
	t.Helper()
	opts := &jose.SignerOptions{}
	if typ != "" {
		opts = opts.WithType(jose.ContentType(typ))
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(payload)
	jws, err := sig.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := jws.CompactSerialize()
	return s
}

// payload is a valid claims map at now, to be spoiled by a test case.
func payload(now time.Time) map[string]any {
	return map[string]any{
		"iss": testIssuer, "sub": "u-1", "aud": testAudience, "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(),
		"jti": "j-1", "scope": "user/*.rs", "role": RoleClinician,
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestVerifyFailures(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	ecKey, ecKID := e.privateKey(t, AlgES256)
	rsaKey, rsaKID := e.privateKey(t, AlgRS256)
	valid := e.sign(t, e.claims("user/*.rs"))
	parts := strings.Split(valid, ".")

	spoil := func(change func(map[string]any)) string {
		p := payload(now)
		change(p)
		return craft(t, jose.ES256, ecKey, ecKID, "at+jwt", p)
	}
	with := func(change func(*Claims)) string {
		c := e.claims("user/*.rs")
		change(&c)
		return e.sign(t, c)
	}
	// Another letter of the base64url alphabet in the signature: a flipped
	// bit could make a character outside it ('z' → '{'), which is a
	// malformed token, not a bad signature, for one signature in ten.
	flipped := []byte(parts[2])
	if flipped[10] == 'A' {
		flipped[10] = 'B'
	} else {
		flipped[10] = 'A'
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(ecKey.Public())
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	jwksBytes, _ := e.keys.JWKS(bg)

	tests := []struct {
		name, token, want string
	}{
		{"garbage", "abc.def.ghi", "malformed access token"},
		{"not a JWS", "hello", "malformed access token"},
		{"bad signature", parts[0] + "." + parts[1] + "." + string(flipped), "signature does not verify"},
		{"payload swapped", parts[0] + "." + b64(`{"iss":"x"}`) + "." + parts[2], "signature does not verify"},
		{"alg none", b64(`{"alg":"none","kid":"`+ecKID+`","typ":"at+jwt"}`) + "." + parts[1] + ".", "malformed access token"},
		{"HS256 with the PEM public key as secret", craft(t, jose.HS256, pubPEM, ecKID, "at+jwt", payload(now)), "malformed access token"},
		{"HS256 with the JWKS as secret", craft(t, jose.HS256, jwksBytes, ecKID, "at+jwt", payload(now)), "malformed access token"},
		{"RS384, not allowed", craft(t, jose.RS384, rsaKey, rsaKID, "at+jwt", payload(now)), "malformed access token"},
		{"RS256 header on the EC key's kid", craft(t, jose.RS256, rsaKey, ecKID, "at+jwt", payload(now)), "signature does not verify"},
		{"no typ", craft(t, jose.ES256, ecKey, ecKID, "", payload(now)), "malformed access token"},
		{"typ JWT (an id_token)", craft(t, jose.ES256, ecKey, ecKID, "JWT", payload(now)), "malformed access token"},
		{"unknown kid", newEnv(t).sign(t, e.claims("user/*.rs")), "signature does not verify"},
		{"no kid", craft(t, jose.ES256, ecKey, "", "at+jwt", payload(now)), "signature does not verify"},
		{"too big", strings.Repeat("a", MaxTokenSize+1), "malformed access token"},
		{"wrong audience", with(func(c *Claims) { c.Audience = "https://other.example.org/fhir/r4" }), "access token for another audience"},
		{"wrong issuer", with(func(c *Claims) { c.Issuer = "https://evil.example.org" }), "access token from another issuer"},
		{"audience list without ours", spoil(func(p map[string]any) { p["aud"] = []string{"a", "b"} }), "access token for another audience"},
		{"expired", spoil(func(p map[string]any) { p["exp"] = now.Add(-time.Minute).Unix() }), "access token expired"},
		{"no exp", spoil(func(p map[string]any) { delete(p, "exp") }), "malformed access token"},
		{"no iat", spoil(func(p map[string]any) { delete(p, "iat") }), "malformed access token"},
		{"nbf ahead", spoil(func(p map[string]any) { p["nbf"] = now.Add(time.Minute).Unix() }), "not yet valid"},
		{"iat ahead", spoil(func(p map[string]any) { p["iat"] = now.Add(time.Minute).Unix() }), "not yet valid"},
		{"no jti", spoil(func(p map[string]any) { delete(p, "jti") }), "malformed access token"},
		{"no sub", spoil(func(p map[string]any) { delete(p, "sub") }), "malformed access token"},
		{"unknown role", spoil(func(p map[string]any) { p["role"] = "root" }), "malformed access token"},
		{"malformed scope", spoil(func(p map[string]any) { p["scope"] = "user/*.sr" }), "malformed access token"},
		{"claims not an object", craft(t, jose.ES256, ecKey, ecKID, "at+jwt", []int{1}), "malformed access token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := e.v.Verify(bg, tt.token)
			if p != nil {
				t.Fatalf("accepted: %+v", p.Claims)
			}
			wantErr(t, err, errs.Unauthorized, tt.want)
			if errors.Unwrap(err) == nil {
				t.Error("no cause wrapped for the log")
			}
		})
	}

	// The counterparts that are accepted, so the cases above fail for the
	// reason they name.
	for name, tok := range map[string]string{
		"valid":                   valid,
		"crafted valid":           spoil(func(map[string]any) {}),
		"RS256 access token":      craft(t, jose.RS256, rsaKey, rsaKID, "at+jwt", payload(now)),
		"typ application/at+jwt":  craft(t, jose.ES256, ecKey, ecKID, "application/at+jwt", payload(now)),
		"audience list with ours": spoil(func(p map[string]any) { p["aud"] = []string{"a", testAudience} }),
		"nbf within leeway":       spoil(func(p map[string]any) { p["nbf"] = now.Add(20 * time.Second).Unix() }),
		"expired within leeway":   spoil(func(p map[string]any) { p["exp"] = now.Add(-20 * time.Second).Unix() }),
	} {
		if _, err := e.v.Verify(bg, tok); err != nil {
			t.Errorf("%s rejected: %v", name, err)
		}
	}
}

func TestAuthenticateHeader(t *testing.T) {
	e := newEnv(t)
	tok := e.sign(t, e.claims("user/*.rs"))
	tests := []struct {
		header, want string // want "" means accepted
	}{
		{"", "missing bearer token"},
		{"Bearer", "missing bearer token"},
		{"Bearer ", "missing bearer token"},
		{"Basic dXNlcjpwYXNz", "missing bearer token"},
		{tok, "missing bearer token"},
		{"Bearer " + tok + " extra", "missing bearer token"},
		{"Bearer " + tok, ""},
		{"bearer " + tok, ""},
		{"BEARER   " + tok + "  ", ""},
		{"Bearer x" + tok, "malformed access token"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/fhir/r4/Patient", nil)
		if tt.header != "" {
			r.Header.Set("Authorization", tt.header)
		}
		p, err := e.v.Authenticate(r)
		if tt.want == "" {
			if err != nil || p.Subject != "user-1" {
				t.Errorf("%.20q: %v", tt.header, err)
			}
			continue
		}
		wantErr(t, err, errs.Unauthorized, tt.want)
	}
}

func TestCacheAndRevocation(t *testing.T) {
	e := newEnv(t)
	c := e.claims("user/*.rs")
	c.Grant = "g-1"
	if err := e.db.CreateGrant(bg, authrec.Grant{ID: "g-1", ClientID: c.ClientID}); err != nil {
		t.Fatal(err)
	}
	tok := e.sign(t, c)
	p1, err := e.v.Verify(bg, tok)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := e.v.Verify(bg, tok)
	if err != nil {
		t.Fatal(err)
	}
	if p1 != p2 || e.v.cache.len() != 1 {
		t.Error("second verification did not come from the cache")
	}

	// Revocation is asked on every request, cached or not.
	if err := e.db.RevokeToken(bg, p1.ID, p1.Expiry); err != nil {
		t.Fatal(err)
	}
	_, err = e.v.Verify(bg, tok)
	wantErr(t, err, errs.Unauthorized, "access token revoked")

	c.ID = ""
	tok2 := e.sign(t, c)
	if _, err := e.v.Verify(bg, tok2); err != nil {
		t.Fatal(err)
	}
	if err := e.db.RevokeGrant(bg, "g-1", e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	_, err = e.v.Verify(bg, tok2)
	wantErr(t, err, errs.Unauthorized, "access token revoked")

	// A failing revocation store is the server's fault: an internal error.
	v := NewVerifier(VerifierConfig{Keys: e.keys, Issuer: testIssuer, Audience: testAudience, Now: e.clock.Now, Revocation: failingRevocations{}})
	if _, err := v.Verify(bg, e.sign(t, e.claims("user/*.rs"))); err == nil || errs.KindOf(err) != errs.Internal {
		t.Errorf("revocation store failure: %v", err)
	}

	// A cached token still expires.
	fresh := e.sign(t, e.claims("user/*.rs"))
	if _, err := e.v.Verify(bg, fresh); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour + 31*time.Second)
	_, err = e.v.Verify(bg, fresh)
	wantErr(t, err, errs.Unauthorized, "access token expired")
}

type failingRevocations struct{}

func (failingRevocations) IsRevoked(context.Context, *Claims) (bool, error) {
	return false, errors.New("database unavailable")
}

func TestCacheBounded(t *testing.T) {
	e := newEnv(t)
	v := NewVerifier(VerifierConfig{Keys: e.keys, Issuer: testIssuer, Audience: testAudience, Now: e.clock.Now, CacheSize: 8})
	for range 50 {
		if _, err := v.Verify(bg, e.sign(t, e.claims("user/*.rs"))); err != nil {
			t.Fatal(err)
		}
		if n := v.cache.len(); n > 8 {
			t.Fatalf("cache holds %d tokens, bound 8", n)
		}
	}
	off := NewVerifier(VerifierConfig{Keys: e.keys, Issuer: testIssuer, Audience: testAudience, Now: e.clock.Now, CacheSize: -1})
	tok := e.sign(t, e.claims("user/*.rs"))
	p1, _ := off.Verify(bg, tok)
	p2, _ := off.Verify(bg, tok)
	if p1 == nil || p1 == p2 || off.cache.len() != 0 {
		t.Error("disabled cache still caches")
	}
}

// TestCacheNeverConfusesTokens plants an entry under another token's hash:
// a hit must need the very same token.
func TestCacheNeverConfusesTokens(t *testing.T) {
	c := newTokenCache(4)
	now := time.Now()
	victim := &Principal{Claims: Claims{Subject: "victim"}}
	c.put("token-a", victim, now.Add(time.Hour), now)
	h := maphash.String(c.seed, "token-b")
	c.m[h] = cacheEntry{token: "token-a", p: victim, until: now.Add(time.Hour)}
	if p, ok := c.get("token-b", now); ok {
		t.Fatalf("token-b got %+v", p.Claims)
	}
	if p, ok := c.get("token-a", now); !ok || p != victim {
		t.Error("token-a missed")
	}
	if _, ok := c.get("token-a", now.Add(time.Hour)); ok {
		t.Error("expired entry served")
	}
}
