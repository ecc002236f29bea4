package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// JWT client assertions (RFC 7523, SMART Backend Services / asymmetric
// client authentication).
const (
	assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	// maxAssertionSize caps an assertion before it is parsed.
	maxAssertionSize = 8 << 10
	// maxAssertionLife is how far ahead exp may be (SMART#331).
	maxAssertionLife = 5 * time.Minute
	// assertionLeeway tolerates clock skew between client and server.
	assertionLeeway = 60 * time.Second
	maxJTILength    = 255
	// minRSABits refuses weak client keys.
	minRSABits = 2048
)

// assertionSigAlgs are the only algorithms parsed (SMART#310): never none,
// never an HMAC, whose secret an attacker could set to a public key.
var assertionSigAlgs = []jose.SignatureAlgorithm{jose.RS384, jose.ES384}

// assertionClaims are the claims of a client assertion the server checks.
type assertionClaims struct {
	Issuer    string           `json:"iss"`
	Subject   string           `json:"sub"`
	Audience  jwt.Audience     `json:"aud"`
	Expiry    *jwt.NumericDate `json:"exp"`
	IssuedAt  *jwt.NumericDate `json:"iat"`
	NotBefore *jwt.NumericDate `json:"nbf"`
	ID        string           `json:"jti"`
}

// verifyAssertion authenticates a client by its JWT assertion, following
// SMART#338: the client named by iss (= sub, = client_id when sent), one key
// of its registered set matching kid and alg, a signature by that key, aud
// one of audiences, a short exp, and a jti never seen before. Every failure
// is invalid_client.
func (s *Server) verifyAssertion(ctx context.Context, assertion, clientID string, audiences []string) (Client, error) {
	if len(assertion) > maxAssertionSize {
		return Client{}, badClient("client_assertion is over %d bytes", maxAssertionSize)
	}
	jws, err := jose.ParseSignedCompact(assertion, assertionSigAlgs)
	if err != nil {
		return Client{}, badClient("client_assertion is not a JWS signed with RS384 or ES384").withCause(err)
	}
	h := jws.Signatures[0].Protected
	var peek assertionClaims
	if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &peek); err != nil {
		return Client{}, badClient("client_assertion claims are not a JSON object").withCause(err)
	}
	switch {
	case peek.Issuer == "" || peek.Issuer != peek.Subject:
		return Client{}, badClient("client_assertion iss and sub must both be the client_id")
	case clientID != "" && clientID != peek.Issuer:
		return Client{}, badClient("client_id does not match the client_assertion issuer")
	case h.KeyID == "":
		return Client{}, badClient("client_assertion header has no kid")
	}
	if typ, ok := h.ExtraHeaders[jose.HeaderType]; ok {
		t, _ := typ.(string)
		if !strings.EqualFold(t, "JWT") && !strings.EqualFold(t, "client-authentication+jwt") {
			return Client{}, badClient("client_assertion typ %q is not JWT", t)
		}
	}
	c, err := s.store.Client(ctx, peek.Issuer)
	if err != nil {
		if isNotFound(err) {
			return Client{}, badClient("unknown client")
		}
		return Client{}, err
	}
	if c.AuthMethod != AuthPrivateKeyJWT || (c.JWKS == "" && c.JWKSURI == "") {
		return Client{}, badClient("the client is not registered for private_key_jwt")
	}
	if jku, ok := h.ExtraHeaders["jku"]; ok {
		// SMART#338: a jku other than the registered set URL is refused;
		// the server never fetches a URL the token names.
		if u, _ := jku.(string); u == "" || u != c.JWKSURI {
			return Client{}, badClient("client_assertion jku is not the registered jwks_uri")
		}
	}
	key, err := s.assertionKey(ctx, c, h.KeyID, h.Algorithm)
	if err != nil {
		return Client{}, err
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return Client{}, badClient("client_assertion signature does not verify").withCause(err)
	}
	var cl assertionClaims
	if err := json.Unmarshal(payload, &cl); err != nil {
		return Client{}, badClient("client_assertion claims are not a JSON object").withCause(err)
	}
	if err := s.checkAssertionClaims(cl, c.ID, audiences); err != nil {
		return Client{}, err
	}
	fresh, err := s.store.UseAssertionID(ctx, c.ID, cl.ID, cl.Expiry.Time().Add(assertionLeeway))
	if err != nil {
		return Client{}, err
	}
	if !fresh {
		return Client{}, badClient("client_assertion jti was already used")
	}
	return c, nil
}

