package authz

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/authrec"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/go-jose/go-jose/v4"
)

var bg = context.Background()

type jwk struct {
	Kty, Kid, Alg, Use, Crv, X, Y, N, E string
	D, P, Q, Dp, Dq, Qi                 string
}

func parseJWKS(t *testing.T, b []byte) []jwk {
	t.Helper()
	var set struct{ Keys []jwk }
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatalf("JWKS %s: %v", b, err)
	}
	return set.Keys
}

func headerOf(t *testing.T, tok string) jose.Header {
	t.Helper()
	jws, err := jose.ParseSignedCompact(tok, allowedAlgs)
	if err != nil {
		t.Fatal(err)
	}
	return jws.Signatures[0].Protected
}

func TestKeysCreatedLazilyAndPersisted(t *testing.T) {
	e := newEnv(t)
	if _, saves := e.store.counts(); saves != 0 {
		t.Fatal("keys created before first use")
	}
	tok := e.sign(t, e.claims("user/*.rs"))
	stored, _ := e.store.LoadSigningKeys(bg)
	if len(stored) != 1 || stored[0].Alg != AlgES256 {
		t.Fatalf("after an access token the store holds %+v, want one ES256 key", stored)
	}
	if k := stored[0]; !k.Created.Equal(e.clock.Now()) || !k.NotAfter.Equal(k.Created.Add(KeySignFor+MaxTokenLifetime)) ||
		!strings.Contains(string(k.PrivatePEM), "BEGIN PRIVATE KEY") || headerOf(t, tok).KeyID != k.KID {
		t.Errorf("stored key %s %v %v", k.KID, k.Created, k.NotAfter)
	}

	jwks, err := e.keys.JWKS(bg)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ = e.store.LoadSigningKeys(bg)
	if len(stored) != 2 {
		t.Fatalf("after JWKS the store holds %d keys, want ES256 and RS256", len(stored))
	}

	// A second node over the same store uses the same keys and makes none.
	_, savesBefore := e.store.counts()
	other := NewKeyRing(e.store, e.clock.Now, nil)
	jwks2, err := other.JWKS(bg)
	if err != nil {
		t.Fatal(err)
	}
	if string(jwks2) != string(jwks) {
		t.Errorf("second node's JWKS differs:\n%s\n%s", jwks, jwks2)
	}
	if _, saves := e.store.counts(); saves != savesBefore {
		t.Error("second node created keys")
	}
	v2 := NewVerifier(VerifierConfig{Keys: other, Issuer: testIssuer, Audience: testAudience, Now: e.clock.Now})
	if _, err := v2.Verify(bg, tok); err != nil {
		t.Errorf("second node rejects the first node's token: %v", err)
	}
	tok2, err := other.SignAccessToken(bg, e.claims("user/*.rs"))
	if err != nil {
		t.Fatal(err)
	}
	if headerOf(t, tok2).KeyID != headerOf(t, tok).KeyID {
		t.Error("second node signs with another key")
	}
}

