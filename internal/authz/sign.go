package authz

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/emedpractice/emp/internal/scope"
)

// SignAccessToken signs an access token with the active ES256 key. It fills
// in jti (random) and iat (now) when they are empty, and refuses claims the
// verifier would refuse: no issuer, audience or subject, an unknown role, a
// scope that does not parse, an expiry in the past or more than
// MaxTokenLifetime away.
func (r *KeyRing) SignAccessToken(ctx context.Context, c Claims) (string, error) {
	now := r.now()
	if c.IssuedAt.IsZero() {
		c.IssuedAt = now
	}
	switch {
	case c.Issuer == "" || c.Audience == "" || c.Subject == "":
		return "", fmt.Errorf("sign access token: iss, aud and sub are required")
	case !validRole(c.Role):
		return "", fmt.Errorf("sign access token: unknown role %q", c.Role)
	case !c.Expiry.After(now):
		return "", fmt.Errorf("sign access token: exp %v is not in the future", c.Expiry)
	case c.Expiry.Sub(now) > MaxTokenLifetime:
		return "", fmt.Errorf("sign access token: lifetime over %v", MaxTokenLifetime)
	}
	if _, err := scope.ParseList(c.Scope); err != nil {
		return "", fmt.Errorf("sign access token: %w", err)
	}
	if c.ID == "" {
		id, err := r.newID()
		if err != nil {
			return "", err
		}
		c.ID = id
	}
	payload, err := c.marshal()
	if err != nil {
		return "", err
	}
	return r.sign(ctx, AlgES256, payload)
}

// SignIDToken signs an OpenID Connect id_token with the active RS256 key.
// The caller builds the claims (iss, sub, aud = client id, exp, iat, nonce,
// fhirUser, …); iss, sub, aud, exp and iat must be present.
func (r *KeyRing) SignIDToken(ctx context.Context, claims map[string]any) (string, error) {
	for _, k := range []string{"iss", "sub", "aud", "exp", "iat"} {
		if _, ok := claims[k]; !ok {
			return "", fmt.Errorf("sign id_token: claim %q is required", k)
		}
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("sign id_token: %w", err)
	}
	return r.sign(ctx, AlgRS256, payload)
}

func (r *KeyRing) sign(ctx context.Context, alg string, payload []byte) (string, error) {
	s, err := r.current(ctx, alg)
	if err != nil {
		return "", err
	}
	jws, err := s.active[alg].signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	return jws.CompactSerialize()
}