// checkAssertionClaims checks the claims of a verified assertion: iss and
// sub the client, aud one of audiences, exp present and near, nbf and iat
// not ahead, and a bounded jti.
func (s *Server) checkAssertionClaims(cl assertionClaims, clientID string, audiences []string) error {
	now := s.now()
	audOK := false
	for _, a := range audiences {
		if cl.Audience.Contains(a) {
			audOK = true
		}
	}
	switch {
	case cl.Issuer != clientID || cl.Subject != clientID:
		return badClient("client_assertion iss and sub must both be the client_id")
	case !audOK:
		return badClient("client_assertion aud must be the token endpoint URL %s", audiences[0])
	case cl.Expiry == nil:
		return badClient("client_assertion has no exp")
	case !now.Before(cl.Expiry.Time().Add(assertionLeeway)):
		return badClient("client_assertion has expired")
	case cl.Expiry.Time().After(now.Add(maxAssertionLife + assertionLeeway)):
		return badClient("client_assertion exp is more than %v ahead", maxAssertionLife)
	case cl.NotBefore != nil && now.Add(assertionLeeway).Before(cl.NotBefore.Time()):
		return badClient("client_assertion is not valid yet (nbf)")
	case cl.IssuedAt != nil && now.Add(assertionLeeway).Before(cl.IssuedAt.Time()):
		return badClient("client_assertion iat is in the future")
	case cl.ID == "" || len(cl.ID) > maxJTILength:
		return badClient("client_assertion needs a jti of at most %d characters", maxJTILength)
	}
	return nil
}

// assertionKey picks the one key of the client's set whose kid matches and
// whose type fits alg. A JWKS registered by URL is fetched again once when no
// key matches, for a client that rotated its keys.
func (s *Server) assertionKey(ctx context.Context, c Client, kid, alg string) (any, error) {
	var keys []jose.JSONWebKey
	var err error
	if c.JWKS != "" {
		keys, err = s.inlineJWKS(c.JWKS)
	} else {
		keys, err = s.fetchJWKS(ctx, c.JWKSURI, false)
	}
	if err != nil {
		return nil, badClient("the client's JWKS cannot be read").withCause(err)
	}
	k, n := matchKey(keys, kid, alg)
	if n == 0 && c.JWKSURI != "" {
		if keys, err = s.fetchJWKS(ctx, c.JWKSURI, true); err != nil {
			return nil, badClient("the client's JWKS cannot be read").withCause(err)
		}
		k, n = matchKey(keys, kid, alg)
	}
	switch {
	case n == 0:
		return nil, badClient("no key of the client's JWKS has kid %q for %s", kid, alg)
	case n > 1:
		return nil, badClient("several keys of the client's JWKS have kid %q for %s", kid, alg)
	}
	return k, nil
}

// matchKey finds the public keys with the kid that can verify alg.
func matchKey(keys []jose.JSONWebKey, kid, alg string) (any, int) {
	var found any
	n := 0
	for _, k := range keys {
		if k.KeyID != kid || (k.Use != "" && k.Use != "sig") || (k.Algorithm != "" && k.Algorithm != alg) {
			continue
		}
		pub := k.Key
		if !k.IsPublic() {
			pub = k.Public().Key
		}
		if keyFits(pub, alg) {
			found = pub
			n++
		}
	}
	return found, n
}

// keyFits reports whether the public key can verify alg: RSA of at least
// 2048 bits for RS384, P-384 for ES384.
func keyFits(pub any, alg string) bool {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return alg == string(jose.RS384) && k.N.BitLen() >= minRSABits
	case *ecdsa.PublicKey:
		return alg == string(jose.ES384) && k.Curve == elliptic.P384()
	}
	return false
}

// checkClientJWKS checks a key set a client registers: each key public,
// with a kid, usable for RS384 or ES384.
func checkClientJWKS(keys []jose.JSONWebKey) error {
	if len(keys) == 0 {
		return errors.New("the key set has no keys")
	}
	for i, k := range keys {
		if !k.IsPublic() {
			return fmt.Errorf("key %d is a private key: register only public keys", i)
		}
		if k.KeyID == "" {
			return fmt.Errorf("key %d has no kid", i)
		}
		if !keyFits(k.Key, string(jose.RS384)) && !keyFits(k.Key, string(jose.ES384)) {
			return fmt.Errorf("key %q is neither an RSA key of at least %d bits nor a P-384 key", k.KeyID, minRSABits)
		}
	}
	return nil
}