func TestJWKSContents(t *testing.T) {
	e := newEnv(t)
	tok := e.sign(t, e.claims("user/*.rs"))
	idt, err := e.keys.SignIDToken(bg, map[string]any{"iss": testIssuer, "sub": "u", "aud": "app", "exp": 2000000000, "iat": 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.keys.JWKS(bg)
	if err != nil {
		t.Fatal(err)
	}
	keys := parseJWKS(t, b)
	if len(keys) != 2 {
		t.Fatalf("JWKS has %d keys: %s", len(keys), b)
	}
	byAlg := map[string]jwk{}
	for _, k := range keys {
		byAlg[k.Alg] = k
		if k.Use != "sig" || k.Kid == "" {
			t.Errorf("key %+v lacks use=sig or kid", k)
		}
		if k.D != "" || k.P != "" || k.Q != "" || k.Dp != "" || k.Dq != "" || k.Qi != "" {
			t.Errorf("JWKS publishes private key material: %s", b)
		}
	}
	es, rs := byAlg["ES256"], byAlg["RS256"]
	if es.Kty != "EC" || es.Crv != "P-256" || es.X == "" || es.Y == "" {
		t.Errorf("ES256 key = %+v", es)
	}
	if rs.Kty != "RSA" || rs.N == "" || rs.E != "AQAB" || len(rs.N) < 342 { // 2048 bits in base64url
		t.Errorf("RS256 key = %+v", rs)
	}
	if headerOf(t, tok).KeyID != es.Kid || headerOf(t, idt).KeyID != rs.Kid {
		t.Error("tokens name kids not in the JWKS")
	}

	// The published key verifies the tokens (what a client does).
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(b, &set); err != nil {
		t.Fatal(err)
	}
	for _, tk := range []string{tok, idt} {
		jws, _ := jose.ParseSignedCompact(tk, allowedAlgs)
		k := set.Key(jws.Signatures[0].Protected.KeyID)
		if len(k) != 1 {
			t.Fatal("kid not found in JWKS")
		}
		if _, err := jws.Verify(k[0]); err != nil {
			t.Errorf("JWKS key does not verify the token: %v", err)
		}
	}
}

func TestKeyRotation(t *testing.T) {
	e := newEnv(t)
	first := e.sign(t, e.claims("user/*.rs"))
	kid1 := headerOf(t, first).KeyID

	// Just before the key retires, a long-lived token.
	e.clock.Advance(KeySignFor - time.Minute)
	c := e.claims("user/*.rs")
	c.Expiry = e.clock.Now().Add(MaxTokenLifetime)
	late := e.sign(t, c)
	if headerOf(t, late).KeyID != kid1 {
		t.Fatal("rotated early")
	}

	e.clock.Advance(2 * time.Minute)
	next := e.sign(t, e.claims("user/*.rs"))
	kid2 := headerOf(t, next).KeyID
	if kid2 == kid1 {
		t.Fatal("key not rotated after KeySignFor")
	}
	jwks, _ := e.keys.JWKS(bg)
	var kids []string
	for _, k := range parseJWKS(t, jwks) {
		kids = append(kids, k.Alg+":"+k.Kid)
	}
	if got := strings.Join(kids, " "); !strings.Contains(got, "ES256:"+kid2) || !strings.Contains(got, "ES256:"+kid1) ||
		strings.Index(got, kid2) > strings.Index(got, kid1) {
		t.Errorf("JWKS kids = %s, want the new key first and the retired one still listed", got)
	}
	// The retired key still verifies what it signed, until the token ends.
	if _, err := e.v.Verify(bg, late); err != nil {
		t.Errorf("token of the retired key rejected: %v", err)
	}
	e.clock.Advance(MaxTokenLifetime)
	if err := e.keys.Reload(bg); err != nil {
		t.Fatal(err)
	}
	jwks, _ = e.keys.JWKS(bg)
	if strings.Contains(string(jwks), kid1) {
		t.Error("expired key still in the JWKS")
	}
}

func TestUnknownKidReloadsRateLimited(t *testing.T) {
	e := newEnv(t)
	nodeB := NewKeyRing(e.store, e.clock.Now, nil)
	vB := NewVerifier(VerifierConfig{Keys: nodeB, Issuer: testIssuer, Audience: testAudience, Now: e.clock.Now})
	if err := nodeB.Reload(bg); err != nil { // node B starts before any key exists
		t.Fatal(err)
	}
	tok := e.sign(t, e.claims("user/*.rs")) // node A makes the first key

	loads0, _ := e.store.counts()
	if _, err := vB.Verify(bg, tok); err != nil {
		t.Fatalf("node B does not pick up node A's key: %v", err)
	}
	if loads, _ := e.store.counts(); loads != loads0+1 {
		t.Errorf("%d loads for one unknown kid, want 1", loads-loads0)
	}

	// Forged kids cause at most one reload per interval.
	forged := func() string {
		other := newEnv(t) // another server's keys: kids this ring never saw
		return other.sign(t, other.claims("user/*.rs"))
	}
	f1, f2 := forged(), forged()
	e.clock.Advance(missReloadEvery)
	loads0, _ = e.store.counts()
	for _, f := range []string{f1, f2, f1} {
		_, err := vB.Verify(bg, f)
		wantErr(t, err, errs.Unauthorized, "access token signature does not verify")
	}
	if loads, _ := e.store.counts(); loads != loads0+1 {
		t.Errorf("%d loads for three unknown kids within the interval, want 1", loads-loads0)
	}
	e.clock.Advance(missReloadEvery)
	vB.Verify(bg, f2)
	if loads, _ := e.store.counts(); loads != loads0+2 {
		t.Errorf("no reload after the interval (%d loads)", loads-loads0)
	}
}

func TestStoreOutageKeepsKeys(t *testing.T) {
	e := newEnv(t)
	tok := e.sign(t, e.claims("user/*.rs"))
	e.store.setFail(true)
	e.clock.Advance(reloadEvery + time.Second)
	loads0, _ := e.store.counts()
	if _, err := e.keys.SignAccessToken(bg, e.claims("user/*.rs")); err != nil {
		t.Fatalf("signing stops when the store fails: %v", err)
	}
	if _, err := e.v.Verify(bg, tok); err != nil {
		t.Fatalf("verifying stops when the store fails: %v", err)
	}
	e.sign(t, e.claims("user/*.rs"))
	if loads, _ := e.store.counts(); loads != loads0+1 {
		t.Errorf("%d loads during the outage within the retry delay, want 1", loads-loads0)
	}
	e.clock.Advance(retryAfterFailure)
	e.sign(t, e.claims("user/*.rs"))
	if loads, _ := e.store.counts(); loads != loads0+2 {
		t.Errorf("no retry after the delay (%d loads)", loads-loads0)
	}

	// Without any key loaded, the failure is reported.
	fresh := NewKeyRing(e.store, e.clock.Now, nil)
	if _, err := fresh.SignAccessToken(bg, e.claims("user/*.rs")); err == nil || !strings.Contains(err.Error(), "database unavailable") {
		t.Errorf("err = %v", err)
	}
}

func TestCorruptStoredKey(t *testing.T) {
	for _, k := range []StoredKey{
		{KID: "x", Alg: AlgES256, PrivatePEM: []byte("not pem")},
		{KID: "y", Alg: AlgRS256, PrivatePEM: []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")},
	} {
		c := newClock()
		st := newStore(t, c)
		k.Created, k.NotAfter = c.Now(), c.Now().Add(time.Hour)
		st.SaveSigningKey(bg, k)
		r := NewKeyRing(st, c.Now, nil)
		if _, err := r.JWKS(bg); err == nil || !strings.Contains(err.Error(), k.KID) {
			t.Errorf("corrupt key %s: err = %v", k.KID, err)
		}
	}
	// A key of an algorithm this version does not know is skipped.
	c := newClock()
	st := newStore(t, c)
	st.SaveSigningKey(bg, StoredKey{KID: "future", Alg: "EdDSA", PrivatePEM: []byte("?"), Created: c.Now(), NotAfter: c.Now().Add(time.Hour)})
	b, err := NewKeyRing(st, c.Now, nil).JWKS(bg)
	if err != nil || strings.Contains(string(b), "future") {
		t.Errorf("unknown algorithm: %v %s", err, b)
	}
}

func TestSignAccessTokenRefuses(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	tests := []struct {
		name   string
		change func(*Claims)
		want   string
	}{
		{"no issuer", func(c *Claims) { c.Issuer = "" }, "iss, aud and sub"},
		{"no audience", func(c *Claims) { c.Audience = "" }, "iss, aud and sub"},
		{"no subject", func(c *Claims) { c.Subject = "" }, "iss, aud and sub"},
		{"unknown role", func(c *Claims) { c.Role = "nurse" }, "unknown role"},
		{"no role", func(c *Claims) { c.Role = "" }, "unknown role"},
		{"expired", func(c *Claims) { c.Expiry = now }, "not in the future"},
		{"too long", func(c *Claims) { c.Expiry = now.Add(MaxTokenLifetime + time.Second) }, "lifetime"},
		{"bad scope", func(c *Claims) { c.Scope = "user/Patient.sr" }, "user/Patient.sr"},
	}
	for _, tt := range tests {
		c := e.claims("user/*.rs")
		tt.change(&c)
		if _, err := e.keys.SignAccessToken(bg, c); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestSignedClaimsRoundTrip(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	in := Claims{
		Issuer: testIssuer, Audience: testAudience, Subject: "pu-7", ClientID: "app-9",
		Scope: "launch/patient openid patient/Observation.rs?category=laboratory", Patient: "p-1", Encounter: "e-2",
		FHIRUser: "Patient/p-1", Role: RolePatient, Grant: "g-3", IssuedAt: now, NotBefore: now, Expiry: now.Add(time.Hour),
	}
	// The grant is held: a token of a grant the store does not hold is
	// revoked.
	if err := e.db.CreateGrant(bg, authrec.Grant{ID: "g-3", ClientID: "app-9"}); err != nil {
		t.Fatal(err)
	}
	tok := e.sign(t, in)
	p, err := e.v.Verify(bg, tok)
	if err != nil {
		t.Fatal(err)
	}
	out := p.Claims
	if len(out.ID) != 22 || strings.ContainsAny(out.ID, "+/=") {
		t.Errorf("jti %q is not 16 random bytes in base64url", out.ID)
	}
	in.ID = out.ID
	if out != in {
		t.Errorf("claims changed:\n got %+v\nwant %+v", out, in)
	}
	if p.Scopes.String() != in.Scope {
		t.Errorf("scopes = %q", p.Scopes)
	}
	h := headerOf(t, tok)
	if h.Algorithm != "ES256" || h.ExtraHeaders[jose.HeaderType] != "at+jwt" {
		t.Errorf("header = %+v", h)
	}
	// Two tokens never share a jti.
	if p2, _ := e.v.Verify(bg, e.sign(t, e.claims("user/*.rs"))); p2.ID == out.ID {
		t.Error("jti repeated")
	}
}

func TestSignIDToken(t *testing.T) {
	e := newEnv(t)
	claims := map[string]any{"iss": testIssuer, "sub": "u-1", "aud": "app", "exp": e.clock.Now().Add(time.Hour).Unix(), "iat": e.clock.Now().Unix(), "nonce": "n"}
	tok, err := e.keys.SignIDToken(bg, claims)
	if err != nil {
		t.Fatal(err)
	}
	h := headerOf(t, tok)
	if h.Algorithm != "RS256" || h.ExtraHeaders[jose.HeaderType] != "JWT" {
		t.Errorf("header = %+v", h)
	}
	// An id_token is not an access token, even with the right audience.
	claims["aud"] = testAudience
	claims["jti"], claims["role"], claims["scope"] = "x", RoleClinician, "user/*.rs"
	tok, _ = e.keys.SignIDToken(bg, claims)
	_, err = e.v.Verify(bg, tok)
	wantErr(t, err, errs.Unauthorized, "malformed access token")

	delete(claims, "sub")
	if _, err := e.keys.SignIDToken(bg, claims); err == nil || !strings.Contains(err.Error(), `"sub"`) {
		t.Errorf("missing sub: err = %v", err)
	}
}

// TestConcurrentFirstUse starts many signers on a ring with no key: one
// key is made, and every token verifies.
func TestConcurrentFirstUse(t *testing.T) {
	e := newEnv(t)
	const n = 16
	toks := make(chan string, n)
	errc := make(chan error, n)
	for range n {
		go func() {
			tok, err := e.keys.SignAccessToken(bg, e.claims("user/*.rs"))
			toks <- tok
			errc <- err
		}()
	}
	for range n {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		if _, err := e.v.Verify(bg, <-toks); err != nil {
			t.Error(err)
		}
	}
	if _, saves := e.store.counts(); saves != 1 {
		t.Errorf("%d keys saved, want 1", saves)
	}
}

// TestPeriodicReload: a newer key another node saved is picked up at the
// next periodic reload, and every node then signs with the newest key.
func TestPeriodicReload(t *testing.T) {
	e := newEnv(t)
	kid1 := headerOf(t, e.sign(t, e.claims("user/*.rs"))).KeyID
	k, err := e.keys.newKey(AlgES256, e.clock.Now().Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.SaveSigningKey(bg, k); err != nil {
		t.Fatal(err)
	}
	if kid := headerOf(t, e.sign(t, e.claims("user/*.rs"))).KeyID; kid != kid1 {
		t.Fatal("reloaded before the interval")
	}
	e.clock.Advance(reloadEvery)
	e.sign(t, e.claims("user/*.rs")) // the caller that reloads
	if kid := headerOf(t, e.sign(t, e.claims("user/*.rs"))).KeyID; kid != k.KID {
		t.Errorf("signs with %s after the reload, want the newest key %s", kid, k.KID)
	}
}
