package authz

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/scope"
	"github.com/go-jose/go-jose/v4"
)

// MaxTokenSize caps a bearer token before it is parsed: the server's own
// tokens are around a kilobyte even with every scope, and a parser should not
// be made to chew megabytes for an attacker.
const MaxTokenSize = 8 << 10

// allowedAlgs are the only JWS algorithms the verifier parses: never none,
// never an HMAC (whose "secret" an attacker could set to a public key).
var allowedAlgs = []jose.SignatureAlgorithm{jose.ES256, jose.RS256}

// RevocationChecker tells whether a token was revoked: by its jti, with the
// whole grant it belongs to, or with every token of its client (a disabled
// or deleted client, up to the token's iat). The store implements it; it is
// asked on every request with the verified claims.
type RevocationChecker interface {
	IsRevoked(ctx context.Context, c *Claims) (bool, error)
}

// VerifierConfig configures a Verifier.
type VerifierConfig struct {
	Keys     *KeyRing
	Issuer   string // the iss every token must carry
	Audience string // the FHIR base URL, which aud must contain
	// Revocation is asked for every token; nil means tokens are never
	// revoked (tests, tools).
	Revocation RevocationChecker
	Now        func() time.Time
	// Leeway tolerates clock skew between nodes on exp, nbf and iat
	// (default 30 seconds).
	Leeway time.Duration
	// CacheSize bounds the verified-token cache (default 10000 tokens;
	// negative disables the cache).
	CacheSize int
}

// Verifier authenticates requests by their bearer token.
type Verifier struct {
	cfg   VerifierConfig
	cache *tokenCache
}

// NewVerifier builds a verifier. Keys, Issuer and Audience are required;
// their absence is a wiring mistake and panics.
func NewVerifier(cfg VerifierConfig) *Verifier {
	if cfg.Keys == nil || cfg.Issuer == "" || cfg.Audience == "" {
		panic("authz: NewVerifier needs Keys, Issuer and Audience")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Leeway <= 0 {
		cfg.Leeway = 30 * time.Second
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = 10000
	}
	return &Verifier{cfg: cfg, cache: newTokenCache(cfg.CacheSize)}
}

// Authenticate reads the bearer token of the request's Authorization header
// (scheme case-insensitive) and verifies it. Failures are *errs.Error of kind
// Unauthorized with a message safe to show the client; the cause is wrapped
// for the log. A failing revocation store is an internal error, not the
// client's fault.
func (v *Verifier) Authenticate(r *http.Request) (*Principal, error) {
	tok, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok {
		return nil, errs.E(errs.Unauthorized, "missing bearer token")
	}
	return v.Verify(r.Context(), tok)
}

func bearerToken(h string) (string, bool) {
	scheme, rest, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok := strings.TrimSpace(rest)
	if tok == "" || strings.IndexByte(tok, ' ') >= 0 || strings.IndexByte(tok, '\t') >= 0 {
		return "", false
	}
	return tok, true
}

// Verify checks one access token. The returned Principal may be shared with
// other requests presenting the same token: do not modify it.
func (v *Verifier) Verify(ctx context.Context, token string) (*Principal, error) {
	if len(token) > MaxTokenSize {
		return nil, unauthorized("invalid access token", fmt.Errorf("token of %d bytes, over %d", len(token), MaxTokenSize))
	}
	now := v.cfg.Now()
	p, ok := v.cache.get(token, now)
	if !ok {
		var err error
		if p, err = v.verify(ctx, token, now); err != nil {
			return nil, err
		}
		v.cache.put(token, p, p.Expiry.Add(v.cfg.Leeway), now)
	}
	if v.cfg.Revocation != nil {
		revoked, err := v.cfg.Revocation.IsRevoked(ctx, &p.Claims)
		if err != nil {
			return nil, fmt.Errorf("revocation check: %w", err)
		}
		if revoked {
			return nil, unauthorized("access token revoked", nil)
		}
	}
	return p, nil
}

// verify does the work the cache saves: parsing, signature and claims.
func (v *Verifier) verify(ctx context.Context, token string, now time.Time) (*Principal, error) {
	jws, err := jose.ParseSignedCompact(token, allowedAlgs)
	if err != nil {
		return nil, unauthorized("invalid access token", err)
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); !isAccessTokenType(typ) {
		return nil, unauthorized("invalid access token", fmt.Errorf("header typ %q is not at+jwt", typ))
	}
	k, err := v.cfg.Keys.verifyKey(ctx, h.KeyID)
	if errors.Is(err, errUnknownKey) {
		return nil, unauthorized("invalid access token", fmt.Errorf("kid %q: %w", h.KeyID, err))
	}
	if err != nil {
		return nil, err
	}
	if h.Algorithm != k.alg {
		return nil, unauthorized("invalid access token", fmt.Errorf("alg %s does not match key %s (%s)", h.Algorithm, k.kid, k.alg))
	}
	payload, err := jws.Verify(k.public)
	if err != nil {
		return nil, unauthorized("invalid access token", err)
	}
	c, err := unmarshalClaims(payload, v.cfg.Audience)
	if err != nil {
		return nil, unauthorized("invalid access token", err)
	}
	leeway := v.cfg.Leeway
	switch {
	case c.Issuer != v.cfg.Issuer:
		return nil, unauthorized("invalid access token", fmt.Errorf("issuer %q", c.Issuer))
	case c.Audience != v.cfg.Audience:
		return nil, unauthorized("invalid access token", fmt.Errorf("audience %q", c.Audience))
	case !now.Before(c.Expiry.Add(leeway)):
		return nil, unauthorized("access token expired", fmt.Errorf("expired at %v", c.Expiry))
	case !c.NotBefore.IsZero() && now.Add(leeway).Before(c.NotBefore):
		return nil, unauthorized("access token not yet valid", fmt.Errorf("nbf %v", c.NotBefore))
	case now.Add(leeway).Before(c.IssuedAt):
		return nil, unauthorized("access token not yet valid", fmt.Errorf("iat %v in the future", c.IssuedAt))
	case c.ID == "" || c.Subject == "":
		return nil, unauthorized("invalid access token", errors.New("jti and sub are required"))
	case !validRole(c.Role):
		return nil, unauthorized("invalid access token", fmt.Errorf("unknown role %q", c.Role))
	}
	scopes, err := scope.ParseList(c.Scope)
	if err != nil {
		return nil, unauthorized("invalid access token", err)
	}
	return &Principal{Claims: c, Scopes: scopes}, nil
}

// isAccessTokenType accepts the RFC 9068 access-token type, so an id_token
// (typ JWT) signed by the same server is never taken for an access token.
func isAccessTokenType(typ string) bool {
	return strings.EqualFold(typ, "at+jwt") || strings.EqualFold(typ, "application/at+jwt")
}

func unauthorized(msg string, cause error) *errs.Error {
	return &errs.Error{Kind: errs.Unauthorized, Message: msg, Err: cause}
}
