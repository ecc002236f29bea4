// Package authztest mints access tokens for the tests of the faces. It is
// a package of its own so that the server binary does not link the testing
// package.
package authztest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// Issuer mints access tokens for tests of the faces, with a key ring and
// a verifier that accepts its tokens, both over a store of their own in the
// test's temporary folder: the keys and revocations the server uses, not a
// stand-in.
type Issuer struct {
	t                testing.TB
	issuer, audience string
	keys             *authz.KeyRing
	verifier         *authz.Verifier
	// Store keeps the keys and revocations; a test revokes a token with
	// its RevokeToken, which takes effect at once.
	Store *store.Store
}

// NewIssuer returns an issuer of tokens for issuer (iss) and audience
// (aud, the FHIR base URL), using the system clock.
func NewIssuer(t testing.TB, issuer, audience string) *Issuer {
	t.Helper()
	st := storetest.Open(t, "sqlite", store.Options{})
	keys := authz.NewKeyRing(st, nil, nil)
	rev := authz.NewRevocationCache(st, authz.RevocationCacheOptions{})
	return &Issuer{
		t: t, issuer: issuer, audience: audience, keys: keys, Store: st,
		verifier: authz.NewVerifier(authz.VerifierConfig{Keys: keys, Issuer: issuer, Audience: audience, Revocation: rev}),
	}
}

// Token signs claims, filling what is empty: iss and aud from the issuer, sub
// "test-user", a role from the scopes (system/ scopes: system; patient/ and
// no user/ scopes: patient; otherwise clinician), iat now and exp in an hour.
// It fails the test if the claims cannot be signed.
func (ti *Issuer) Token(c authz.Claims) string {
	ti.t.Helper()
	if c.Issuer == "" {
		c.Issuer = ti.issuer
	}
	if c.Audience == "" {
		c.Audience = ti.audience
	}
	if c.Subject == "" {
		c.Subject = "test-user"
	}
	if c.Role == "" {
		c.Role = roleFromScopes(c.Scope)
	}
	if c.Expiry.IsZero() {
		c.Expiry = time.Now().Add(time.Hour)
	}
	tok, err := ti.keys.SignAccessToken(context.Background(), c)
	if err != nil {
		ti.t.Fatalf("authz test issuer: %v", err)
	}
	return tok
}

func roleFromScopes(s string) string {
	has := func(prefix string) bool {
		for _, f := range strings.Fields(s) {
			if strings.HasPrefix(f, prefix) {
				return true
			}
		}
		return false
	}
	switch {
	case has("system/"):
		return authz.RoleSystem
	case has("patient/") && !has("user/"):
		return authz.RolePatient
	}
	return authz.RoleClinician
}

// Verifier is the verifier that accepts the issuer's tokens.
func (ti *Issuer) Verifier() *authz.Verifier { return ti.verifier }

// Keys is the issuer's key ring (for JWKS and id_token tests).
func (ti *Issuer) Keys() *authz.KeyRing { return ti.keys }
